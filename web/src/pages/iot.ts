// IoT (物联感知): the fire-safety devices and tower cranes of the district. The list page: the
// figures of GET /api/v1/iot/stats (devices by state, open alarms, messages received and dropped),
// filters (kind, state, search), the devices with cursor paging, a row opening the device's page.
// The device's page: its state and last message; a crane's latest readings and operator (the
// current session and the recent ones); a fire device's parts with their status flags and analog
// values; its alarms with recovery and verdict, and — for those with iot.duty — the buttons that
// give an alarm without a verdict one (POST /api/v1/iot/alarms/{id}/verdict; a false alarm
// resolves its alert). Both pages refresh every 5 s with one timer, redrawing only what changed,
// and at once when the live feed brings an IoT alarm (the list: any; a device's page: its own).

import {
  ApiError,
  enc,
  fireKinds,
  get,
  iotKinds,
  iotStates,
  post,
  type CraneSession,
  type IotAlarm,
  type IotDevice,
  type IotDeviceDetail,
  type IotDeviceList,
  type IotPart,
  type IotStats,
  type IotVerdict,
} from '../api';
import { card, h, link, replace } from '../dom';
import { formatFullTime, formatNumber, formatTime, label, lang, t } from '../i18n';
import { onIotAlarm } from '../live';
import { navigate } from '../nav';
import { currentSession, hasRight } from '../session';
import { askNote } from './alerts';

const PAGE = 100;
const POLL_MS = 5000;

function describe(e: unknown): string {
  if (e instanceof ApiError) return t('common.error', { message: `${e.message} (${e.code}${e.details.field ? ` · ${e.details.field}` : ''})` });
  return t('common.error', { message: (e as Error).message });
}

// <span class="badge online" data-state="online">在线</span>: green online, red offline, grey never.
function stateChip(state: string, testid?: string): HTMLElement {
  return h(`span.badge.iot-state.${state}`, { 'data-state': state, ...(testid ? { 'data-testid': testid } : {}) }, label('iot_state', state));
}

function kindText(kind: string): string {
  return label('iot_kind', kind);
}

function decimal(n: number, digits: number): string {
  return new Intl.NumberFormat(lang(), { maximumFractionDigits: digits }).format(n);
}

// A reading with its unit: the moment and load ratios as percentages, the rest in their units.
const units: Record<string, (v: number) => string> = {
  load_t: (v) => `${decimal(v, 2)} t`,
  radius_m: (v) => `${decimal(v, 1)} m`,
  moment_ratio: (v) => `${decimal(v * 100, 1)} %`,
  load_ratio: (v) => `${decimal(v * 100, 1)} %`,
  wind_speed_ms: (v) => `${decimal(v, 1)} m/s`,
  tilt_permille: (v) => `${decimal(v, 1)} ‰`,
  height_m: (v) => `${decimal(v, 1)} m`,
  slew_deg: (v) => `${decimal(v, 0)}°`,
  residual_current_ma: (v) => `${decimal(v, 0)} mA`,
  temperature_c: (v) => `${decimal(v, 1)} °C`,
  pressure_mpa: (v) => `${decimal(v, 3)} MPa`,
};
// The crane's readings first, in the order a crane driver's display shows them.
const valueOrder = ['load_t', 'radius_m', 'moment_ratio', 'load_ratio', 'wind_speed_ms', 'tilt_permille', 'height_m', 'slew_deg', 'residual_current_ma', 'temperature_c', 'pressure_mpa'];

function valueText(key: string, v: unknown): string {
  if (typeof v === 'number') return units[key]?.(v) ?? decimal(v, 3);
  if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v)) return formatFullTime(v);
  if (v === null || v === undefined) return '—';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function percent(score: number): string {
  return `${decimal(score * 100, 1)} %`;
}

// ---- the list

export function iotPage(root: HTMLElement, _params: Record<string, string>, query: URLSearchParams): () => void {
  let disposed = false;
  let timer: number | undefined;
  const error = h('p.error', { role: 'alert' });

  const kpi = (testid: string, title: string) => {
    const value = h('div.value', '—');
    const sub = h('div.sub');
    const el = h('div.kpi', { 'data-testid': testid }, h('div.kpi-title', title), value, sub);
    return { el, value, sub };
  };
  const k = {
    total: kpi('iot-kpi-total', t('iot.kpi_total')),
    online: kpi('iot-kpi-online', t('iot.kpi_online')),
    offline: kpi('iot-kpi-offline', t('iot.kpi_offline')),
    never: kpi('iot-kpi-never', t('iot.kpi_never')),
    alarms: kpi('iot-kpi-alarms', t('iot.kpi_alarms')),
    received: kpi('iot-kpi-received', t('iot.kpi_received')),
    dropped: kpi('iot-kpi-dropped', t('iot.kpi_dropped')),
  };
  const setKpi = (x: { value: HTMLElement }, n: number) => {
    const text = formatNumber(n);
    if (x.value.textContent !== text) x.value.textContent = text;
    x.value.dataset.value = String(n);
  };
  const setSub = (x: { sub: HTMLElement }, text: string) => {
    if (x.sub.textContent !== text) x.sub.textContent = text;
  };

  const select = (name: string, options: [string, string][], value: string) =>
    h(
      'select',
      { name, 'data-testid': `filter-${name}` },
      options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)),
    ) as HTMLSelectElement;
  const kind = select('kind', [['', t('common.all')], ...iotKinds.map((x): [string, string] => [x, kindText(x)])], query.get('kind') ?? '');
  const state = select('state', [['', t('common.all')], ...iotStates.map((x): [string, string] => [x, label('iot_state', x)])], query.get('state') ?? '');
  const q = h('input', { name: 'q', type: 'search', size: 22, maxlength: 100, placeholder: t('iot.search_hint'), value: query.get('q') ?? '', 'data-testid': 'filter-q' }) as HTMLInputElement;
  const project = query.get('project') ?? ''; // from a project's page: kept, not a field of the form
  const total = h('span.count', { 'data-testid': 'iot-total' });
  const counts = h('div.status-counts', { 'data-testid': 'iot-state-counts' });
  const [listCard, listBody] = card(t('iot.list'), 'iot-list', total);
  const more = h('button.ghost', { type: 'button', hidden: true, 'data-testid': 'iot-more' }, t('iot.more'));
  const form = h(
    'form.filters',
    {
      onsubmit: (e: Event) => {
        e.preventDefault();
        void reload();
      },
    },
    h('label', t('iot.kind'), kind),
    h('label', t('iot.state'), state),
    h('label', t('iot.search'), q),
    h('button.primary', { type: 'submit', 'data-testid': 'filter-submit' }, t('iot.filter')),
  );
  kind.addEventListener('change', () => void reload());
  state.addEventListener('change', () => void reload());
  const kpis = h('div.kpis', Object.values(k).map((x) => x.el));
  replace(root, h('div.iot-page', h('div.page-head', h('h1.page-title', t('iot.title'))), error, kpis, form, counts, listCard, h('div.more', more)));
  document.title = `${t('iot.title')} · ${t('app.short')}`;

  let items: IotDevice[] = [];
  let cursor: string | null = null;
  let pages = 1; // pages loaded with "more": each refresh asks for as many again
  let seq = 0;
  let refreshes = 0;

  const filterQuery = () => {
    const p = new URLSearchParams();
    if (kind.value) p.set('kind', kind.value);
    if (state.value) p.set('state', state.value);
    if (q.value.trim()) p.set('q', q.value.trim());
    if (project) p.set('project', project);
    return p;
  };

  // ---- figures
  const drawStats = (s: IotStats) => {
    const by = s.devices.by_state ?? {};
    setKpi(k.total, s.devices.total);
    const cranes = s.devices.by_kind?.tower_crane ?? 0; // every other kind is a fire-safety device
    setSub(k.total, t('iot.kpi_total_sub', { fire: formatNumber(s.devices.total - cranes), crane: formatNumber(cranes) }));
    setKpi(k.online, by.online ?? 0);
    setSub(k.online, s.devices.total > 0 ? t('iot.kpi_online_sub', { rate: percent((by.online ?? 0) / s.devices.total) }) : '');
    setKpi(k.offline, by.offline ?? 0);
    k.offline.el.classList.toggle('warn', (by.offline ?? 0) > 0);
    setKpi(k.never, by.never ?? 0);
    setKpi(k.alarms, s.alarms.open);
    k.alarms.el.classList.toggle('warn', s.alarms.open > 0);
    setSub(
      k.alarms,
      Object.entries(s.alarms.by_type ?? {})
        .filter(([, n]) => n > 0)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([type, n]) => `${label('alert_type', type)} ${formatNumber(n)}`)
        .join(' · '),
    );
    setKpi(k.received, s.messages.received);
    setKpi(k.dropped, s.messages.dropped);
    setSub(
      k.dropped,
      Object.entries(s.messages.dropped_by_code ?? {})
        .filter(([, n]) => n > 0)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([code, n]) => `${label('iot_drop', code)} ${formatNumber(n)}`)
        .join(' · '),
    );
  };

  // ---- the table: rows kept by device id and rebuilt only when the device changed
  const rows = new Map<number, HTMLElement>();
  let table: HTMLElement | null = null;
  let tbody: HTMLElement | null = null;
  const row = (d: IotDevice) =>
    h(
      `tr.clickable${d.open_alarms > 0 ? '.alarmed' : ''}`,
      {
        'data-testid': `device-row-${d.id}`,
        'data-device': d.id,
        'data-kind': d.kind,
        'data-state': d.state,
        'data-open-alarms': d.open_alarms,
        onclick: (e: MouseEvent) => {
          if ((e.target as Element).closest('a')) return; // the links route themselves
          navigate(`/iot/devices/${d.id}`);
        },
      },
      h('td.nowrap.mono', link(`/iot/devices/${d.id}`, d.serial)),
      h('td.nowrap', kindText(d.kind), d.model ? h('div.small.muted', d.model) : null),
      h('td.wrap', d.name),
      h(
        'td.wrap',
        d.project_code ? link(`/projects/${enc(d.project_code)}`, d.project_code) : null,
        d.address ? h(d.project_code ? 'div.small.muted' : 'span', d.address) : null,
        !d.project_code && !d.address ? '—' : null,
      ),
      h('td', stateChip(d.state)),
      h('td.nowrap.small', d.last_seen ? formatTime(d.last_seen, true) : h('span.muted', t('iot.never_seen'))),
      h('td.num', { 'data-value': d.open_alarms }, d.open_alarms > 0 ? h('span.badge.alert-open', formatNumber(d.open_alarms)) : h('span.muted', '0')),
    );
  const drawTable = () => {
    if (items.length === 0) {
      rows.clear();
      table = tbody = null;
      replace(listBody, h('p.empty', { 'data-testid': 'iot-none' }, t('iot.none')));
      return;
    }
    if (!table || !tbody) {
      tbody = h('tbody');
      table = h(
        'table.table.iot-devices',
        h(
          'thead',
          h('tr', [t('iot.serial'), t('iot.kind'), t('iot.name'), t('iot.location'), t('iot.state'), t('iot.last_seen'), t('iot.open_alarms')].map((x, i) => h(i === 6 ? 'th.num' : 'th', x))),
        ),
        tbody,
      );
      replace(listBody, table);
    }
    const keep = new Set<number>();
    const wanted: HTMLElement[] = [];
    for (const d of items) {
      const signature = JSON.stringify(d);
      let tr = rows.get(d.id);
      if (!tr || tr.dataset.signature !== signature) {
        const fresh = row(d);
        fresh.dataset.signature = signature;
        if (tr) tr.replaceWith(fresh);
        tr = fresh;
        rows.set(d.id, tr);
      }
      keep.add(d.id);
      wanted.push(tr);
    }
    for (const [id, tr] of rows) {
      if (keep.has(id)) continue;
      tr.remove();
      rows.delete(id);
    }
    // In the list's order, moving only the rows out of place.
    wanted.forEach((tr, i) => {
      if (tbody!.children[i] !== tr) tbody!.insertBefore(tr, tbody!.children[i] ?? null);
    });
  };

  const drawCounts = (list: IotDeviceList) => {
    total.textContent = t('iot.total', { n: formatNumber(list.counts?.total ?? items.length) });
    total.dataset.value = String(list.counts?.total ?? items.length);
    const signature = JSON.stringify([state.value, list.counts?.by_state, list.counts?.by_kind, lang()]);
    if (counts.dataset.signature === signature) return;
    counts.dataset.signature = signature;
    replace(
      counts,
      iotStates.map((s) =>
        h(
          `button.status-count${state.value === s ? '.active' : ''}`,
          {
            type: 'button',
            'data-testid': `state-count-${s}`,
            'data-value': list.counts?.by_state?.[s] ?? 0,
            onclick: () => {
              state.value = state.value === s ? '' : s;
              void reload();
            },
          },
          stateChip(s),
          ` ${formatNumber(list.counts?.by_state?.[s] ?? 0)}`,
        ),
      ),
      Object.entries(list.counts?.by_kind ?? {})
        .filter(([, n]) => (n ?? 0) > 0)
        .map(([x, n]) => h('span.badge.kind-count', { 'data-kind': x, 'data-value': n }, `${kindText(x)} ${formatNumber(n ?? 0)}`)),
    );
  };

  // Asks for the first `count` pages of the filtered list.
  const fetchPages = async (filters: URLSearchParams, count: number) => {
    let got: IotDevice[] = [];
    let next: string | null = null;
    let first: IotDeviceList | null = null;
    for (let i = 0; i < count; i++) {
      const p = new URLSearchParams(filters);
      p.set('limit', String(PAGE));
      if (next) p.set('cursor', next);
      const list: IotDeviceList = await get<IotDeviceList>(`/api/v1/iot/devices?${p}`);
      first ??= list;
      got = got.concat(list.items);
      next = list.next_cursor;
      if (!next) break;
    }
    return { list: first!, items: got, cursor: next };
  };

  let unavailable = false;
  const load = async () => {
    const mine = ++seq;
    const filters = filterQuery();
    const shown = filters.toString();
    history.replaceState(null, '', `/iot${shown ? `?${shown}` : ''}`);
    listCard.dataset.state = 'loading';
    try {
      const [answer, stats] = await Promise.all([
        fetchPages(filters, pages),
        get<IotStats>('/api/v1/iot/stats').catch((e) => {
          if (e instanceof ApiError && e.status === 404) return null;
          throw e;
        }),
      ]);
      if (disposed || mine !== seq) return;
      error.textContent = '';
      items = answer.items;
      cursor = answer.cursor;
      more.hidden = !cursor;
      if (stats) drawStats(stats);
      drawCounts(answer.list);
      drawTable();
      listCard.dataset.state = 'done';
      root.dataset.refreshes = String(++refreshes);
    } catch (e) {
      if (disposed || mine !== seq) return;
      listCard.dataset.state = 'failed';
      if (e instanceof ApiError && e.status === 404 && e.code === 'not_found') {
        unavailable = true;
        form.hidden = true;
        kpis.hidden = true;
        replace(listBody, h('p.empty', { 'data-testid': 'iot-unavailable' }, t('common.unavailable', { path: 'GET /api/v1/iot/devices' })));
        return;
      }
      error.textContent = describe(e);
    } finally {
      if (!disposed && mine === seq) root.dataset.ready = '1';
    }
  };

  // One timer for the page: every run (a refresh, a new filter, "more") sets it again.
  let running = 0;
  let stale = false; // an alarm came during a run: the next one at once
  const poll = async () => {
    running++;
    stale = false;
    try {
      await load();
    } finally {
      running--;
    }
    if (disposed || unavailable) return;
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void poll(), stale ? 0 : POLL_MS);
  };
  // An IoT alarm: the figures and rows now, one run at a time (a burst asks for one more run).
  const offAlarm = onIotAlarm(() => {
    if (disposed || unavailable) return;
    if (running > 0) {
      stale = true;
      return;
    }
    window.clearTimeout(timer);
    void poll();
  });
  const reload = () => {
    pages = 1;
    return poll();
  };

  more.addEventListener('click', async () => {
    if (!cursor) return;
    const mine = ++seq;
    more.setAttribute('disabled', '');
    try {
      const p = filterQuery();
      p.set('limit', String(PAGE));
      p.set('cursor', cursor);
      const list = await get<IotDeviceList>(`/api/v1/iot/devices?${p}`);
      if (disposed || mine !== seq) return;
      const known = new Set(items.map((d) => d.id));
      items = items.concat(list.items.filter((d) => !known.has(d.id)));
      cursor = list.next_cursor;
      pages++;
      more.hidden = !cursor;
      drawTable();
    } catch (e) {
      if (!disposed) error.textContent = describe(e);
    } finally {
      more.removeAttribute('disabled');
    }
  });

  void poll();
  return () => {
    disposed = true;
    window.clearTimeout(timer);
    offAlarm();
  };
}

// ---- one device

export function iotDevicePage(root: HTMLElement, params: Record<string, string>): () => void {
  let disposed = false;
  let timer: number | undefined;
  const id = Number(params.id);
  const error = h('p.error', { role: 'alert', 'data-testid': 'device-error' });
  const message = h('p.small', { role: 'status', 'data-testid': 'device-message' });
  const head = h('div.page-head', h('h1.page-title', `#${params.id}`));
  const [factsCard, factsBody] = card(t('iot.facts'), 'device-facts');
  const [valuesCard, valuesBody] = card(t('iot.values'), 'device-values');
  const [operatorCard, operatorBody] = card(t('iot.operator'), 'device-operator');
  const [sessionsCard, sessionsBody] = card(t('iot.sessions'), 'device-sessions');
  const partsCount = h('span.count');
  const [partsCard, partsBody] = card(t('iot.parts'), 'device-parts', partsCount);
  const [alarmsCard, alarmsBody] = card(t('iot.alarms'), 'device-alarms', h('span.muted.small', t('iot.alarms_hint')));
  const side = h('div.stack', valuesCard, operatorCard);
  for (const c of [valuesCard, operatorCard, sessionsCard, partsCard, side]) c.hidden = true;
  replace(
    root,
    h(
      'div.iot-device',
      h('p', link('/iot', t('iot.back'))),
      head,
      error,
      message,
      h('div.grid-order', factsCard, side),
      alarmsCard,
      partsCard,
      sessionsCard,
    ),
  );

  let mayJudge = false;
  let seq = 0;
  const drawn: Record<string, string> = {};
  // Draws a section only when what it shows changed (no flicker, no lost scroll position).
  const section = (name: string, data: unknown, draw: () => void) => {
    const key = JSON.stringify([data, lang(), mayJudge]);
    if (drawn[name] === key) return;
    drawn[name] = key;
    draw();
  };

  const draw = (d: IotDeviceDetail) => {
    document.title = `${d.serial} ${d.name} · ${t('app.short')}`;
    root.dataset.kind = d.kind;
    root.dataset.state = d.state;
    alarmsCard.hidden = false;
    const crane = d.kind === 'tower_crane';
    section('head', [d.name, d.serial, d.kind, d.state, d.last_seen, d.open_alarms], () =>
      replace(
        head,
        h('h1.page-title.wrap', d.name),
        h('span.mono', d.serial),
        h('span.badge.kind', { 'data-testid': 'device-kind', 'data-kind': d.kind }, kindText(d.kind)),
        stateChip(d.state, 'device-state'),
        h(
          'span.muted.small',
          { 'data-testid': 'device-last-seen', 'data-value': d.last_seen ?? '' },
          `${t('iot.last_seen')} ${d.last_seen ? formatFullTime(d.last_seen) : t('iot.never_seen')}`,
        ),
        d.open_alarms > 0 ? h('span.badge.alert-open', { 'data-testid': 'device-open-alarms' }, `${t('iot.open_alarms')} ${formatNumber(d.open_alarms)}`) : null,
      ),
    );
    section('facts', [d.serial, d.kind, d.model, d.project_code, d.address, d.community_code, d.first_seen, d.last_seen, d.counters], () => {
      const fact = (name: string, key: string, ...value: (Node | string | null)[]) => [h('dt', key), h('dd', { 'data-field': name }, ...value)];
      replace(
        factsBody,
        h(
          'dl.facts',
          fact('serial', t('iot.serial'), h('span.mono', d.serial)),
          fact('kind', t('iot.kind'), kindText(d.kind)),
          d.model ? fact('model', t('iot.model'), d.model) : null,
          d.project_code ? fact('project', t('iot.project'), link(`/projects/${enc(d.project_code)}`, d.project_code)) : null,
          d.address ? fact('address', t('iot.address'), d.address) : null,
          d.community_code ? fact('community', t('iot.community'), link(`/warnings?area=${enc(d.community_code)}`, d.community_code)) : null,
          fact('first_seen', t('iot.first_seen'), d.first_seen ? formatFullTime(d.first_seen) : t('iot.never_seen')),
          fact('last_seen', t('iot.last_seen'), d.last_seen ? formatFullTime(d.last_seen) : t('iot.never_seen')),
          d.counters
            ? fact('messages', t('iot.messages'), t('iot.messages_value', { n: formatNumber(d.counters.messages), dropped: formatNumber(d.counters.dropped) }))
            : null,
        ),
      );
    });
    // Readings: a crane's always (it has nothing else to show), others' when they report any.
    const values = d.values ?? {};
    valuesCard.hidden = !crane && Object.keys(values).length === 0;
    section('values', values, () => {
      const keys = Object.keys(values).sort((a, b) => {
        const ia = valueOrder.indexOf(a);
        const ib = valueOrder.indexOf(b);
        return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
      });
      replace(
        valuesBody,
        keys.length === 0
          ? h('p.empty', t('iot.no_values'))
          : h(
              'div.kpis.iot-values',
              keys.map((key) =>
                h(
                  'div.kpi',
                  { 'data-testid': `value-${key}`, 'data-key': key },
                  h('div.kpi-title', label('iot_value', key)),
                  h('div.value', { 'data-value': typeof values[key] === 'number' ? values[key] : String(values[key] ?? '') }, valueText(key, values[key])),
                ),
              ),
            ),
      );
    });
    operatorCard.hidden = !crane;
    sessionsCard.hidden = !crane;
    side.hidden = valuesCard.hidden && operatorCard.hidden; // the facts then take the whole row
    if (crane) {
      section('operator', d.session, () => replace(operatorBody, operator(d.session)));
      section('sessions', d.sessions, () => replace(sessionsBody, sessionTable(d.sessions ?? [])));
    }
    partsCard.hidden = !fireKinds.includes(d.kind) && (d.parts ?? []).length === 0;
    section('parts', d.parts, () => {
      partsCount.textContent = t('iot.parts_count', { n: formatNumber((d.parts ?? []).length) });
      replace(partsBody, partTable(d.parts ?? []));
    });
    section('alarms', [d.alarms, d.parts?.map((p) => [p.part, p.description])], () => replace(alarmsBody, alarmTable(d.alarms ?? [], d.parts ?? [])));
  };

  const alarmTable = (alarms: IotAlarm[], parts: IotPart[]): HTMLElement => {
    if (alarms.length === 0) return h('p.empty', { 'data-testid': 'no-alarms' }, t('iot.no_alarms'));
    const described = new Map(parts.map((p) => [p.part, p.description]));
    return h(
      'table.table.iot-alarms',
      h(
        'thead',
        h('tr', [t('iot.alarm_type'), t('iot.part'), t('iot.raised'), t('iot.recovered'), t('iot.verdict'), mayJudge ? t('iot.actions') : null].filter((x) => x !== null).map((x) => h('th', x))),
      ),
      h(
        'tbody',
        alarms.map((a) => {
          const buttons = mayJudge && !a.verdict
            ? [
                h('button.small', { type: 'button', 'data-testid': `verdict-real-${a.id}`, onclick: (e: Event) => void judge(a, 'real', e.currentTarget as HTMLElement) }, t('iot.mark_real')),
                ' ',
                h('button.small.primary', { type: 'button', 'data-testid': `verdict-false-${a.id}`, onclick: (e: Event) => void judge(a, 'false', e.currentTarget as HTMLElement) }, t('iot.mark_false')),
              ]
            : null;
          return h(
            `tr${a.recovered_at ? '' : '.open'}`,
            { 'data-testid': `alarm-${a.id}`, 'data-alarm': a.id, 'data-type': a.type, 'data-verdict': a.verdict ?? '', 'data-recovered': String(!!a.recovered_at) },
            h(
              'td.nowrap',
              label('alert_type', a.type),
              a.alert_id !== null ? h('div.small', link(`/alerts?status=all&type=${enc(a.type)}`, t('iot.alert_link', { id: a.alert_id }))) : null,
            ),
            h('td.wrap', a.part ? [h('span.mono.small', a.part), described.get(a.part) ? h('div.small', described.get(a.part)!) : null] : '—'),
            h('td.nowrap.small', formatTime(a.raised_at, true)),
            h('td.nowrap.small', a.recovered_at ? formatTime(a.recovered_at, true) : h('span.badge.alert-open', t('iot.not_recovered'))),
            h(
              'td.wrap',
              { 'data-testid': `alarm-verdict-${a.id}`, 'data-verdict': a.verdict ?? '' },
              a.verdict ? h(`span.badge.verdict-${a.verdict}`, label('iot_verdict', a.verdict)) : h('span.muted', t('iot.verdict_none')),
              a.verdict_by ? h('span.small.muted', ` ${a.verdict_by}`) : null,
              a.note ? h('div.small.muted.pre', a.note) : null,
            ),
            mayJudge ? h('td.nowrap', buttons) : null,
          );
        }),
      ),
    );
  };

  const judge = async (a: IotAlarm, verdict: IotVerdict, button: HTMLElement) => {
    const what = `${label('alert_type', a.type)}${a.part ? ` ${a.part}` : ''} #${a.id}`;
    const note = await askNote(t(verdict === 'real' ? 'iot.mark_real_title' : 'iot.mark_false_title', { what }), false);
    if (note === null || disposed) return;
    error.textContent = '';
    message.textContent = '';
    const row = button.closest('tr');
    row?.querySelectorAll('button').forEach((b) => b.setAttribute('disabled', ''));
    try {
      const answer = await post<IotAlarm>(`/api/v1/iot/alarms/${a.id}/verdict`, note ? { verdict, note } : { verdict });
      if (disposed) return;
      message.textContent = t('iot.verdict_done', { verdict: label('iot_verdict', answer?.verdict ?? verdict) });
    } catch (e) {
      if (disposed) return;
      row?.querySelectorAll('button').forEach((b) => b.removeAttribute('disabled'));
      if (e instanceof ApiError && e.status === 403) error.textContent = t('iot.forbidden');
      else if (e instanceof ApiError && e.status === 409) error.textContent = t('iot.already');
      else if (e instanceof ApiError && e.status === 404) error.textContent = t('iot.alarm_gone');
      else error.textContent = describe(e);
    }
    delete drawn.alarms;
    await poll();
  };

  const load = async () => {
    const mine = ++seq;
    try {
      const d = await get<IotDeviceDetail>(`/api/v1/iot/devices/${id}`);
      if (disposed || mine !== seq) return;
      if (error.dataset.from === 'load') {
        error.textContent = '';
        delete error.dataset.from;
      }
      draw(d);
    } catch (e) {
      if (disposed || mine !== seq) return;
      if (e instanceof ApiError && e.status === 404) {
        replace(head, h('h1.page-title', `#${params.id}`));
        alarmsCard.hidden = true;
        for (const name of Object.keys(drawn)) delete drawn[name]; // all drawn again if it comes back
        replace(factsBody, h('p.empty', { 'data-testid': 'device-gone' }, t('iot.device_gone', { id: params.id })));
        return;
      }
      error.textContent = describe(e);
      error.dataset.from = 'load';
    } finally {
      if (!disposed && mine === seq) root.dataset.ready = '1';
    }
  };

  // One timer for the page: a verdict's reload sets it again too.
  let running = 0;
  let stale = false; // an alarm of the device came during a run: the next one at once
  let started = false;
  const poll = async () => {
    started = true;
    running++;
    stale = false;
    try {
      await load();
    } finally {
      running--;
    }
    if (disposed) return;
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void poll(), stale ? 0 : POLL_MS);
  };
  // An alarm of this device: its page now, one run at a time (a burst asks for one more run).
  const offAlarm = onIotAlarm((alarm) => {
    if (disposed || !started || alarm.device_id !== id) return;
    if (running > 0) {
      stale = true;
      return;
    }
    window.clearTimeout(timer);
    void poll();
  });

  void (async () => {
    const session = await currentSession();
    if (disposed) return;
    mayJudge = hasRight(session, 'iot.duty');
    if (!mayJudge && session) alarmsCard.querySelector('.card-head')?.append(h('span.muted.small', { 'data-testid': 'no-duty' }, t('iot.no_duty')));
    await poll();
  })();

  return () => {
    disposed = true;
    window.clearTimeout(timer);
    offAlarm();
  };
}

function operator(s: CraneSession | null): HTMLElement {
  if (!s) return h('p.muted', { 'data-testid': 'no-operator' }, t('iot.no_operator'));
  return h(
    'div.operator',
    { 'data-testid': 'operator', 'data-person': s.person_id, 'data-session': s.id },
    h('div.big', link(`/persons/${s.person_id}`, s.name), ' ', h('span.badge.online', t('iot.on_duty_now'))),
    h('div.muted', t('iot.session_since', { at: formatFullTime(s.started_at) })),
    typeof s.score === 'number' ? h('div.small.muted', { 'data-testid': 'operator-score', 'data-value': s.score }, t('iot.score', { score: percent(s.score) })) : null,
  );
}

function sessionTable(sessions: CraneSession[]): HTMLElement {
  if (sessions.length === 0) return h('p.empty', t('iot.no_sessions'));
  return h(
    'table.table.iot-sessions',
    h('thead', h('tr', [t('iot.operator_name'), t('iot.started'), t('iot.ended'), t('iot.end_reason')].map((x) => h('th', x)))),
    h(
      'tbody',
      sessions.map((s) =>
        h(
          'tr',
          { 'data-session': s.id, 'data-person': s.person_id },
          h('td.nowrap', link(`/persons/${s.person_id}`, s.name)),
          h('td.nowrap.small', formatTime(s.started_at, true)),
          h('td.nowrap.small', s.ended_at ? formatTime(s.ended_at, true) : h('span.badge.online', t('iot.on_duty_now'))),
          h('td.small', s.end_reason ? label('iot_end', s.end_reason) : '—'),
        ),
      ),
    ),
  );
}

// The flags of a part's status: a fire alarm red, faults orange, the rest quiet.
function flagChip(flag: string): HTMLElement {
  return h(`span.badge.flag.flag-${flag}`, { 'data-flag': flag }, label('iot_flag', flag));
}

function partTable(parts: IotPart[]): HTMLElement {
  if (parts.length === 0) return h('p.empty', t('iot.no_parts'));
  return h(
    'div.scroll.tall',
    h(
      'table.table.iot-parts',
      h('thead', h('tr', [t('iot.part'), t('iot.description'), t('iot.part_type'), t('iot.flags'), t('iot.last_seen'), t('iot.analogs')].map((x) => h('th', x)))),
      h(
        'tbody',
        parts.map((p) => {
          const flags = p.flags ?? [];
          const analogs = Object.entries(p.analogs ?? {});
          return h(
            `tr${flags.includes('fire_alarm') ? '.fire' : flags.includes('fault') || flags.includes('power_fault') ? '.fault' : ''}`,
            { 'data-testid': `part-${p.part}`, 'data-part': p.part, 'data-status': p.status ?? '' },
            h('td.nowrap.mono.small', p.part),
            h('td.wrap', p.description || '—'),
            h('td.num', { title: `system ${p.system_type}/${p.system_address}` }, String(p.part_type)),
            h('td', h('span.flags', flags.length ? flags.map(flagChip) : h('span.muted', '—'))),
            h('td.nowrap.small', p.last_seen ? formatTime(p.last_seen, true) : '—'),
            h('td.small', analogs.length ? analogs.map(([key, v]) => h('div.nowrap', { 'data-analog': key }, `${label('iot_value', key)}: ${valueText(key, v)}`)) : '—'),
          );
        }),
      ),
    ),
  );
}
