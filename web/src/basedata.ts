// What the base-data pages (三实: the overview, the files of a person, a house and a unit, the
// review queue) share: each kind's fields and paths, how a value is shown (codes as words, ID
// numbers and phones masked until revealed), the names of communities, and the tables of list
// items that link to the files.

import { ApiError, enc, get, type BaseKind, type BaseSummary, type Division } from './api';
import { h, link, maskId } from './dom';
import { formatNumber, label, t } from './i18n';

export interface KindSpec {
  kind: BaseKind;
  path: 'people' | 'houses' | 'units'; // of the API and of the screen
  fields: string[]; // the golden fields, in the order they are shown
  title: (values: Record<string, unknown>) => string;
}

export const kinds: Record<BaseKind, KindSpec> = {
  person: {
    kind: 'person',
    path: 'people',
    fields: ['name', 'id_number', 'sex', 'birth_date', 'phone', 'address'],
    title: (v) => String(v.name ?? ''),
  },
  house: {
    kind: 'house',
    path: 'houses',
    fields: ['address', 'area', 'use', 'owner_name', 'owner_id_number', 'owner_phone'],
    title: (v) => String(v.address ?? ''),
  },
  unit: {
    kind: 'unit',
    path: 'units',
    fields: ['name', 'uscc', 'legal_person', 'phone', 'address'],
    title: (v) => String(v.name ?? ''),
  },
};

export function fileHref(kind: BaseKind, id: number | string): string {
  return `/${kinds[kind].path}/${enc(String(id))}`;
}

// A field's name; a person's name is 姓名, a unit's 单位名称.
export function fieldLabel(field: string, kind: BaseKind = 'person'): string {
  if (field === 'name') return kind === 'unit' ? t('bd_field.unit_name') : t('table.name');
  return label('bd_field', field);
}
export const sourceLabel = (source: string) => label('source', source);

const ID_FIELDS = new Set(['id_number', 'owner_id_number']);
const PHONE_FIELDS = new Set(['phone', 'owner_phone']);

export function maskPhone(phone: string): string {
  return phone.includes('*') || phone.length < 7 ? phone : `${phone.slice(0, 3)}****${phone.slice(-4)}`;
}

// A value as the screen shows it: codes as words, everything else as the source gave it.
export function shown(field: string, value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  const text = String(value);
  if (field === 'sex') return text === 'M' ? t('person.male') : text === 'F' ? t('person.female') : text;
  if (field === 'use') return label('house_use', text);
  if (field === 'area') return `${text} ㎡`;
  return text;
}

// ID numbers and phones are masked on screen; a page's "show" reveals the ones the server sent
// in full (to a caller with the pii right) and hides them again.
export class Secrets {
  private items: { el: HTMLElement; full: string; masked: string }[] = [];
  private open = false;

  // The cell text of `field`: masked if it is an ID number or a phone.
  value(field: string, value: unknown): HTMLElement {
    const text = shown(field, value);
    const sensitive = text !== '—' && (ID_FIELDS.has(field) || PHONE_FIELDS.has(field));
    if (!sensitive) return h('span', { 'data-value': text }, text);
    const masked = ID_FIELDS.has(field) ? maskId(text) : maskPhone(text);
    const el = h('span.mono', { 'data-secret': field }, this.open ? text : masked);
    if (masked !== text) this.items.push({ el, full: text, masked });
    return el;
  }

  // A button that reveals and hides them all; null when nothing was sent in full.
  toggle(): HTMLElement | null {
    if (this.items.length === 0) return null;
    const button = h('button.link', { type: 'button', 'data-testid': 'reveal' }, this.open ? t('common.hide') : t('common.show'));
    button.addEventListener('click', () => {
      this.open = !this.open;
      for (const x of this.items) x.el.textContent = this.open ? x.full : x.masked;
      button.textContent = this.open ? t('common.hide') : t('common.show');
    });
    return button;
  }
}

// An error as the base-data pages say it: a 403 is a missing right (basedata.read — district
// administrators and the police have it, site managers and inspectors do not).
export function describeError(e: unknown): string {
  if (e instanceof ApiError && e.status === 403) return t('basedata.forbidden');
  return t('common.error', { message: e instanceof ApiError ? `${e.message} (${e.code})` : (e as Error).message });
}

// ---- communities by code, named once per session (the overview's figures name them too)

const villageNames = new Map<string, string>();
const asked = new Map<string, Promise<void>>();

export function knowVillage(code: string, name: string): void {
  villageNames.set(code, name);
}

export async function nameVillages(codes: Iterable<string | null | undefined>): Promise<void> {
  const wanted = [...new Set([...codes].filter((c): c is string => !!c && !villageNames.has(c)))];
  await Promise.all(
    wanted.map((code) => {
      let answer = asked.get(code);
      if (!answer) {
        answer = get<Division>(`/api/v1/divisions/${enc(code)}`)
          .then((d) => {
            if (d.name) villageNames.set(code, d.name);
          })
          .catch(() => {
            asked.delete(code); // asked again next time
          });
        asked.set(code, answer);
      }
      return answer;
    }),
  );
}

export const villageName = (code: string) => villageNames.get(code) ?? code;

// A cell naming a community (filled in by fillVillages once the names are known).
export function villageCell(code: string | null | undefined): HTMLElement {
  if (!code) return h('td.muted', '—');
  return h('td.nowrap', { 'data-village': code, title: code }, h('span.village-name', villageNames.get(code) ?? code));
}

export function fillVillages(el: HTMLElement): void {
  for (const cell of el.querySelectorAll<HTMLElement>('[data-village] .village-name')) {
    const code = cell.closest<HTMLElement>('[data-village]')!.dataset.village!;
    cell.textContent = villageNames.get(code) ?? code;
  }
}

// ---- tables of list items

// The columns of a kind's list: the first links to the file.
const columns: Record<BaseKind, string[]> = {
  person: ['name', 'id_number', 'sex', 'birth_date', 'phone', 'address'],
  house: ['address', 'use', 'area', 'owner_name', 'owner_id_number'],
  unit: ['name', 'uscc', 'legal_person', 'phone', 'address'],
};

export function summaryRow(kind: BaseKind, item: BaseSummary, secrets: Secrets): HTMLElement {
  const [first, ...rest] = columns[kind];
  return h(
    'tr',
    { 'data-id': item.id },
    h('td.wrap', { 'data-field': first }, link(fileHref(kind, item.id), shown(first, item[first]))),
    rest.map((f) => h(f === 'address' ? 'td.wrap' : 'td.nowrap', { 'data-field': f }, secrets.value(f, item[f]))),
    villageCell(item.village),
    h('td.num', { 'data-field': 'records' }, formatNumber(item.records)),
  );
}

export function summaryTable(kind: BaseKind, items: BaseSummary[], secrets: Secrets, testid?: string): HTMLElement {
  if (items.length === 0) return h('p.empty', testid ? { 'data-testid': testid } : {}, t('common.none'));
  return h(
    'div.scroll',
    h(
      'table.table.bd-list',
      { 'data-kind': kind, ...(testid ? { 'data-testid': testid } : {}) },
      h(
        'thead',
        h('tr', columns[kind].map((f) => h('th', fieldLabel(f, kind))), h('th', label('level', 'village')), h('th.num', t('basedata.records'))),
      ),
      h(
        'tbody',
        items.map((x) => summaryRow(kind, x, secrets)),
      ),
    ),
  );
}
