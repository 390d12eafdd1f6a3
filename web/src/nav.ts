// Client-side navigation: change the URL, then let main.ts render the page for it.
export function navigate(path: string, replaceState = false): void {
  if (replaceState) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  window.dispatchEvent(new Event('zhizhi:navigate'));
}
