// The base-data overview (三实: real population, housing and units): the district's totals as big
// figures, people, houses, units and alerts per street (a chart and a table that opens to the
// communities), the live records of every source, the base-data alerts by type, and a search of
// people, houses or units — by name, address, phone or ID number, within a community chosen in
// the table — whose results open the files. Coded against GET /api/v1/basedata/figures,
// GET /api/v1/people|houses|units and GET /api/v1/alerts.

import { ApiError, get, optional, type AlertList, type BaseFigures, type BaseKind, type BaseList, type BaseSummary } from '../api';
import { describeError, fillVillages, kinds, knowVillage, nameVillages, Secrets, sourceLabel, summaryRow, summaryTable, villageName } from '../basedata';
import { axisStyle, makeChart, palette } from '../charts';
import { card, esc, h, link, replace } from '../dom';
import { formatNumber, label, t } from '../i18n';

const PAGE = 50;
const COUNTS = ['people', 'houses', 'units', 'alerts'] as const;
export const BASE_ALERT_TYPES = ['house_overcrowded', 'worker_not_in_population', 'unit_address_not_standard', 'person_two_residences'];

function figure(testid: string, title: string): { el: HTMLElement; value: HTMLElement; sub: HTMLElement } {
  const value = h('div.value', '—');
  const sub = h('div.sub');
  return { el: h('div.kpi', { 'data-testid': testid }, h('div.kpi-title', title), value, sub), value, sub };
}

function setFigure(value: HTMLElement, n: number): void {
  value.textContent = formatNumber(n);
  value.dataset.value = String(n);
}

function countCells(x: Record<(typeof COUNTS)[number], number>): HTMLElement[] {
  return COUNTS.map((c) => h(`td.num${c === 'alerts' && x.alerts > 0 ? '.warn' : ''}`, { 'data-field': c, 'data-value': x[c] }, formatNumber(x[c])));
}

export function basedataPage(root: HTMLElement, _params: Record<string, string>, query: URLSearchParams): () => void {
  let disposed = false;
  const error = h('p.error', { role: 'alert' });
  const fail = (e: unknown) => {
    if (!disposed) error.textContent = describeError(e);
  };

  // ---- layout
  const f = {
    people: figure('bd-people', t('basedata.people')),
    houses: figure('bd-houses', t('basedata.houses')),
    units: figure('bd-units', t('basedata.units')),
    alerts: figure('bd-alerts', t('basedata.alerts')),
  };
  f.people.el.classList.add('hero');
  f.alerts.el.classList.add('warn');
  const [streetCard, streetBody] = card(t('basedata.streets'), 'bd-streets', h('span.muted.small', t('basedata.streets_hint')));
  const chartEl = h('div.chart');
  const streetTable = h('div.scroll.tall');
  streetBody.append(chartEl, streetTable);
  const [sourceCard, sourceBody] = card(t('basedata.sources'), 'bd-sources');
  const [alertCard, alertBody] = card(t('basedata.alerts_by_type'), 'bd-alert-types', link('/alerts', t('common.more')));
  alertCard.hidden = true;

  const kindButtons = new Map<BaseKind, HTMLElement>();
  let kind: BaseKind = (['person', 'house', 'unit'] as const).find((k) => kinds[k].path === query.get('kind')) ?? 'person';
  const q = h('input', { type: 'search', name: 'q', value: query.get('q') ?? '', size: 28, 'data-testid': 'bd-q' }) as HTMLInputElement;
  const villageChip = h('span.chip', { 'data-testid': 'bd-village', hidden: true });
  let village: string | null = query.get('village');
  const shown = h('span.count', { 'data-testid': 'bd-count' });
  const [searchCard, searchBody] = card(t('basedata.search'), 'bd-search', shown);
  const results = h('div', { 'data-testid': 'bd-results' });
  const more = h('button.ghost', { type: 'button', hidden: true, 'data-testid': 'bd-more' }, t('addresses.more'));
  const searchError = h('p.error', { role: 'alert', 'data-testid': 'bd-search-error' });
  const switcher = h(
    'div.segmented',
    { role: 'group' },
    (['person', 'house', 'unit'] as const).map((k) => {
      const b = h('button', { type: 'button', 'data-kind': k, 'data-testid': `bd-kind-${k}` }, t(`basedata.${kinds[k].path}`));
      b.addEventListener('click', () => {
        kind = k;
        void search(null);
      });
      kindButtons.set(k, b);
      return b;
    }),
  );
  searchBody.append(
    h(
      'form.filters',
      {
        onsubmit: (e: Event) => {
          e.preventDefault();
          void search(null);
        },
      },
      switcher,
      h('label', t('addresses.search'), q),
      villageChip,
      h('button.primary', { type: 'submit', 'data-testid': 'bd-search-submit' }, t('addresses.query')),
    ),
    searchError,
    results,
    h('div.more', more),
  );

  replace(
    root,
    h(
      'div.basedata-page',
      h(
        'div.page-head',
        h('h1.page-title', t('basedata.title')),
        h('a.head-link', { href: '/linkage/reviews', 'data-route': '1', 'data-testid': 'bd-reviews-link' }, `${t('reviews.title')} →`),
      ),
      error,
      h('div.kpis', f.people.el, f.houses.el, f.units.el, f.alerts.el),
      h('div.grid-basedata', streetCard, h('div.stack', sourceCard, alertCard)),
      searchCard,
    ),
  );
  document.title = `${t('basedata.title')} · ${t('app.short')}`;
  const chart = makeChart(chartEl);

  // ---- figures
  const openStreets = new Set<string>();
  const toggleStreet = (code: string) => {
    if (openStreets.has(code)) openStreets.delete(code);
    else openStreets.add(code);
    for (const tr of streetTable.querySelectorAll<HTMLElement>(`tr[data-street="${code}"]`)) tr.hidden = !openStreets.has(code);
    streetTable.querySelector(`tr[data-code="${code}"]`)?.classList.toggle('open', openStreets.has(code));
  };

  const showFigures = (fig: BaseFigures) => {
    for (const c of COUNTS) setFigure(f[c].value, fig.totals[c]);
    replace(f.people.sub, t('basedata.unplaced_people', { n: formatNumber(fig.unplaced.people) }));
    replace(f.units.sub, t('basedata.unplaced_units', { n: formatNumber(fig.unplaced.units) }));
    replace(f.alerts.sub, link('/alerts', t('basedata.to_alerts')));
    for (const s of fig.streets) for (const c of s.communities) knowVillage(c.code, c.name);

    const streets = fig.streets;
    chart.setOption({
      animation: false,
      grid: { left: 8, right: 12, top: 30, bottom: 4, containLabel: true },
      legend: { top: 0, textStyle: { color: palette.text } },
      tooltip: {
        trigger: 'axis',
        axisPointer: { type: 'shadow' },
        formatter: (ps: any[]) =>
          `${esc(ps[0]?.name)}<br/>${ps.map((p) => `${p.marker}${esc(p.seriesName)} ${esc(formatNumber(p.value))}`).join('<br/>')}`,
      },
      xAxis: { type: 'category', data: streets.map((s) => s.name), ...axisStyle, axisLabel: { color: palette.muted, interval: 0 } },
      yAxis: { type: 'value', ...axisStyle },
      series: (['people', 'houses', 'units', 'alerts'] as const).map((c, i) => ({
        name: t(`basedata.${c}`),
        type: 'bar',
        barMaxWidth: 18,
        itemStyle: { color: [palette.accent, palette.allow, palette.yellow, palette.orange][i] },
        data: streets.map((s) => s[c]),
      })),
    });
    chart.off('click');
    chart.on('click', (p: any) => {
      const s = streets[p.dataIndex];
      if (s && !openStreets.has(s.code)) toggleStreet(s.code);
      streetTable.querySelector(`tr[data-code="${s?.code}"]`)?.scrollIntoView({ block: 'nearest' });
    });

    const rows: HTMLElement[] = [];
    for (const s of streets) {
      const open = openStreets.has(s.code);
      rows.push(
        h(
          `tr.street${open ? '.open' : ''}`,
          { 'data-code': s.code },
          h(
            'td',
            h('button.link.expand', { type: 'button', 'aria-label': t('basedata.expand'), onclick: () => toggleStreet(s.code) }, h('span.caret', '▸'), ` ${s.name}`),
            h('span.muted.small', ` · ${t('basedata.communities', { n: s.communities.length })}`),
          ),
          countCells(s),
        ),
      );
      for (const c of s.communities) {
        rows.push(
          h(
            'tr.community',
            { 'data-code': c.code, 'data-street': s.code, hidden: !open },
            h('td', h('button.link', { type: 'button', title: t('basedata.filter_by', { name: c.name }), onclick: () => chooseVillage(c.code) }, c.name)),
            countCells(c),
          ),
        );
      }
    }
    rows.push(h('tr.unplaced', { 'data-code': 'unplaced' }, h('td.muted', t('basedata.unplaced')), countCells(fig.unplaced)));
    replace(
      streetTable,
      h(
        'table.table.bd-streets',
        h('thead', h('tr', h('th', t('table.street')), COUNTS.map((c) => h('th.num', t(`basedata.${c}`))))),
        h('tbody', rows),
        h('tfoot', h('tr', { 'data-code': 'total' }, h('th', t('basedata.total')), countCells(fig.totals))),
      ),
    );

    const max = Math.max(1, ...fig.sources.map((s) => s.records));
    const sources = [...fig.sources].sort((a, b) => a.kind.localeCompare(b.kind) || b.records - a.records);
    replace(
      sourceBody,
      sources.length === 0
        ? h('p.empty', t('common.none'))
        : h(
            'table.table.bd-sources',
            h('thead', h('tr', h('th', t('basedata.source')), h('th', t('addresses.kind')), h('th.num', t('basedata.live_records')))),
            h(
              'tbody',
              sources.map((s) =>
                h(
                  'tr',
                  { 'data-source': s.source, 'data-kind': s.kind },
                  h('td', sourceLabel(s.source), h('div.mono.small.muted', s.source)),
                  h('td.nowrap', label('bd_kind', s.kind)),
                  h(
                    'td.num',
                    { 'data-value': s.records },
                    h('div.meter', h('div.meter-fill', { style: { width: `${((s.records / max) * 100).toFixed(1)}%` } })),
                    formatNumber(s.records),
                  ),
                ),
              ),
            ),
          ),
    );
  };

  const loadAlertTypes = async () => {
    const a = await optional<AlertList>('/api/v1/alerts?limit=1');
    if (!a || disposed) return;
    alertCard.hidden = false;
    replace(
      alertBody,
      h(
        'ul.plain.bd-alert-types',
        BASE_ALERT_TYPES.map((type) =>
          h(
            'li',
            { 'data-type': type },
            link(`/alerts?type=${type}`, label('alert_type', type)),
            h('span.num', { 'data-value': a.counts.by_type?.[type] ?? 0 }, formatNumber(a.counts.by_type?.[type] ?? 0)),
          ),
        ),
      ),
    );
  };

  // ---- search
  let items: BaseSummary[] = [];
  let cursor: string | null = null;
  let seq = 0;
  let secrets = new Secrets();

  const chooseVillage = (code: string | null) => {
    village = code;
    void search(null);
    if (code) searchCard.scrollIntoView({ block: 'start', behavior: 'smooth' });
  };

  const syncUrl = () => {
    const u = new URLSearchParams();
    if (kind !== 'person') u.set('kind', kinds[kind].path);
    if (q.value.trim()) u.set('q', q.value.trim());
    if (village) u.set('village', village);
    const s = u.toString();
    history.replaceState(null, '', `/basedata${s ? `?${s}` : ''}`);
  };

  const search = async (from: string | null) => {
    const mine = ++seq;
    for (const [k, b] of kindButtons) b.setAttribute('aria-pressed', String(k === kind));
    q.placeholder = t(`basedata.q_${kind}`);
    villageChip.hidden = !village;
    if (village) {
      replace(
        villageChip,
        t('addresses.village_filter', { name: '' }),
        h('span', { 'data-village': village }, h('span.village-name', villageName(village))),
        h('button.link', { type: 'button', title: t('addresses.clear'), 'data-testid': 'bd-village-clear', onclick: () => chooseVillage(null) }, '✕'),
      );
    }
    if (!from) syncUrl();
    const u = new URLSearchParams({ limit: String(PAGE) });
    if (q.value.trim()) u.set('q', q.value.trim());
    if (village) u.set('village', village);
    if (from) u.set('cursor', from);
    searchCard.dataset.state = 'loading';
    searchCard.dataset.kind = kind;
    more.setAttribute('disabled', '');
    try {
      const list = await get<BaseList>(`/api/v1/${kinds[kind].path}?${u}`);
      if (disposed || mine !== seq) return;
      searchError.textContent = '';
      if (!from) secrets = new Secrets();
      items = from ? [...items, ...list.items] : list.items;
      cursor = list.next_cursor;
      more.hidden = !cursor;
      shown.textContent = t('addresses.shown', { n: formatNumber(items.length) });
      shown.dataset.value = String(items.length);
      const tbody = results.querySelector('tbody');
      if (from && tbody) tbody.append(...list.items.map((x) => summaryRow(kind, x, secrets)));
      else replace(results, summaryTable(kind, items, secrets, 'bd-results-table'));
      searchCard.dataset.state = 'done';
      await nameVillages([...items.map((x) => x.village), village]);
      if (disposed || mine !== seq) return;
      fillVillages(results);
      fillVillages(villageChip);
    } catch (e) {
      if (disposed || mine !== seq) return;
      searchCard.dataset.state = 'failed';
      replace(results);
      shown.textContent = '';
      const denied = e instanceof ApiError && e.status === 403;
      if (denied && !/^[0-9]{17}[0-9Xx]$/.test(q.value.trim())) fail(e); // no right to base data at all: said once, above
      else searchError.textContent = denied ? t('basedata.no_pii') : describeError(e);
    } finally {
      more.removeAttribute('disabled');
    }
  };
  more.addEventListener('click', () => void search(cursor));

  void Promise.all([
    get<BaseFigures>('/api/v1/basedata/figures').then((fig) => {
      if (!disposed) showFigures(fig);
    }),
    loadAlertTypes().catch(fail),
    search(null),
  ])
    .catch((e) => {
      if (e instanceof ApiError && e.status === 404 && e.code === 'not_found') {
        replace(streetTable, h('p.empty', t('common.unavailable', { path: 'GET /api/v1/basedata/figures' })));
        return;
      }
      fail(e);
    })
    .finally(() => {
      if (!disposed) root.dataset.ready = '1';
    });
  return () => {
    disposed = true;
  };
}
