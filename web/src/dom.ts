// A tiny DOM builder: h('div.card', {onclick}, children). Text is always set as text (never as
// HTML), so names and addresses from the API cannot inject markup.

type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, unknown> & { dataset?: Record<string, string> };

export function h(tag: string, attrs: Attrs | Child = {}, ...children: Child[]): HTMLElement {
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name || 'div');
  if (classes.length) el.className = classes.join(' ');
  if (attrs instanceof Node || typeof attrs !== 'object' || attrs === null || Array.isArray(attrs)) {
    children.unshift(attrs as Child);
  } else {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key.startsWith('on') && typeof value === 'function') {
        el.addEventListener(key.slice(2), value as EventListener);
      } else if (key === 'dataset') {
        Object.assign(el.dataset, value);
      } else if (key === 'class') {
        el.className += (el.className ? ' ' : '') + String(value);
      } else if (key === 'style' && typeof value === 'object') {
        Object.assign(el.style, value);
      } else if (key in el && key !== 'list') {
        (el as any)[key] = value;
      } else {
        el.setAttribute(key, value === true ? '' : String(value));
      }
    }
  }
  append(el, children);
  return el;
}

function append(el: HTMLElement, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

export function replace(el: Element, ...children: Child[]): void {
  clear(el);
  append(el as HTMLElement, children);
}

// A link handled by the client-side router.
export function link(href: string, ...children: Child[]): HTMLElement {
  return h('a', { href, 'data-route': '1' }, ...children);
}

// A card with a title and a body; returns [card, body].
export function card(title: string, testid?: string, extra?: Child): [HTMLElement, HTMLElement] {
  const body = h('div.card-body');
  const el = h(
    'section.card',
    testid ? { 'data-testid': testid } : {},
    h('header.card-head', h('h2', title), extra ?? null),
    body,
  );
  return [el, body];
}

export function maskId(id: string): string {
  if (id.includes('*')) return id;
  if (id.length === 18) return `${id.slice(0, 6)}********${id.slice(14)}`;
  const keep = Math.max(1, Math.floor(id.length / 4));
  return id.slice(0, keep) + '*'.repeat(id.length - 2 * keep) + id.slice(id.length - keep);
}

// Text for the few places that take HTML (ECharts tooltips): &, <, >, " and ' escaped.
export function esc(text: unknown): string {
  return String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
