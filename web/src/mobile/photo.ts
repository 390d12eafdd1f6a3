// A photo for the server: drawn on a canvas at most 1280 px on its long side and re-encoded as
// JPEG, the quality stepped down (and then the size) until it is under 650 KB — the server takes
// at most 700 KB decoded and 1 MB of request, and a phone's camera gives 3–10 MB.

export interface PreparedPhoto {
  media_type: 'image/jpeg';
  content_base64: string;
  bytes: number;
  width: number;
  height: number;
  preview: string; // a blob: URL of the JPEG; revoke it when done
}

const MAX_SIDE = 1280;
const MAX_BYTES = 650 * 1024;
const QUALITIES = [0.8, 0.7, 0.6, 0.5, 0.4];

function loadImage(file: Blob): Promise<HTMLImageElement> {
  const url = URL.createObjectURL(file);
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => {
      URL.revokeObjectURL(url);
      resolve(img);
    };
    img.onerror = () => {
      URL.revokeObjectURL(url);
      reject(new Error('not an image this browser can read'));
    };
    img.src = url;
  });
}

function toBlob(canvas: HTMLCanvasElement, quality: number): Promise<Blob> {
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the photo could not be encoded'))), 'image/jpeg', quality),
  );
}

function base64Of(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () => reject(reader.error ?? new Error('the photo could not be read'));
    reader.readAsDataURL(blob);
  });
}

export async function preparePhoto(file: Blob): Promise<PreparedPhoto> {
  const img = await loadImage(file); // the browser turns it upright by its EXIF orientation
  const w0 = img.naturalWidth;
  const h0 = img.naturalHeight;
  if (!w0 || !h0) throw new Error('an empty image');
  let scale = Math.min(1, MAX_SIDE / Math.max(w0, h0));
  const canvas = document.createElement('canvas');
  for (;;) {
    canvas.width = Math.max(1, Math.round(w0 * scale));
    canvas.height = Math.max(1, Math.round(h0 * scale));
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no canvas');
    ctx.fillStyle = '#fff'; // a transparent PNG's background
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    for (const q of QUALITIES) {
      const blob = await toBlob(canvas, q);
      if (blob.size <= MAX_BYTES) {
        return {
          media_type: 'image/jpeg',
          content_base64: await base64Of(blob),
          bytes: blob.size,
          width: canvas.width,
          height: canvas.height,
          preview: URL.createObjectURL(blob),
        };
      }
    }
    if (Math.max(canvas.width, canvas.height) < 320) throw new Error('the photo stays too large');
    scale *= 0.75;
  }
}
