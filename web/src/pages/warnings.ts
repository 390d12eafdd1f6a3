// The five-colour warning (五色预警) of the district's areas: a treemap of streets and their
// communities (a street, or a community with grids, opens to the areas under it), each tile in its
// colour with the colour's name printed on it; the counts per colour of each level; the rulebook in
// force; and a table of the same areas for reading without the chart. A click on an area opens a
// panel that explains its colour: the conditions that hold with their values and thresholds and the
// alerts and work orders behind them, its areas with their colours, and its colour history.
// Polled every 2 s. Coded against GET /api/v1/warnings/areas[/{code}] and /warnings/rulebook.

import {
  ApiError,
  colours,
  enc,
  get,
  optional,
  type AreaLevel,
  type AreaWarning,
  type AreaWarningDetail,
  type AreaWarningList,
  type Bilingual,
  type WarningExample,
  type WarningReason,
  type WarningRulebook,
} from '../api';
import { makeChart } from '../charts';
import { colourChip, colourName, colourStyle, pick } from '../dispatch';
import { card, esc, h, link, replace } from '../dom';
import { formatNumber, formatTime, label, t } from '../i18n';

const POLL_MS = 2000;
const LEVELS: readonly AreaLevel[] = ['street', 'community', 'grid'];

// A tile of the treemap: the area's code and colour ride along for the click and the tooltip.
interface Tile {
  name: string;
  code: string;
  colour: string;
  value?: number;
  children?: Tile[];
  itemStyle: Record<string, unknown>;
  label: Record<string, unknown>;
  upperLabel?: Record<string, unknown>;
}

// The most serious first, then by code.
function bySeverity(a: AreaWarning, b: AreaWarning): number {
  return colours.indexOf(a.colour) - colours.indexOf(b.colour) || a.code.localeCompare(b.code);
}

function reasonText(r: WarningReason): string {
  return `${pick(r.label, r.indicator)} ${formatNumber(r.value)}（${t('warnings.at_least', { n: r.at_least })}）`;
}

// A link to what an indicator counted: the work order's page, or the alerts of the alert's type
// (the alerts page lists them; it has no page of one alert).
function exampleLink(e: WarningExample): HTMLElement {
  if (e.kind === 'work_order') return link(`/work-orders/${e.id}`, t('warnings.example_order', { id: e.id }));
  const q = new URLSearchParams({ status: 'all' });
  if (e.type) q.set('type', e.type);
  return h('a', { href: `/alerts?${q}`, 'data-route': '1', 'data-alert': e.id, title: e.type ? label('alert_type', e.type) : '' }, t('warnings.example_alert', { id: e.id }));
}

export function warningsPage(root: HTMLElement, _params: Record<string, string>, query: URLSearchParams): () => void {
  let disposed = false;
  let timer: number | undefined;
  let focus = query.get('focus') ?? '';
  let selected: string | null = query.get('area');
  let onlyWarned = false;
  const lists: Record<AreaLevel, AreaWarningList | null> = { street: null, community: null, grid: null };
  const byCode = new Map<string, AreaWarning>();
  const childrenOf = new Map<string, AreaWarning[]>();
  let indicatorLabels: Record<string, Bilingual> = {};

  // ---- layout
  const error = h('p.error', { role: 'alert' });
  const rulebook = h('span.chip.rulebook', { 'data-testid': 'rulebook' });
  const computed = h('span.muted.small', { 'data-testid': 'computed-at' });
  const counts = h('div.wcounts-all', { 'data-testid': 'colour-counts' });
  const unplaced = h('p.muted.small', { 'data-testid': 'unplaced', hidden: true });
  const crumbs = h('nav.breadcrumb', { 'data-testid': 'map-path' });
  const chartEl = h('div.chart.treemap', { 'data-testid': 'warning-map', role: 'img', 'aria-label': t('warnings.map') });
  const notReady = h('p.empty', { 'data-testid': 'areas-not-ready', hidden: true }, t('warnings.not_ready'));
  const [mapCard, mapBody] = card(t('warnings.map'), 'warning-map-card', h('span.muted.small', t('warnings.map_hint')));
  mapBody.append(crumbs, notReady, chartEl);
  const onlyBox = h('input', {
    type: 'checkbox',
    'data-testid': 'only-warned',
    onchange: (e: Event) => {
      onlyWarned = (e.target as HTMLInputElement).checked;
      filterRows();
    },
  });
  const [listCard, listBody] = card(t('warnings.list'), 'warning-list', h('label.check.small', onlyBox, ` ${t('warnings.only_warned')}`));
  const tableBox = h('div.scroll.tall');
  listBody.append(tableBox);
  const panelTitle = h('h2');
  const panelBody = h('div.card-body');
  const panel = h(
    'section.card.area-panel',
    { 'data-testid': 'area-panel', hidden: true, 'aria-live': 'polite' },
    h(
      'header.card-head',
      panelTitle,
      h('button.ghost.small', { type: 'button', 'data-testid': 'panel-close', onclick: () => choose(null) }, t('warnings.close_panel')),
    ),
    panelBody,
  );
  replace(
    root,
    h(
      'div.warnings-page',
      h('div.page-head', h('h1.page-title', t('warnings.title')), rulebook, computed),
      error,
      counts,
      unplaced,
      h('div.grid-warnings', h('div.stack', mapCard, listCard), panel),
    ),
  );
  document.title = `${t('warnings.title')} · ${t('app.short')}`;
  const chart = makeChart(chartEl);
  chart.on('click', (p: any) => {
    const code = p?.data?.code;
    if (typeof code === 'string') choose(code);
  });

  const syncUrl = () => {
    const q = new URLSearchParams();
    if (focus) q.set('focus', focus);
    if (selected) q.set('area', selected);
    const s = q.toString();
    history.replaceState(null, '', `/warnings${s ? `?${s}` : ''}`);
  };

  // An area chosen on the map, in the table or in the panel: its panel opens, and the map opens to
  // the areas under it when it has any.
  const choose = (code: string | null) => {
    selected = code;
    const area = code ? byCode.get(code) : undefined;
    if (area && (childrenOf.get(area.code)?.length ?? 0) > 0) focus = area.code;
    else if (area?.level === 'grid' && area.parent) focus = area.parent;
    panel.hidden = !code;
    syncUrl();
    drawMap();
    markSelected();
    shownDetail = '';
    if (code) void loadDetail();
  };

  const setFocus = (code: string) => {
    focus = code;
    syncUrl();
    drawMap();
  };

  // ---- the map
  const tile = (a: AreaWarning, depth: number): Tile => {
    const style = colourStyle[a.colour] ?? colourStyle.green;
    const kids = depth > 0 ? (childrenOf.get(a.code) ?? []) : [];
    const node: Tile = {
      name: a.name,
      code: a.code,
      colour: a.colour,
      itemStyle: { color: style.fill, borderColor: kids.length ? style.fill : '#07142b', borderWidth: kids.length ? 3 : 1, gapWidth: kids.length ? 2 : 0 },
      label: { color: style.text },
    };
    if (kids.length) {
      node.children = kids.map((k) => tile(k, depth - 1));
      node.upperLabel = { color: style.text };
    } else {
      node.value = 1;
    }
    return node;
  };

  let drawnMap = '';
  const drawMap = () => {
    const chain: AreaWarning[] = [];
    for (let a = byCode.get(focus); a; a = a.parent ? byCode.get(a.parent) : undefined) chain.unshift(a);
    if (focus && chain.length === 0 && byCode.size > 0) focus = ''; // an area that is no more
    replace(
      crumbs,
      focus
        ? h('button.link', { type: 'button', 'data-code': '', onclick: () => setFocus('') }, t('warnings.district'))
        : h('span.current', { 'data-code': '' }, t('warnings.district')),
      chain.map((a, i) => [
        h('span.sep', '›'),
        i === chain.length - 1
          ? h('span.current', { 'data-code': a.code }, a.name, ' ', colourChip(a.colour))
          : h('button.link', { type: 'button', 'data-code': a.code, onclick: () => setFocus(a.code) }, a.name),
      ]),
    );
    const top = focus ? (childrenOf.get(focus) ?? []) : (lists.street?.items ?? []);
    notReady.hidden = top.length > 0 || lists.street === null;
    const data = top.map((a) => tile(a, 1));
    const key = JSON.stringify([focus, data]);
    if (key === drawnMap) return;
    drawnMap = key;
    chart.resize(); // the panel may have just opened beside it: lay the tiles out at today's size
    chart.setOption(
      {
        animation: false,
        tooltip: {
          formatter: (p: any) => {
            const a = byCode.get(p?.data?.code);
            if (!a) return esc(p?.name);
            const why = a.reasons.map((r) => esc(reasonText(r))).join('<br/>');
            return `${esc(a.name)} · ${esc(colourName(a.colour))}${why ? `<br/>${why}` : ''}`;
          },
        },
        series: [
          {
            type: 'treemap',
            id: 'areas',
            animation: false, // the treemap animates its layout changes even without the global animation
            animationDurationUpdate: 0,
            roam: false,
            nodeClick: false,
            breadcrumb: { show: false },
            left: 0,
            top: 0,
            width: '100%',
            height: '100%',
            visibleMin: 0,
            // The root: no band of its own, the card's colour between the top-level tiles.
            levels: [{ itemStyle: { color: '#0d2142', borderColor: '#0d2142', borderWidth: 0, gapWidth: 3 }, upperLabel: { show: false } }],
            label: {
              show: true,
              formatter: (p: any) => `${p.name}\n${colourName(p.data?.colour ?? '')}`,
              fontSize: 13,
              lineHeight: 16,
              overflow: 'truncate',
            },
            upperLabel: {
              show: true,
              height: 22,
              fontWeight: 'bold',
              formatter: (p: any) => `${p.name} · ${colourName(p.data?.colour ?? '')}`,
            },
            data,
          },
        ],
      },
      { notMerge: true }, // a new layout: the treemap keeps no zoom of the areas shown before
    );
  };

  // ---- the table: every street, its communities and their grids
  const rows = new Map<string, HTMLElement>();
  let tableKey = '';
  const rowCells = (a: AreaWarning): HTMLElement[] => [
    h('td.wcolour', colourChip(a.colour)),
    h('td.wrap.small', a.reasons.length ? a.reasons.map(reasonText).join('；') : h('span.muted', '—')),
    h('td.nowrap.small', a.since ? formatTime(a.since, true) : '—'),
  ];
  const drawTable = () => {
    const ordered: AreaWarning[] = [];
    const walk = (a: AreaWarning) => {
      ordered.push(a);
      for (const c of childrenOf.get(a.code) ?? []) walk(c);
    };
    for (const s of lists.street?.items ?? []) walk(s);
    const key = ordered.map((a) => `${a.code}:${a.name}`).join('|');
    if (key !== tableKey) {
      tableKey = key;
      rows.clear();
      replace(
        tableBox,
        ordered.length === 0
          ? h('p.empty', t('warnings.not_ready'))
          : h(
              'table.table.warning-table',
              h('thead', h('tr', h('th', t('warnings.area')), h('th', t('warnings.level')), h('th', t('warnings.colour')), h('th', t('warnings.reasons')), h('th', t('warnings.since')))),
              h(
                'tbody',
                ordered.map((a) => {
                  const tr = h(
                    `tr.lvl-${a.level}`,
                    { 'data-testid': `area-row-${a.code}`, 'data-code': a.code, 'data-level': a.level, 'data-colour': a.colour },
                    h(
                      'td.name',
                      h('button.link.area-name', { type: 'button', onclick: () => choose(a.code) }, a.name),
                      h('span.mono.small.muted', ` ${a.code}`),
                    ),
                    h('td.nowrap', label('area_level', a.level)),
                    rowCells(a),
                  );
                  rows.set(a.code, tr);
                  return tr;
                }),
              ),
            ),
      );
    } else {
      for (const a of ordered) {
        const tr = rows.get(a.code);
        if (!tr) continue;
        const signature = JSON.stringify([a.colour, a.reasons.map(reasonText), a.since]);
        if (tr.dataset.signature === signature) continue;
        tr.dataset.signature = signature;
        tr.dataset.colour = a.colour;
        const cells = [...tr.children];
        cells.slice(2).forEach((c) => c.remove());
        tr.append(...rowCells(a));
      }
    }
    filterRows();
    markSelected();
  };
  const filterRows = () => {
    for (const [code, tr] of rows) tr.hidden = onlyWarned && byCode.get(code)?.colour === 'green';
  };
  const markSelected = () => {
    for (const [code, tr] of rows) tr.classList.toggle('selected', code === selected);
  };

  // ---- counts and the rulebook
  const drawCounts = () => {
    replace(
      counts,
      LEVELS.filter((l) => (lists[l]?.items.length ?? 0) > 0).map((l) =>
        h(
          'div.wcounts',
          { 'data-level': l },
          h('span.wcounts-level', label('area_level', l)),
          colours.map((c) =>
            h(
              `span.wcount.w-${c}`,
              { 'data-testid': `count-${l}-${c}`, 'data-colour': c, 'data-value': lists[l]!.counts[c] ?? 0 },
              `${colourName(c)} ${formatNumber(lists[l]!.counts[c] ?? 0)}`,
            ),
          ),
        ),
      ),
    );
    const streets = lists.street;
    if (streets) {
      rulebook.textContent = t('warnings.rulebook', { name: streets.rulebook.name, version: streets.rulebook.version });
      rulebook.dataset.version = streets.rulebook.version;
      computed.textContent = streets.computed_at ? t('warnings.computed', { at: formatTime(streets.computed_at) }) : '';
      const lost = Object.entries(streets.unplaced ?? {}).filter(([, n]) => n > 0);
      unplaced.hidden = lost.length === 0;
      unplaced.textContent = t('warnings.unplaced', {
        list: lost.map(([k, n]) => `${pick(indicatorLabels[k], k)} ${formatNumber(n)}`).join('，'),
      });
    }
  };

  // ---- the panel
  let shownDetail = '';
  let detailSeq = 0;
  const loadDetail = async () => {
    const code = selected;
    if (!code) return;
    const mine = ++detailSeq;
    try {
      const d = await get<AreaWarningDetail>(`/api/v1/warnings/areas/${enc(code)}`);
      if (disposed || mine !== detailSeq || selected !== code) return;
      const key = JSON.stringify(d);
      if (key !== shownDetail) {
        shownDetail = key;
        drawPanel(d);
      }
    } catch (e) {
      if (disposed || mine !== detailSeq) return;
      if (e instanceof ApiError && e.status === 404) {
        choose(null);
        return;
      }
      error.textContent = t('common.error', { message: (e as Error).message });
    }
  };

  const drawPanel = (d: AreaWarningDetail) => {
    panel.hidden = false;
    panel.dataset.code = d.code;
    panel.dataset.colour = d.colour;
    replace(panelTitle, d.name);
    const indicatorRows = Object.entries(d.indicators ?? {});
    const reasonFor = new Map(d.reasons.map((r) => [r.indicator, r]));
    replace(
      panelBody,
      h(
        'div.panel-head',
        h('span.wchip.big', { 'data-testid': 'panel-colour', 'data-colour': d.colour, class: `w-${d.colour}` }, colourName(d.colour)),
        h('span', label('area_level', d.level)),
        h('span.mono.small.muted', d.code),
        d.since ? h('span.muted.small', `${t('warnings.since')} ${formatTime(d.since, true)}`) : null,
      ),
      d.ancestors.length
        ? h(
            'div.breadcrumb.small',
            d.ancestors.map((a, i) => [i ? h('span.sep', '›') : null, h('button.link', { type: 'button', onclick: () => choose(a.code) }, a.name)]),
          )
        : null,
      h('h3', t('warnings.reasons')),
      d.reasons.length === 0
        ? h('p.muted', { 'data-testid': 'panel-no-reason' }, t('warnings.no_reason'))
        : h(
            'table.table.reasons',
            { 'data-testid': 'panel-reasons' },
            h('thead', h('tr', h('th', t('warnings.indicator')), h('th.num', t('warnings.value')), h('th.num', t('warnings.threshold')), h('th', t('warnings.examples')))),
            h(
              'tbody',
              d.reasons.map((r) =>
                h(
                  'tr',
                  { 'data-testid': `reason-${r.indicator}`, 'data-indicator': r.indicator },
                  h('td', pick(r.label, r.indicator), h('div.mono.small.muted', r.indicator)),
                  h('td.num', { 'data-value': r.value }, formatNumber(r.value)),
                  h('td.num', { 'data-value': r.at_least }, t('warnings.at_least', { n: r.at_least })),
                  h('td.examples', r.examples.length ? r.examples.map((e) => [exampleLink(e), ' ']) : '—'),
                ),
              ),
            ),
          ),
      indicatorRows.length
        ? h(
            'details.indicators',
            h('summary', t('warnings.indicators')),
            h(
              'dl.facts.small',
              { 'data-testid': 'panel-indicators' },
              indicatorRows.map(([k, v]) => [
                h('dt', pick(indicatorLabels[k] ?? reasonFor.get(k)?.label, k)),
                h(`dd${reasonFor.has(k) ? '.hit' : v ? '' : '.muted'}`, { 'data-indicator': k, 'data-value': v }, formatNumber(v)),
              ]),
            ),
          )
        : null,
      h('h3', t('warnings.children')),
      d.children.length === 0
        ? h('p.muted', t('warnings.no_children'))
        : h(
            'ul.plain.area-children',
            { 'data-testid': 'panel-children' },
            [...d.children].sort(bySeverity).map((c) =>
              h(
                'li',
                { 'data-testid': `child-${c.code}`, 'data-colour': c.colour },
                h('button.link', { type: 'button', onclick: () => choose(c.code) }, c.name),
                ' ',
                colourChip(c.colour),
                c.reasons.length ? h('span.muted.small', ` ${c.reasons.map((r) => pick(r.label, r.indicator)).join('、')}`) : null,
              ),
            ),
          ),
      h('h3', t('warnings.history')),
      d.history.length === 0
        ? h('p.muted', t('warnings.no_history'))
        : h(
            'ol.plain.colour-history',
            { 'data-testid': 'panel-history' },
            d.history.map((x) =>
              h(
                'li',
                { 'data-colour': x.colour, 'data-previous': x.previous ?? '' },
                h('span.nowrap.small.muted', formatTime(x.at, true)),
                ' ',
                x.previous ? [colourChip(x.previous), ' → '] : null,
                colourChip(x.colour),
                h(
                  'div.small.muted',
                  (Array.isArray(x.reasons) ? x.reasons : []).map((r) => pick(r.label, r.indicator)).join('、') || t('warnings.no_reason'),
                  ` · ${x.rulebook}`,
                ),
              ),
            ),
          ),
      h('p', link(`/work-orders?area=${enc(d.code)}`, `${t('warnings.open_orders')} →`)),
    );
  };

  // ---- polling
  const load = async () => {
    const [streets, communities, grids] = await Promise.all(
      LEVELS.map((l) => get<AreaWarningList>(`/api/v1/warnings/areas?level=${l}`)),
    );
    if (disposed) return;
    lists.street = streets;
    lists.community = communities;
    lists.grid = grids;
    byCode.clear();
    childrenOf.clear();
    for (const list of [streets, communities, grids]) {
      for (const a of list.items) {
        byCode.set(a.code, a);
        if (!a.parent) continue;
        const kids = childrenOf.get(a.parent) ?? [];
        kids.push(a);
        childrenOf.set(a.parent, kids);
      }
    }
    for (const kids of childrenOf.values()) kids.sort((a, b) => a.code.localeCompare(b.code));
    error.textContent = '';
    drawCounts();
    drawMap();
    drawTable();
    if (selected) await loadDetail();
    root.dataset.ready = '1';
  };

  const tick = async () => {
    try {
      await load();
    } catch (e) {
      if (disposed) return;
      if (e instanceof ApiError && e.status === 404 && e.code === 'not_found') {
        replace(tableBox, h('p.empty', t('common.unavailable', { path: 'GET /api/v1/warnings/areas' })));
        root.dataset.ready = '1';
        return; // no warning module on this server: nothing to poll
      }
      error.textContent = t('common.error', { message: (e as Error).message });
    }
    if (!disposed) timer = window.setTimeout(tick, POLL_MS);
  };

  void optional<WarningRulebook>('/api/v1/warnings/rulebook')
    .then((r) => {
      if (r?.indicators) indicatorLabels = r.indicators;
    })
    .catch(() => undefined);
  panel.hidden = !selected;
  void tick();
  return () => {
    disposed = true;
    window.clearTimeout(timer);
  };
}
