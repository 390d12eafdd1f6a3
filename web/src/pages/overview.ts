// District overview: head-count on site now (moved by every gate pass from the live feed), live
// projects, today's attendance and passes, devices, certificates, open alerts by colour and
// residence registrations (only when the server has those modules), a map of the sites, hourly
// and daily trends, the projects by head-count and the denied passes as they happen (with the IoT
// alarms, for those who may read the devices).

import { get, optional, enc, type AlertList, type Overview, type ProjectRow, type LiveIotAlarm, type LivePass } from '../api';
import { axisStyle, makeChart, palette, type Chart } from '../charts';
import { card, esc, h, link, replace } from '../dom';
import { chinaToday, formatNumber, formatTime, label, t } from '../i18n';
import { onIotAlarm, onPass } from '../live';
import { navigate } from '../nav';
import { currentSession, hasRight } from '../session';

interface OnsiteAnswer {
  total: number;
  projects: { project_code: string; name: string; count: number }[];
}
interface HourAnswer {
  date: string;
  allowed: number;
  denied: number;
  hours: { hour: number; allowed: number; denied: number }[];
  by_reason: { reason: string; count: number }[];
}
interface DailyAnswer {
  items: { date: string; present: number; allowed: number; denied: number }[];
}
interface RecentAnswer {
  items: {
    seq: number;
    time: string;
    project_code: string;
    project_name: string | null;
    person_id: number | null;
    name: string | null;
    decision: string;
    reasons: string[];
    zone: string | null;
  }[];
}

function kpi(testid: string, title: string): { el: HTMLElement; value: HTMLElement; sub: HTMLElement } {
  const value = h('div.value', '—');
  const sub = h('div.sub');
  const el = h('div.kpi', { 'data-testid': testid }, h('div.kpi-title', title), value, sub);
  return { el, value, sub };
}

function streetOf(address: string | undefined): string {
  const m = address?.match(/钱塘区(.+?街道)/);
  return m ? m[1] : '';
}

async function allProjects(): Promise<ProjectRow[]> {
  const rows: ProjectRow[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 20; page++) {
    const answer: { items: ProjectRow[]; next_cursor: string | null } = await get(
      `/api/v1/projects?limit=1000${cursor ? `&cursor=${enc(cursor)}` : ''}`,
    );
    rows.push(...answer.items);
    cursor = answer.next_cursor;
    if (!cursor) break;
  }
  return rows;
}

export function overviewPage(root: HTMLElement): () => void {
  const timers: number[] = [];
  const offs: (() => void)[] = [];
  let disposed = false;

  // ---- layout
  const k = {
    onsite: kpi('kpi-onsite', t('kpi.onsite')),
    projects: kpi('kpi-projects', t('kpi.projects')),
    attendance: kpi('kpi-attendance', t('kpi.attendance')),
    passes: kpi('kpi-passes', t('kpi.passes')),
    devices: kpi('kpi-devices', t('kpi.devices')),
    certificates: kpi('kpi-certificates', t('kpi.certificates')),
  };
  k.onsite.el.classList.add('hero');
  const alertsKpi = kpi('kpi-alerts', t('kpi.alerts'));
  alertsKpi.el.hidden = true;
  const registrationsKpi = kpi('kpi-registrations', t('kpi.registrations'));
  registrationsKpi.el.hidden = true;
  const policeLine = h('div.sub.muted', { 'data-testid': 'police-target' });
  policeLine.hidden = true;
  registrationsKpi.el.append(policeLine);
  const kpis = h(
    'div.kpis',
    k.onsite.el,
    k.projects.el,
    k.attendance.el,
    k.passes.el,
    k.devices.el,
    k.certificates.el,
    alertsKpi.el,
    registrationsKpi.el,
  );

  const [mapCard, mapBody] = card(t('section.map'), 'map');
  const mapEl = h('div.chart.map');
  mapBody.append(mapEl);
  const [hourCard, hourBody] = card(t('section.hourly'), 'hourly');
  const hourEl = h('div.chart');
  hourBody.append(hourEl);
  const [dayCard, dayBody] = card(t('section.daily'), 'daily');
  const dayEl = h('div.chart');
  dayBody.append(dayEl);
  const [rankCard, rankBody] = card(t('section.projects'), 'ranking');
  const [feedCard, feedBody] = card(t('section.denied'), 'denied-feed');
  const feedList = h('ol.feed');
  feedBody.append(feedList);
  const [alertCard, alertBody] = card(t('section.alerts'), 'alerts-card', link('/alerts', t('common.more')));
  alertCard.hidden = true;
  const error = h('p.error', { role: 'alert' });

  replace(
    root,
    h(
      'div.overview',
      error,
      kpis,
      h('div.grid-main', mapCard, h('div.stack', hourCard, dayCard)),
      h('div.grid-bottom', rankCard, feedCard, alertCard),
    ),
  );

  const mapChart = makeChart(mapEl);
  const hourChart = makeChart(hourEl);
  const dayChart = makeChart(dayEl);

  // ---- state
  const counts = new Map<string, number>(); // project → on site
  let projects: ProjectRow[] = [];
  let overview: Overview | null = null;
  let hours: { allowed: number[]; denied: number[] } = { allowed: Array(24).fill(0), denied: Array(24).fill(0) };
  let hourDate = chinaToday();

  const showOnsite = () => {
    let total = 0;
    let busy = 0;
    for (const n of counts.values()) {
      total += n;
      if (n > 0) busy++;
    }
    k.onsite.value.textContent = formatNumber(total);
    k.onsite.value.dataset.value = String(total);
    k.onsite.sub.textContent = t('kpi.onsite_sub', { projects: busy });
  };

  const showOverview = () => {
    if (!overview) return;
    const o = overview;
    const s = o.projects.by_status;
    k.projects.value.textContent = formatNumber(s.active ?? 0);
    k.projects.value.dataset.value = String(s.active ?? 0);
    k.projects.sub.textContent = t('kpi.projects_sub', {
      total: o.projects.total,
      suspended: s.suspended ?? 0,
      planned: s.planned ?? 0,
    });
    k.attendance.value.textContent = formatNumber(o.today.present);
    k.attendance.value.dataset.value = String(o.today.present);
    const rate = o.enrolled.workers + o.enrolled.managers > 0
      ? `${((100 * o.today.present) / (o.enrolled.workers + o.enrolled.managers)).toFixed(1)}%`
      : '—';
    k.attendance.sub.textContent = t('kpi.attendance_sub', { workers: formatNumber(o.enrolled.workers), rate });
    k.passes.value.textContent = formatNumber(o.today.allowed + o.today.denied);
    k.passes.value.dataset.value = String(o.today.allowed + o.today.denied);
    k.passes.sub.textContent = t('kpi.passes_sub', {
      allowed: formatNumber(o.today.allowed),
      denied: formatNumber(o.today.denied),
    });
    k.devices.value.textContent = `${formatNumber(o.devices.online)}`;
    k.devices.value.dataset.value = String(o.devices.online);
    k.devices.sub.textContent = t('kpi.devices_sub', { total: formatNumber(o.devices.total) });
    k.certificates.value.textContent = formatNumber(o.certificates.expired + o.certificates.expiring);
    k.certificates.value.dataset.value = String(o.certificates.expired + o.certificates.expiring);
    k.certificates.sub.textContent = t('kpi.certificates_sub', {
      expired: o.certificates.expired,
      expiring: o.certificates.expiring,
    });
    k.certificates.el.classList.toggle('warn', o.certificates.expired > 0);
  };

  const drawMap = () => {
    const points = projects
      .filter((p) => typeof p.lat === 'number' && typeof p.lng === 'number')
      .map((p) => ({
        name: p.name,
        code: p.code,
        value: [p.lng, p.lat, counts.get(p.code) ?? 0],
        status: p.status,
        itemStyle: {
          color:
            p.status === 'active'
              ? palette.allow
              : p.status === 'suspended'
                ? palette.orange
                : p.status === 'planned'
                  ? palette.accent
                  : palette.muted,
        },
      }));
    // Street names at the middle of their projects.
    const streets = new Map<string, { lng: number; lat: number; n: number }>();
    for (const p of projects) {
      const s = streetOf(p.address);
      if (!s || typeof p.lat !== 'number' || typeof p.lng !== 'number') continue;
      const e = streets.get(s) ?? { lng: 0, lat: 0, n: 0 };
      e.lng += p.lng;
      e.lat += p.lat;
      e.n++;
      streets.set(s, e);
    }
    mapChart.setOption({
      animation: false,
      grid: { left: 8, right: 8, top: 8, bottom: 8, containLabel: false },
      tooltip: {
        trigger: 'item',
        formatter: (p: any) =>
          p.seriesIndex === 0
            ? `${esc(p.data.name)}<br/>${esc(p.data.code)} · ${esc(label('status', p.data.status))}<br/>${esc(t('chart.onsite'))} ${formatNumber(p.data.value[2])}`
            : '',
      },
      xAxis: { type: 'value', min: 120.29, max: 120.56, show: false },
      yAxis: { type: 'value', min: 30.27, max: 30.39, show: false },
      series: [
        {
          type: 'scatter',
          data: points,
          symbolSize: (v: number[]) => 6 + Math.sqrt(v[2]) * 0.9,
          itemStyle: { opacity: 0.85, borderColor: 'rgba(255,255,255,0.5)', borderWidth: 1 },
          emphasis: { scale: 1.3 },
        },
        {
          type: 'scatter',
          silent: true,
          symbolSize: 0,
          data: [...streets.entries()].map(([name, e]) => ({
            value: [e.lng / e.n, e.lat / e.n + 0.006],
            name,
          })),
          label: {
            show: true,
            formatter: '{b}',
            color: palette.text,
            fontSize: 14,
            textBorderColor: '#07142b',
            textBorderWidth: 3,
          },
          z: 5,
        },
      ],
    }, { notMerge: true });
  };
  mapChart.on('click', (p: any) => {
    if (p.seriesIndex === 0 && p.data?.code) navigate(`/projects/${enc(p.data.code)}`);
  });

  const drawHours = (chart: Chart) => {
    chart.setOption({
      animation: false,
      legend: { top: 0, textStyle: { color: palette.text } },
      grid: { left: 48, right: 12, top: 30, bottom: 24 },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: [...Array(24).keys()].map((h) => `${h}:00`), ...axisStyle },
      yAxis: { type: 'value', ...axisStyle },
      series: [
        { name: t('chart.allowed'), type: 'bar', stack: 'p', data: hours.allowed, itemStyle: { color: palette.allow } },
        { name: t('chart.denied'), type: 'bar', stack: 'p', data: hours.denied, itemStyle: { color: palette.deny } },
      ],
    });
  };

  const drawRanking = () => {
    const rows = projects
      .filter((p) => p.status !== 'completed')
      .map((p) => ({ ...p, onsite: counts.get(p.code) ?? 0 }))
      .sort((a, b) => b.onsite - a.onsite)
      .slice(0, 12);
    replace(
      rankBody,
      h(
        'table.table.fixed',
        h(
          'colgroup',
          h('col', { style: { width: '48%' } }),
          h('col', { style: { width: '18%' } }),
          h('col', { style: { width: '11%' } }),
          h('col', { style: { width: '11%' } }),
          h('col', { style: { width: '12%' } }),
        ),
        h(
          'thead',
          h('tr', h('th', t('table.project')), h('th', t('table.street')), h('th.num', t('table.onsite')), h('th.num', t('table.workers')), h('th', t('table.status'))),
        ),
        h(
          'tbody',
          rows.map((p) =>
            h(
              'tr',
              { 'data-project': p.code },
              h('td.ellipsis', { title: p.name }, link(`/projects/${enc(p.code)}`, p.name)),
              h('td.ellipsis', streetOf(p.address)),
              h('td.num', formatNumber(p.onsite)),
              h('td.num', formatNumber(p.workers + p.managers)),
              h('td', h(`span.badge.status-${p.status}`, label('status', p.status))),
            ),
          ),
        ),
      ),
    );
  };

  const feedItem = (x: {
    time: string;
    name: string | null;
    person_id: number | null;
    project_code: string;
    project_name?: string | null;
    reasons: string[];
  }) =>
    h(
      'li',
      h('span.time', formatTime(x.time)),
      h(
        'span.who.ellipsis',
        x.person_id ? link(`/persons/${x.person_id}`, x.name || `#${x.person_id}`) : h('span.muted', label('reason', 'unknown_person')),
      ),
      h('span.where.ellipsis', { title: x.project_name ?? x.project_code }, link(`/projects/${enc(x.project_code)}`, x.project_name ?? x.project_code)),
      h('span.reasons', x.reasons.map((r) => h('span.badge.deny', label('reason', r)))),
    );
  // An IoT alarm: its colour and type, what happened (to the device's page), the device.
  const alarmItem = (x: LiveIotAlarm) => {
    const severity = ['red', 'orange', 'yellow', 'blue'].includes(x.severity) ? x.severity : 'blue';
    return h(
      'li.iot-alarm',
      { 'data-testid': 'live-iot-alarm', 'data-alert-id': x.alert_id, 'data-device': x.device_id, 'data-severity': severity, 'data-type': x.alarm_type },
      h('span.time', formatTime(x.time)),
      h(`span.sev.sev-${severity}`, label('alert_type', x.alarm_type)),
      h('span.ellipsis', { title: x.message }, link(`/iot/devices/${x.device_id}`, x.message || x.serial)),
      h('span.mono.small.muted', x.serial),
    );
  };
  // The newest 14 denied passes and, apart from them, the newest 8 IoT alarms (a run of denials
  // does not push a fire alarm out).
  const trimFeed = () => {
    for (const [selector, keep] of [['li:not(.iot-alarm)', 14], ['li.iot-alarm', 8]] as const) {
      const rows = feedList.querySelectorAll(selector);
      for (let i = keep; i < rows.length; i++) rows[i].remove();
    }
  };

  // ---- loading
  const loadOverview = async () => {
    overview = await get<Overview>('/api/v1/stats/overview');
    showOverview();
  };
  const loadOnsite = async () => {
    const o = await get<OnsiteAnswer>('/api/v1/onsite');
    counts.clear();
    for (const p of o.projects) counts.set(p.project_code, p.count);
    showOnsite();
  };
  const loadHours = async () => {
    hourDate = chinaToday();
    const a = await get<HourAnswer>(`/api/v1/stats/passes?date=${hourDate}`);
    hours = { allowed: a.hours.map((x) => x.allowed), denied: a.hours.map((x) => x.denied) };
    drawHours(hourChart);
  };
  const loadDaily = async () => {
    const a = await get<DailyAnswer>('/api/v1/stats/daily?days=30');
    dayChart.setOption({
      animation: false,
      grid: { left: 56, right: 12, top: 16, bottom: 24 },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: a.items.map((x) => x.date.slice(5)), ...axisStyle },
      yAxis: { type: 'value', ...axisStyle },
      series: [
        {
          name: t('chart.present'),
          type: 'line',
          smooth: true,
          areaStyle: { opacity: 0.15 },
          itemStyle: { color: palette.accent },
          data: a.items.map((x) => x.present),
        },
      ],
    });
  };
  const loadFeed = async () => {
    const a = await get<RecentAnswer>('/api/v1/gate/events?decision=deny&limit=14');
    replace(feedList, [...feedList.querySelectorAll('li.iot-alarm')], a.items.map(feedItem)); // alarms already shown stay
  };
  const loadAlerts = async () => {
    const a = await optional<AlertList>('/api/v1/alerts?status=active&limit=8');
    if (!a) return;
    alertsKpi.el.hidden = false;
    alertCard.hidden = false;
    const by = a.counts.by_severity ?? {};
    alertsKpi.value.textContent = formatNumber(a.counts.total);
    alertsKpi.value.dataset.value = String(a.counts.total);
    replace(
      alertsKpi.sub,
      (['red', 'orange', 'yellow', 'blue'] as const).map((s) =>
        h(`span.sev.sev-${s}`, { 'data-severity': s }, `${label('severity', s)} ${by[s] ?? 0}`),
      ),
    );
    replace(
      alertBody,
      a.items.length === 0
        ? h('p.empty', t('alerts.none'))
        : h(
            'ul.alert-list',
            a.items.map((x) =>
              h(
                'li',
                h(`span.dot.sev-${x.severity}`),
                h('span.ellipsis', { title: x.message }, x.message),
                h('span.time', formatTime(x.last_seen, true)),
              ),
            ),
          ),
    );
  };
  // Registrations still to be made (draft) or made again (rejected): due, or overdue when their
  // due_date has passed (api-v1.md: each registration has a status and a due_date).
  const loadRegistrations = async () => {
    type Counts = { counts: { total: number; overdue?: number } };
    // The API's counts over each status, never a page of items (a page stops at its limit).
    const drafts = await optional<Counts>('/api/v1/residence-registrations?status=draft&limit=1');
    if (!drafts) return;
    const rejected = await get<Counts>('/api/v1/residence-registrations?status=rejected&limit=1');
    const open = drafts.counts.total + rejected.counts.total;
    const overdue = (drafts.counts.overdue ?? 0) + (rejected.counts.overdue ?? 0);
    const due = open - overdue;
    registrationsKpi.el.hidden = false;
    registrationsKpi.value.textContent = formatNumber(open);
    registrationsKpi.value.dataset.value = String(open);
    registrationsKpi.sub.textContent = t('kpi.registrations_sub', { due, overdue });
    registrationsKpi.sub.dataset.overdue = String(overdue);
    registrationsKpi.el.classList.toggle('warn', overdue > 0);
    // Where submissions go, as its configuration names it (the demo's receiver says it is a
    // stand-in for the police system).
    const sync = await optional<{ targets: { target: string; configured: boolean; label?: string | null; endpoint?: string }[] }>(
      '/api/v1/sync/status',
    );
    const police = sync?.targets.find((x) => x.target === 'police' && x.configured);
    policeLine.textContent = police ? (police.label ?? police.endpoint ?? '') : '';
    policeLine.hidden = !police;
  };

  const guarded = (f: () => Promise<void>) => async () => {
    try {
      await f();
      if (!disposed) error.textContent = '';
    } catch (e) {
      if (!disposed) error.textContent = t('common.error', { message: (e as Error).message });
    }
  };

  void (async () => {
    root.dataset.loading = '1';
    await Promise.all([
      guarded(async () => {
        projects = await allProjects();
      })(),
      guarded(loadOnsite)(),
      guarded(loadOverview)(),
      guarded(loadHours)(),
      guarded(loadDaily)(),
      guarded(loadFeed)(),
      guarded(loadAlerts)(),
      guarded(loadRegistrations)(),
    ]);
    if (disposed) return;
    drawMap();
    drawRanking();
    delete root.dataset.loading;
    root.dataset.ready = '1';
  })();

  // ---- live: every committed pass
  let redraw = false;
  offs.push(
    onPass((pass: LivePass) => {
      counts.set(pass.project_code, pass.onsite_count);
      showOnsite();
      const hour = Number(
        new Intl.DateTimeFormat('en', { timeZone: 'Asia/Shanghai', hour: '2-digit', hour12: false }).format(new Date(pass.time)),
      ) % 24;
      if (chinaToday() === hourDate && pass.time.slice(0, 10) === hourDate) {
        (pass.decision === 'allow' ? hours.allowed : hours.denied)[hour]++;
      }
      if (overview) {
        if (pass.decision === 'allow') overview.today.allowed++;
        else overview.today.denied++;
        showOverview();
      }
      if (pass.decision === 'deny') {
        const p = projects.find((x) => x.code === pass.project_code);
        feedList.prepend(feedItem({ ...pass, project_name: p?.name }));
        trimFeed();
      }
      redraw = true;
    }),
  );
  // ---- live: every IoT alarm, for those with iot.read
  let mayIot = false;
  void currentSession().then((session) => {
    mayIot = hasRight(session, 'iot.read');
    if (mayIot && !disposed) feedCard.querySelector('h2')!.textContent = t('section.denied_iot');
  });
  offs.push(
    onIotAlarm((alarm) => {
      if (!mayIot) return;
      feedList.prepend(alarmItem(alarm));
      trimFeed();
    }),
  );
  timers.push(
    window.setInterval(() => {
      if (!redraw) return;
      redraw = false;
      drawHours(hourChart);
      drawRanking();
      drawMap();
    }, 1000),
  );
  // Reconcile with the server now and then (attendance is a count of distinct people).
  timers.push(window.setInterval(guarded(async () => Promise.all([loadOverview(), loadOnsite(), loadAlerts(), loadRegistrations()]).then(() => {})), 30_000));
  timers.push(window.setInterval(guarded(loadHours), 60_000));
  timers.push(window.setInterval(guarded(loadDaily), 600_000));

  return () => {
    disposed = true;
    timers.forEach((x) => window.clearInterval(x));
    offs.forEach((off) => off());
  };
}
