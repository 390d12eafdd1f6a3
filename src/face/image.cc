#include "face/image.h"

#include <array>
#include <vector>

#include <csetjmp>
#include <cstdio>

#include <jpeglib.h>

namespace zhizhi::face {

Result<JpegInfo> ProbeJpeg(std::string_view bytes, const ImageLimits& limits,
                           const std::string& field) {
  if (bytes.size() > limits.max_bytes) {
    return Status::Rule("image_too_large", field,
                        "the photo is " + std::to_string(bytes.size()) + " bytes; at most " +
                            std::to_string(limits.max_bytes) + " are accepted");
  }
  auto byte = [&](size_t i) { return static_cast<unsigned char>(bytes[i]); };
  if (bytes.size() < 4 || byte(0) != 0xFF || byte(1) != 0xD8 || byte(2) != 0xFF) {
    return Status::InvalidArgument(field, field + " must be a JPEG photo (base64 of a .jpg file)");
  }
  // Walk the marker segments up to the frame header.
  size_t pos = 2;
  while (pos + 4 <= bytes.size()) {
    if (byte(pos) != 0xFF) break;
    const unsigned char marker = byte(pos + 1);
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      pos += 2;  // markers without a length
      continue;
    }
    const size_t length = (static_cast<size_t>(byte(pos + 2)) << 8) | byte(pos + 3);
    if (length < 2 || pos + 2 + length > bytes.size()) break;
    const bool frame =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (frame) {
      if (length < 8) break;
      JpegInfo info;
      info.height = (byte(pos + 5) << 8) | byte(pos + 6);
      info.width = (byte(pos + 7) << 8) | byte(pos + 8);
      info.components = byte(pos + 9);
      if (info.width == 0 || info.height == 0) break;
      if (info.width > limits.max_side || info.height > limits.max_side ||
          static_cast<std::int64_t>(info.width) * info.height > limits.max_pixels) {
        return Status::Rule(
            "image_too_large", field,
            "the photo is " + std::to_string(info.width) + "×" + std::to_string(info.height) +
                " pixels; at most " + std::to_string(limits.max_side) + " per side and " +
                std::to_string(limits.max_pixels / 1'000'000) + " megapixels are accepted");
      }
      if (info.width < limits.min_side || info.height < limits.min_side) {
        return Status::Rule("image_too_small", field,
                            "the photo is " + std::to_string(info.width) + "×" +
                                std::to_string(info.height) + " pixels; a face needs at least " +
                                std::to_string(limits.min_side) + " per side");
      }
      return info;
    }
    if (marker == 0xDA || marker == 0xD9) break;  // scan or end before any frame header
    pos += 2 + length;
  }
  return Status::InvalidArgument(field, field + " is not a readable JPEG (no frame header)");
}

namespace {

// libjpeg reports errors through longjmp; warnings (corrupt data, premature end, extraneous
// bytes) it would otherwise print and decode through, filling the picture with grey. Both count
// as a damaged photo here.
struct StrictError {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  bool warned = false;
};

void OnError(j_common_ptr cinfo) {
  std::longjmp(reinterpret_cast<StrictError*>(cinfo->err)->jump, 1);
}

void OnMessage(j_common_ptr cinfo, int level) {
  if (level < 0) reinterpret_cast<StrictError*>(cinfo->err)->warned = true;  // a warning
}

void Silent(j_common_ptr) {}

}  // namespace

Result<cv::Mat> DecodeJpeg(std::string_view bytes, const ImageLimits& limits,
                           const std::string& field) {
  ZZ_ASSIGN_OR_RETURN(JpegInfo info, ProbeJpeg(bytes, limits, field));
  const Status damaged =
      Status::InvalidArgument(field, field + " is a damaged JPEG that does not decode cleanly");
  jpeg_decompress_struct cinfo{};
  StrictError error;
  cinfo.err = jpeg_std_error(&error.mgr);
  error.mgr.error_exit = OnError;
  error.mgr.emit_message = OnMessage;
  error.mgr.output_message = Silent;
  cv::Mat image;
  if (setjmp(error.jump) != 0) {
    jpeg_destroy_decompress(&cinfo);
    return damaged;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(bytes.data()),
               static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&cinfo, TRUE);
  if (static_cast<int>(cinfo.image_width) != info.width ||
      static_cast<int>(cinfo.image_height) != info.height) {
    jpeg_destroy_decompress(&cinfo);
    return damaged;
  }
  cinfo.out_color_space = JCS_EXT_BGR;  // libjpeg-turbo: straight into OpenCV's channel order
  jpeg_start_decompress(&cinfo);
  image.create(static_cast<int>(cinfo.output_height), static_cast<int>(cinfo.output_width),
               CV_8UC3);
  while (cinfo.output_scanline < cinfo.output_height && !error.warned) {
    JSAMPROW row = image.ptr<unsigned char>(static_cast<int>(cinfo.output_scanline));
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  if (!error.warned) jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  if (error.warned) return damaged;
  return image;
}

}  // namespace zhizhi::face
