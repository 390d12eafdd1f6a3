// What the lottery pages share (the public board, the notarial record, the operators' page):
// statuses as words, hashes in readable blocks, a result's flats and places, the rules, the
// problems of a CSV file, and the API's errors as they are said.

import { ApiError, type LotteryFlat, type LotteryRule } from './api';
import { h } from './dom';
import { label, t } from './i18n';

export const statusLabel = (status: string) => label('lottery_status', status);

// The public endpoints, never with the token (anyone may read them).
export const publicPath = (id: number | string, what: 'board' | 'record') => `/api/v1/public/lotteries/${encodeURIComponent(String(id))}/${what}`;

// A 64-digit hash in blocks of eight, for reading aloud and comparing with a printed notice. The
// blocks are spans (no spaces in between), so a copy is the hash itself; `data-value` holds it.
export function hexBlocks(value: string | null | undefined, testid: string, pending = t('lottery.withheld')): HTMLElement {
  if (!value) return h('span.hex.pending', { 'data-testid': testid, 'data-value': '' }, pending);
  const blocks: string[] = [];
  for (let i = 0; i < value.length; i += 8) blocks.push(value.slice(i, i + 8));
  return h(
    'span.hex.mono',
    { 'data-testid': testid, 'data-value': value },
    blocks.map((b) => h('span.hex-block', b)),
  );
}

// The head of a results table (the board's and the record's).
export function resultsHead(): HTMLElement {
  return h(
    'thead',
    h(
      'tr',
      h('th.num', t('lottery.order')),
      h('th', t('lottery.household')),
      h('th', t('lottery.head')),
      h('th', t('lottery.flat')),
      h('th', t('lottery.parking')),
      h('th', t('lottery.farm_rooms')),
    ),
  );
}

// "1-1-0101、1-2-0302", or — when a household has none of them.
export function places(items: (string | null)[] | undefined): string {
  if (!items || items.length === 0) return '—';
  return items.map((x) => x ?? '—').join('、');
}

// A flat as residents know it: 1幢 1单元 101室 · A型 · 89.56㎡ (from the published inputs).
export function flatText(flat: LotteryFlat | undefined): string {
  if (!flat) return '';
  const where = [flat.building, flat.unit ? `${flat.unit}单元` : '', flat.room ? `${flat.room}室` : ''].filter(Boolean).join(' ');
  return [where, `${flat.type}型`, flat.area_m2 ? `${flat.area_m2}㎡` : ''].filter(Boolean).join(' · ');
}

export function ruleText(rule: LotteryRule): string {
  const parts = [t('lottery.rule_tier', { tier: rule.tier })];
  if (rule.max_floor !== undefined && rule.max_floor !== null) parts.push(t('lottery.rule_floor', { floor: rule.max_floor }));
  return `${rule.name}（${parts.join('，')}）`;
}

export function rulesList(rules: LotteryRule[] | undefined, testid = 'lottery-rules'): HTMLElement {
  if (!rules || rules.length === 0) return h('p.muted', { 'data-testid': testid }, t('lottery.no_rules'));
  return h(
    'ul.lottery-rules',
    { 'data-testid': testid },
    [...rules].sort((a, b) => b.tier - a.tier).map((r) => h('li', { 'data-tag': r.tag }, ruleText(r))),
  );
}

export interface RowProblem {
  line: number;
  field: string;
  message: string;
}

// The row problems of a refused CSV file (docs/lottery.md: `details.problems`; this server puts
// them on the error itself), or [].
export function rowProblems(e: unknown): RowProblem[] {
  if (!(e instanceof ApiError)) return [];
  const list = e.details?.details?.problems ?? e.details?.problems;
  return Array.isArray(list) ? list : [];
}

// What keeps a draft from its commitment (422 lottery_shortfall: `details.shortfalls`).
export function shortfalls(e: unknown): string[] {
  if (!(e instanceof ApiError)) return [];
  const list = e.details?.details?.shortfalls ?? e.details?.shortfalls;
  return Array.isArray(list) ? list.map(String) : [];
}

export function problemsTable(problems: RowProblem[], testid: string): HTMLElement {
  return h(
    'table.table.lottery-problems',
    { 'data-testid': testid },
    h('thead', h('tr', h('th.num', t('lottery.line')), h('th', t('lottery.field')), h('th', t('lottery.problem')))),
    h(
      'tbody',
      problems.map((p) =>
        h('tr', { 'data-line': p.line, 'data-field': p.field }, h('td.num', String(p.line)), h('td.mono', p.field), h('td.wrap', p.message)),
      ),
    ),
  );
}

// The server's message with its code.
export function describeLotteryError(e: unknown): string {
  if (e instanceof ApiError) return t('common.error', { message: `${e.message} (${e.code})` });
  return t('common.error', { message: (e as Error).message });
}
