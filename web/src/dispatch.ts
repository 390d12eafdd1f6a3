// What the warning map, the work-order pages and the grid worker's phone share: the five colours
// (each always printed with its name, never told by colour alone), the labels of statuses,
// priorities and bilingual texts, and which dispatcher actions a status allows (the server's
// table, docs/dispatch.md; the server decides anyway and answers 409 invalid_transition).

import type { Bilingual, Colour, DispatchRules, OrderAction, OrderStatus, WorkOrder } from './api';
import { h } from './dom';
import { formatFullTime, label, lang, t } from './i18n';

// Fill and text colour of each level: distinct in hue and lightness, with text of enough contrast
// on each (the page's CSS has the same values as --w-red … --w-green).
export const colourStyle: Record<Colour, { fill: string; text: string }> = {
  red: { fill: '#dc2626', text: '#ffffff' },
  orange: { fill: '#f97316', text: '#111111' },
  yellow: { fill: '#facc15', text: '#111111' },
  blue: { fill: '#2563eb', text: '#ffffff' },
  green: { fill: '#16a34a', text: '#0b1a10' },
};

export function colourName(colour: string): string {
  return label('colour', colour);
}

// A swatch with the colour's name: <span class="wchip w-red" data-colour="red">红色</span>.
export function colourChip(colour: string, text = colourName(colour)): HTMLElement {
  return h(`span.wchip.w-${colour}`, { 'data-colour': colour }, text);
}

// The text of a {zh, en} pair in the screen's language.
export function pick(text: Bilingual | null | undefined, fallback = ''): string {
  if (!text) return fallback;
  return (lang() === 'en' ? text.en : text.zh) || text.zh || text.en || fallback;
}

export function statusBadge(status: OrderStatus, testid?: string): HTMLElement {
  return h(`span.badge.order-${status}`, { 'data-status': status, ...(testid ? { 'data-testid': testid } : {}) }, label('order_status', status));
}

export function priorityChip(priority: string): HTMLElement {
  return h(`span.sev.sev-${priority}`, { 'data-priority': priority }, label('severity', priority));
}

export function categoryText(order: WorkOrder): string {
  return pick(order.category_label, order.category);
}

// A category's deadline as the rules put it (working days or hours).
export function deadlineText(rules: DispatchRules, category: string): string {
  const c = rules.categories[category];
  if (!c) return '';
  if (c.hours) return t('orders.deadline_hours', { n: c.hours });
  if (c.working_days) return t('orders.deadline_days', { n: c.working_days });
  return '';
}

export const openStatuses: readonly OrderStatus[] = ['received', 'assigned', 'in_progress', 'reported'];

export function isOpen(status: OrderStatus): boolean {
  return openStatuses.includes(status);
}

// The dispatcher's actions and the statuses each may start from.
export const dispatcherActions: { action: OrderAction; from: readonly OrderStatus[]; note: 'needed' | 'optional' | 'none' }[] = [
  { action: 'assign', from: ['received', 'assigned', 'in_progress'], note: 'optional' },
  { action: 'supervise', from: ['received', 'assigned', 'in_progress', 'reported'], note: 'needed' },
  { action: 'close', from: ['finished'], note: 'optional' },
  { action: 'reopen', from: ['finished', 'closed'], note: 'needed' },
];

// The grid worker's actions: what each makes of the status (applied to the phone's list while the
// action waits in its queue).
export const workerActions: Record<'accept' | 'report' | 'finish', { from: readonly OrderStatus[]; to: OrderStatus }> = {
  accept: { from: ['assigned'], to: 'in_progress' },
  report: { from: ['in_progress', 'reported'], to: 'reported' },
  finish: { from: ['in_progress', 'reported'], to: 'finished' },
};

// Open orders first (the most urgent priority, then the nearest deadline), then the rest, newest
// first.
const priorityRank: Record<string, number> = { red: 0, orange: 1, yellow: 2, blue: 3 };
export function byUrgency<T extends Pick<WorkOrder, 'id' | 'priority' | 'due_at'>>(status: (o: T) => OrderStatus) {
  return (a: T, b: T): number => {
    const oa = isOpen(status(a)) ? 0 : 1;
    const ob = isOpen(status(b)) ? 0 : 1;
    if (oa !== ob) return oa - ob;
    if (oa === 1) return b.id - a.id;
    const pa = priorityRank[a.priority] ?? 9;
    const pb = priorityRank[b.priority] ?? 9;
    if (pa !== pb) return pa - pb;
    return (a.due_at ?? '9').localeCompare(b.due_at ?? '9') || a.id - b.id;
  };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

// A deadline is the end of its last working day: 00:00 China time of the next day. Shown as that
// day's 24:00 ("2026/12/15 24:00"), as a 办理期限 is said — never as the next day's 00:00, which
// reads as a day more than the worker has.
export function formatDeadline(value: string | null | undefined): string {
  if (!value) return '—';
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) return String(value);
  const china = new Date(at.getTime() + 8 * 3_600_000);
  if (china.getUTCHours() !== 0 || china.getUTCMinutes() !== 0 || china.getUTCSeconds() !== 0) {
    return formatFullTime(at);
  }
  return formatFullTime(new Date(at.getTime() - 1000)).replace('23:59:59', '24:00');
}
