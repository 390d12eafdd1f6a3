// The standard-address view, for the district's address-data office and the site clerks: a
// standardiser (addresses as people type them → the division codes of each level, road, number,
// building, unit and room, a confidence and the canonical form), a division browser from the
// country down to the village that opens at the district, and the district's standard addresses,
// searched and filtered by the village chosen in the browser. Coded against
// POST /api/v1/addresses:standardize, GET /api/v1/divisions[/{code}] and GET /api/v1/addresses.

import {
  ApiError,
  addressLevels,
  enc,
  get,
  post,
  type AddressLevel,
  type Division,
  type StandardAddress,
  type StandardAddressList,
  type StandardizedAddress,
} from '../api';
import { card, h, replace } from '../dom';
import { formatNumber, label, t } from '../i18n';

const HOME = '330114'; // 钱塘区: the browser opens here
const MAX_LINES = 1000; // the API's limit for one request
const LOW_CONFIDENCE = 0.8; // below this a clerk checks the line by hand
const PAGE = 100;
const PARALLEL = 6; // division requests in flight at once

// Divisions by code ('' is the root), asked once per session. A division's answer names its
// children too, so naming a batch of results takes one request per parent, not one per code.
const divisions = new Map<string, Promise<Division>>();
const names = new Map<string, string>();

function division(code: string | null): Promise<Division> {
  const key = code ?? '';
  let answer = divisions.get(key);
  if (!answer) {
    answer = get<Division>(code ? `/api/v1/divisions/${enc(code)}` : '/api/v1/divisions').then((d) => {
      if (d.code && d.name) names.set(d.code, d.name);
      for (const c of d.children ?? []) names.set(c.code, c.name);
      return d;
    });
    answer.catch(() => divisions.delete(key)); // a failed answer is asked again next time
    divisions.set(key, answer);
  }
  return answer;
}

async function eachLimited<T>(items: T[], run: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await run(items[next++]).catch(() => undefined);
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, worker));
}

// Names the codes not named yet, each by its own request.
async function nameCodes(codes: Iterable<string>): Promise<void> {
  await eachLimited([...new Set(codes)].filter((c) => !names.has(c)), (c) => division(c));
}

// Names every code of the chains (province … village) through their parents' lists of children;
// what is left (a chain with a gap, a code no parent lists) one by one.
async function nameChains(chains: (string | null)[][]): Promise<void> {
  const parents = new Set<string>();
  for (const chain of chains) {
    chain.forEach((code, i) => {
      const parent = i === 0 ? '' : chain[i - 1];
      if (code && !names.has(code) && parent !== null) parents.add(parent);
    });
  }
  await eachLimited([...parents], (p) => division(p || null));
  await nameCodes(chains.flat().filter((c): c is string => !!c));
}

// Fills the names into the cells rendered with only their codes.
function fillNames(el: HTMLElement): void {
  for (const cell of el.querySelectorAll<HTMLElement>('[data-code] .division-name')) {
    const code = cell.closest<HTMLElement>('[data-code]')!.dataset.code!;
    cell.textContent = names.get(code) ?? '';
  }
}

function isVillage(d: Division): boolean {
  return d.level === 'village' || d.code?.length === 12;
}

function divisionCell(level: AddressLevel, code: string | null): HTMLElement {
  if (!code) return h('td.muted', { 'data-level': level }, '—');
  return h(
    'td',
    { 'data-level': level, 'data-code': code },
    h('div.division-name', names.get(code) ?? ''),
    h('div.mono.small.muted', code),
  );
}

function part(value: string | null | undefined, key: string): HTMLElement {
  return h(value ? 'td.nowrap' : 'td.muted', { 'data-part': key }, value || '—');
}

function confidenceCell(confidence: number): HTMLElement {
  const share = Math.min(1, Math.max(0, confidence));
  const low = confidence < LOW_CONFIDENCE;
  return h(
    'td.nowrap',
    {
      'data-part': 'confidence',
      'data-value': confidence,
      title: low ? t('addresses.low', { p: Math.round(LOW_CONFIDENCE * 100) }) : '',
    },
    h(`div.confidence${low ? '.low' : ''}`, h('div.confidence-fill', { style: { width: `${(share * 100).toFixed(0)}%` } })),
    h('span.num', `${Math.round(share * 100)}%`),
  );
}

function resultTable(lines: string[], items: StandardizedAddress[]): HTMLElement {
  return h(
    'div.scroll.tall',
    h(
      'table.table.address-results',
      h(
        'thead',
        h(
          'tr',
          h('th', '#'),
          h('th', t('addresses.input')),
          h('th', t('addresses.canonical')),
          addressLevels.map((level) => h('th', label('level', level))),
          h('th', t('addresses.road')),
          h('th', t('addresses.number')),
          h('th', t('addresses.building')),
          h('th', t('addresses.unit')),
          h('th', t('addresses.room')),
          h('th', t('addresses.confidence')),
        ),
      ),
      h(
        'tbody',
        items.map((item, i) => {
          const head = [h('td.num.muted', String(i + 1)), h('td.wrap.address-input', lines[i] ?? '')];
          if (item.error) {
            return h(
              'tr.failed',
              { 'data-row': i, 'data-status': 'error' },
              head,
              h(
                'td.error',
                { colSpan: 12, title: item.error.message },
                h('span.error-code', item.error.code),
                ' ',
                label('address_error', item.error.code),
                h('span.muted.small', ` · ${item.error.message}`),
              ),
            );
          }
          return h(
            'tr',
            { 'data-row': i, 'data-status': 'ok', class: item.confidence < LOW_CONFIDENCE ? 'low' : '' },
            head,
            h(
              'td.wrap',
              { 'data-part': 'canonical' },
              item.canonical,
              item.standard_address_id != null
                ? h('div', h('span.badge.in-base', t('addresses.in_base', { id: item.standard_address_id })))
                : null,
            ),
            addressLevels.map((level) => divisionCell(level, item[level])),
            item.road_as_typed
              ? h(
                  'td.nowrap',
                  { 'data-part': 'road', title: t('addresses.road_corrected', { typed: item.road_as_typed }) },
                  item.road,
                  h('div.muted.small', { 'data-part': 'road-as-typed' }, t('addresses.road_as_typed', { typed: item.road_as_typed })),
                )
              : part(item.road, 'road'),
            part(item.number, 'number'),
            part(item.building, 'building'),
            part(item.unit, 'unit'),
            part(item.room, 'room'),
            confidenceCell(item.confidence),
          );
        }),
      ),
    ),
  );
}

function addressRow(a: StandardAddress): HTMLElement {
  return h(
    'tr',
    { 'data-address': a.id, 'data-code': a.code },
    h('td.wrap', { 'data-part': 'canonical' }, a.canonical),
    h('td', h(`span.badge.kind-${a.kind}`, label('address_kind', a.kind))),
    a.village
      ? h('td', { 'data-code': a.village }, h('div.division-name', names.get(a.village) ?? ''), h('div.mono.small.muted', a.village))
      : h('td.muted', '—'),
    part(a.road, 'road'),
    part(a.number, 'number'),
    part(a.building, 'building'),
    part(a.unit, 'unit'),
    part(a.room, 'room'),
    h('td.mono.small.nowrap', a.code),
  );
}

// The table of standard addresses; later pages are appended to its tbody, so the reader keeps
// their place in the scrolled list.
function addressTable(items: StandardAddress[]): HTMLElement {
  if (items.length === 0) return h('p.empty', t('addresses.none'));
  return h(
    'div.scroll.tall',
    h(
      'table.table.address-list',
      h(
        'thead',
        h(
          'tr',
          h('th', t('addresses.canonical')),
          h('th', t('addresses.kind')),
          h('th', label('level', 'village')),
          h('th', t('addresses.road')),
          h('th', t('addresses.number')),
          h('th', t('addresses.building')),
          h('th', t('addresses.unit')),
          h('th', t('addresses.room')),
          h('th', t('addresses.code')),
        ),
      ),
      h('tbody', items.map(addressRow)),
    ),
  );
}

export function addressesPage(root: HTMLElement, _params: Record<string, string>, query: URLSearchParams): () => void {
  let disposed = false;
  const error = h('p.error', { role: 'alert' });
  const fail = (e: unknown) => {
    if (!disposed) error.textContent = t('common.error', { message: describe(e) });
  };

  // ---- the standardiser
  const input = h('textarea', {
    rows: 6,
    spellcheck: false,
    placeholder: t('addresses.input_placeholder', { max: MAX_LINES }),
    'data-testid': 'address-input',
  }) as HTMLTextAreaElement;
  const lineCount = h('span.muted.small', { 'data-testid': 'address-lines' });
  const linesOf = () =>
    input.value
      .split(/\r?\n/)
      .map((s) => s.trim())
      .filter(Boolean);
  const countLines = () => {
    const n = linesOf().length;
    lineCount.textContent = t('addresses.lines', { n: formatNumber(n), max: formatNumber(MAX_LINES) });
    lineCount.classList.toggle('over', n > MAX_LINES);
  };
  const runButton = h('button.primary', { type: 'submit', 'data-testid': 'standardize' }, t('addresses.standardize'));
  const formError = h('p.error', { role: 'alert', 'data-testid': 'standardize-error' });
  const summary = h('span.count', { 'data-testid': 'standardize-summary' });
  const [stdCard, stdBody] = card(t('addresses.standardizer'), 'standardizer', summary);
  const results = h('div', { 'data-testid': 'standardize-results' });
  stdBody.append(
    h(
      'form.standardize-form',
      {
        onsubmit: (e: Event) => {
          e.preventDefault();
          void standardize();
        },
      },
      input,
      h('div.standardize-actions', runButton, lineCount),
    ),
    formError,
    results,
  );
  input.addEventListener('input', countLines);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      void standardize();
    }
  });
  countLines();

  const standardize = async () => {
    const lines = linesOf();
    formError.textContent = '';
    if (lines.length === 0) {
      formError.textContent = t('addresses.nothing');
      return;
    }
    if (lines.length > MAX_LINES) {
      formError.textContent = t('addresses.too_many', { max: formatNumber(MAX_LINES), n: formatNumber(lines.length) });
      return;
    }
    runButton.setAttribute('disabled', '');
    results.dataset.state = 'working';
    summary.textContent = t('addresses.working');
    try {
      const answer = await post<{ items: StandardizedAddress[] }>('/api/v1/addresses:standardize', { addresses: lines });
      if (disposed) return;
      const items = answer.items;
      const failed = items.filter((x) => x.error).length;
      const low = items.filter((x) => !x.error && x.confidence < LOW_CONFIDENCE).length;
      summary.textContent = t('addresses.summary', {
        total: formatNumber(items.length),
        ok: formatNumber(items.length - failed),
        low: formatNumber(low),
        failed: formatNumber(failed),
      });
      replace(results, resultTable(lines, items));
      const chains = items.flatMap((x) => (x.error ? [] : [addressLevels.map((level) => x[level])]));
      await nameChains(chains);
      if (disposed) return;
      fillNames(results);
      results.dataset.state = 'done';
    } catch (e) {
      summary.textContent = '';
      results.dataset.state = 'failed';
      if (!disposed) formError.textContent = t('common.error', { message: describe(e) });
    } finally {
      runButton.removeAttribute('disabled');
    }
  };

  // ---- the division browser
  const path = h('nav.breadcrumb', { 'data-testid': 'division-path' });
  const children = h('div.division-children.scroll', { 'data-testid': 'division-children' });
  const [divCard, divBody] = card(t('addresses.divisions'), 'division-browser');
  divBody.append(path, children);
  let current: Division | null = null;
  let openSeq = 0;

  const openDivision = async (code: string | null) => {
    const seq = ++openSeq;
    divCard.dataset.state = 'loading';
    const d = await division(code);
    const chain: Division[] = [];
    for (let up = d.parent; up && chain.length < 6; ) {
      const a = await division(up);
      chain.unshift(a);
      up = a.parent;
    }
    if (disposed || seq !== openSeq) return;
    current = d;
    const crumbs: { code: string | null; name: string }[] = [
      { code: null, name: t('addresses.country') },
      ...[...chain, d].filter((x) => x.code).map((x) => ({ code: x.code, name: x.name ?? x.code ?? '' })),
    ];
    replace(
      path,
      crumbs.map((c, i) =>
        i === crumbs.length - 1
          ? h('span.current', { 'data-code': c.code ?? '' }, c.name)
          : [h('button.link', { type: 'button', 'data-code': c.code ?? '', onclick: () => void openDivision(c.code).catch(fail) }, c.name), h('span.sep', '›')],
      ),
    );
    const kids = d.children ?? [];
    replace(
      children,
      isVillage(d)
        ? h('p.empty', { 'data-testid': 'division-village' }, t('addresses.village_selected', { name: d.name ?? d.code ?? '' }))
        : kids.length === 0
          ? h('p.empty', t('addresses.no_children'))
          : h(
              'ul.plain',
              kids.map((c) =>
                h(
                  'li',
                  h(
                    'button.division',
                    { type: 'button', 'data-code': c.code, title: `${c.name} ${c.code}`, onclick: () => void openDivision(c.code).catch(fail) },
                    h('span.ellipsis', c.name),
                    h('span.mono.small.muted', c.code),
                  ),
                ),
              ),
            ),
    );
    divCard.dataset.state = 'done';
    const village = isVillage(d) ? d.code : null;
    syncUrl();
    if (village !== filterVillage) {
      filterVillage = village;
      await loadList(null);
    }
  };

  // ---- the district's standard addresses
  const search = h('input', {
    name: 'q',
    type: 'search',
    placeholder: t('addresses.search_placeholder'),
    value: query.get('q') ?? '',
    'data-testid': 'address-q',
    size: 24,
  }) as HTMLInputElement;
  const villageChip = h('span.chip', { 'data-testid': 'address-village', hidden: true });
  const shown = h('span.count', { 'data-testid': 'address-count' });
  const [listCard, listBody] = card(t('addresses.list'), 'address-list', shown);
  const more = h('button.ghost', { type: 'button', hidden: true, 'data-testid': 'address-more' }, t('addresses.more'));
  const listForm = h(
    'form.filters',
    {
      onsubmit: (e: Event) => {
        e.preventDefault();
        syncUrl();
        void loadList(null);
      },
    },
    h('label', t('addresses.search'), search),
    villageChip,
    h('button.primary', { type: 'submit', 'data-testid': 'address-search' }, t('addresses.query')),
  );
  const listRows = h('div');
  listBody.append(listForm, listRows, h('div.more', more));
  let filterVillage: string | null = null;
  let items: StandardAddress[] = [];
  let cursor: string | null = null;
  let listSeq = 0;

  const loadList = async (from: string | null) => {
    const seq = ++listSeq;
    const q = new URLSearchParams();
    if (search.value.trim()) q.set('q', search.value.trim());
    if (filterVillage) q.set('village', filterVillage);
    q.set('limit', String(PAGE));
    if (from) q.set('cursor', from);
    listCard.dataset.state = 'loading';
    more.setAttribute('disabled', '');
    try {
      const list = await get<StandardAddressList>(`/api/v1/addresses?${q}`);
      if (disposed || seq !== listSeq) return;
      items = from ? [...items, ...list.items] : list.items;
      cursor = list.next_cursor;
      more.hidden = !cursor;
      shown.textContent = t('addresses.shown', { n: formatNumber(items.length) });
      shown.dataset.value = String(items.length);
      if (filterVillage) {
        replace(
          villageChip,
          t('addresses.village_filter', { name: names.get(filterVillage) ?? filterVillage }),
          h('button.link', { type: 'button', title: t('addresses.clear'), 'data-testid': 'address-village-clear', onclick: () => void openDivision(current?.parent ?? HOME).catch(fail) }, '✕'),
        );
      }
      villageChip.hidden = !filterVillage;
      const tbody = listRows.querySelector('tbody');
      if (from && tbody) tbody.append(...list.items.map(addressRow));
      else replace(listRows, addressTable(items));
      listCard.dataset.state = 'done';
      await nameCodes(items.flatMap((a) => (a.village ? [a.village] : [])));
      if (!disposed && seq === listSeq) fillNames(listRows);
    } catch (e) {
      if (disposed || seq !== listSeq) return;
      listCard.dataset.state = 'failed';
      if (e instanceof ApiError && e.status === 404 && e.code === 'not_found') {
        listForm.hidden = true;
        replace(listRows, h('p.empty', { 'data-testid': 'addresses-unavailable' }, t('common.unavailable', { path: 'GET /api/v1/addresses' })));
        return;
      }
      fail(e);
    } finally {
      more.removeAttribute('disabled');
    }
  };
  more.addEventListener('click', () => void loadList(cursor));

  // The URL keeps the division open and the search, so a link or a reload comes back here.
  const syncUrl = () => {
    const q = new URLSearchParams();
    if (current && current.code !== HOME) q.set('division', current.code ?? '');
    if (search.value.trim()) q.set('q', search.value.trim());
    const s = q.toString();
    history.replaceState(null, '', `/addresses${s ? `?${s}` : ''}`);
  };

  replace(
    root,
    h(
      'div.addresses-page',
      h('div.page-head', h('h1.page-title', t('addresses.title'))),
      error,
      stdCard,
      h('div.grid-addresses', divCard, listCard),
    ),
  );
  document.title = `${t('addresses.title')} · ${t('app.short')}`;

  // Opening the division loads the list when it selects a village; otherwise load it here.
  const start = query.has('division') ? query.get('division') || null : HOME;
  void openDivision(start)
    .catch(fail)
    .then(() => (listCard.dataset.state ? undefined : loadList(null)))
    .finally(() => {
      if (!disposed) root.dataset.ready = '1';
    });
  return () => {
    disposed = true;
  };
}

function describe(e: unknown): string {
  return e instanceof ApiError ? `${e.message} (${e.code})` : (e as Error).message;
}
