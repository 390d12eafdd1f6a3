// The project view ("one click"): facts, participating corps, key posts with their holders and
// certificate status, teams, the muster list of who is inside (printable), the attendance sheet
// of a day, the gate devices with their online status, hourly passes and the project's alerts.

import { api, enc, get, optional, type AlertList, type LivePass } from '../api';
import { axisStyle, makeChart, palette } from '../charts';
import { card, h, link, replace } from '../dom';
import { chinaToday, formatNumber, formatTime, label, t } from '../i18n';
import { onPass } from '../live';
import { currentSession, hasRight } from '../session';
import { alertTable } from './alerts';

// The moves a project's status may make (PATCH /api/v1/projects/{code}), and the day each needs.
const NEXT_STATUS: Record<string, string[]> = {
  planned: ['active'],
  active: ['suspended', 'completed'],
  suspended: ['active', 'completed'],
  completed: [],
};
const DAY_FIELD: Record<string, string> = { suspended: 'suspended_on', completed: 'completed_on' };

// A district admin changes the project's status here: the next status, the day of the change
// (stopped, or passed completion acceptance) and the API's answer.
function statusForm(code: string, status: string, changed: () => void): HTMLElement | null {
  const next = NEXT_STATUS[status] ?? [];
  if (next.length === 0) return null;
  const select = h(
    'select',
    { 'data-testid': 'project-next-status' },
    next.map((s) => h('option', { value: s }, label('status', s))),
  ) as HTMLSelectElement;
  const day = h('input', { type: 'date', max: chinaToday(), value: chinaToday(), 'data-testid': 'project-status-day' }) as HTMLInputElement;
  const dayLabel = h('label', t('project.status_day'), day);
  const message = h('span.error.small', { role: 'alert', 'data-testid': 'project-status-error' });
  const showDay = () => {
    dayLabel.hidden = !DAY_FIELD[select.value];
  };
  select.addEventListener('change', showDay);
  showDay();
  const submit = h('button.primary', { type: 'submit', 'data-testid': 'project-status-submit' }, t('project.change_status'));
  return h(
    'form.status-form',
    {
      'data-testid': 'project-status-form',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        message.textContent = '';
        const body: Record<string, string> = { status: select.value };
        const field = DAY_FIELD[select.value];
        if (field) body[field] = day.value;
        submit.setAttribute('disabled', '');
        try {
          await api('PATCH', `/api/v1/projects/${enc(code)}`, body);
          changed();
        } catch (err) {
          message.textContent = (err as Error).message;
        } finally {
          submit.removeAttribute('disabled');
        }
      },
    },
    select,
    dayLabel,
    submit,
    message,
  );
}

function certBadge(status: string): HTMLElement {
  return h(`span.badge.cert-${status}`, label('cert', status));
}

export function projectPage(root: HTMLElement, params: Record<string, string>): () => void {
  const code = params.code;
  const timers: number[] = [];
  const offs: (() => void)[] = [];
  let disposed = false;

  const title = h('h1.page-title.ellipsis', code);
  const error = h('p.error', { role: 'alert' });
  const [factsCard, factsBody] = card(t('project.facts'), 'project-facts');
  const [postsCard, postsBody] = card(t('project.posts'), 'project-posts');
  const [corpsCard, corpsBody] = card(t('project.corps'), 'project-corps');
  const [teamsCard, teamsBody] = card(t('project.teams'), 'project-teams');
  const musterCount = h('span.count', { 'data-testid': 'muster-count' });
  const printButton = h('button.ghost', { onclick: () => window.print(), 'data-testid': 'print-muster' }, t('common.print'));
  const [musterCard, musterBody] = card(t('project.muster'), 'project-muster', h('span.tools', musterCount, printButton));
  musterCard.classList.add('printable');
  const dateInput = h('input', { type: 'date', value: chinaToday(), max: chinaToday(), 'data-testid': 'attendance-date' }) as HTMLInputElement;
  const [attCard, attBody] = card(t('project.attendance'), 'project-attendance', dateInput);
  const [devCard, devBody] = card(t('project.devices'), 'project-devices');
  const [hourCard, hourBody] = card(t('project.hourly'), 'project-hourly');
  const hourEl = h('div.chart.small');
  hourBody.append(hourEl);
  // How many there are (the table shows the newest 50).
  const alertCount = h('span.count');
  const [alertCard, alertBody] = card(t('project.alerts'), 'project-alerts', alertCount);
  alertCard.hidden = true;

  replace(
    root,
    h(
      'div.project',
      h('div.page-head', h('a.back', { href: '/', 'data-route': '1' }, `← ${t('common.back')}`), title),
      error,
      h('div.grid-2', factsCard, hourCard),
      postsCard,
      h('div.grid-2', corpsCard, teamsCard),
      musterCard,
      attCard,
      h('div.grid-2', devCard, alertCard),
    ),
  );
  const hourChart = makeChart(hourEl);

  const fail = (e: unknown) => {
    if (!disposed) error.textContent = t('common.error', { message: (e as Error).message });
  };

  let canChange = false; // a district admin (the admin right) changes the status
  const loadView = async () => {
    canChange = hasRight(await currentSession(), 'admin');
    const v = await get<any>(`/api/v1/projects/${enc(code)}`);
    title.textContent = v.name;
    title.title = v.name;
    document.title = `${v.name} · ${t('app.short')}`;
    replace(
      factsBody,
      h(
        'dl.facts',
        h('dt', t('project.code')), h('dd', v.code),
        h('dt', t('table.status')),
        h(
          'dd',
          { 'data-testid': 'project-status', 'data-status': v.status },
          h(`span.badge.status-${v.status}`, label('status', v.status)),
          v.suspended_on ? h('span.muted', ` ${t('project.suspended_on', { day: v.suspended_on })}`) : null,
          v.completed_on ? h('span.muted', ` ${t('project.completed_on', { day: v.completed_on })}`) : null,
          canChange ? statusForm(code, v.status, () => void loadView().catch(fail)) : null,
        ),
        h('dt', t('project.address')), h('dd', v.address ?? '—'),
        h('dt', t('project.permit')), h('dd', v.permit_no ?? '—'),
        h('dt', t('project.period')), h('dd', `${v.start_date ?? '?'} — ${v.end_date ?? '?'}`),
        h('dt', t('project.enrolled')),
        h('dd', [t('project.managers', { n: v.enrolled.managers }), t('project.workers', { n: v.enrolled.workers }), t('project.exited', { n: v.enrolled.exited })].join(' · ')),
        h('dt', t('table.onsite')), h('dd', h('strong.big', { 'data-testid': 'project-onsite' }, formatNumber(v.onsite?.count ?? 0))),
      ),
    );
    replace(
      corpsBody,
      h('ul.plain', v.corps.map((c: any) => h('li', h('span.badge', c.corp_type_name), ' ', h('span', c.name)))),
    );
    replace(
      teamsBody,
      h(
        'table.table',
        h('thead', h('tr', h('th', t('project.team')), h('th', t('project.holder')), h('th.num', t('project.enrolled')))),
        h('tbody', v.teams.map((tm: any) =>
          h('tr', h('td', tm.name), h('td.wrap', tm.leader_person_id ? link(`/persons/${tm.leader_person_id}`, tm.leader_name ?? '') : '—'), h('td.num', tm.member_count)),
        )),
      ),
    );
    replace(
      postsBody,
      h(
        'table.table.posts',
        h('thead', h('tr', h('th', t('project.post')), h('th', t('project.holder')), h('th', t('project.certificates')))),
        h('tbody', v.posts.map((p: any) =>
          h(
            'tr',
            { 'data-post': p.post, class: p.holders.length === 0 && p.key ? 'vacant' : '' },
            h('td', p.post_name, p.key ? h('span.badge.key', t('project.key')) : null),
            h('td', p.holders.length === 0 ? h('span.badge.cert-expired', t('project.vacant')) : p.holders.map((x: any) => h('div', link(`/persons/${x.person_id}`, x.name)))),
            h(
              'td',
              p.holders.map((x: any) => {
                const required = (p.required_certificates ?? []) as any[][];
                const held = x.certificates as any[];
                const rows = required.map((group) => {
                  const match = held.filter((c) => group.some((g: any) => g.kind === c.kind && g.type_code === c.type_code));
                  const best = match.find((c) => c.status === 'valid') ?? match.find((c) => c.status === 'expiring') ?? match[0];
                  return h(
                    'div.cert-line',
                    h('span', group.map((g: any) => g.type_name).join(' / ')),
                    ' ',
                    best ? certBadge(best.status) : certBadge('missing'),
                    best ? h('span.muted', ` ${best.valid_to}`) : null,
                  );
                });
                return rows.length ? h('div', rows) : h('span.muted', '—');
              }),
            ),
          ),
        )),
      ),
    );
  };

  const loadMuster = async () => {
    const m = await get<any>(`/api/v1/projects/${enc(code)}/onsite`);
    musterCount.textContent = formatNumber(m.count);
    musterCount.dataset.value = String(m.count);
    const stamp = formatTime(new Date().toISOString(), true);
    replace(
      musterBody,
      h('p.print-only', t('project.muster_title', { project: title.textContent ?? code, time: stamp, count: m.count })),
      h(
        'div.scroll.tall',
        h(
        'table.table.muster',
        h('thead', h('tr', h('th', '#'), h('th', t('table.name')), h('th', t('person.id_number')), h('th', t('project.team')), h('th', t('project.work_type')), h('th', t('project.since')), h('th', t('project.zone')))),
        h('tbody', m.persons.map((p: any, i: number) =>
          h('tr', h('td.num', i + 1), h('td.name', link(`/persons/${p.person_id}`, p.name)), h('td.mono', p.id_number), h('td', p.team ?? '—'), h('td', p.work_type_name), h('td', formatTime(p.since, true)), h('td', p.zone ?? '—')),
        )),
        ),
      ),
    );
  };

  const loadAttendance = async () => {
    const date = dateInput.value || chinaToday();
    const today = date === chinaToday();  // no exit pass yet today: still inside, not missing
    const a = await get<any>(`/api/v1/projects/${enc(code)}/attendance?date=${date}`);
    replace(
      attBody,
      h('p.muted', t('project.present', { present: a.present, enrolled: a.enrolled })),
      h(
        'div.scroll',
        h(
          'table.table',
          h('thead', h('tr', h('th', t('table.name')), h('th', t('project.team')), h('th', t('project.first_in')), h('th', t('project.last_out')), h('th.num', t('project.hours')), h('th.num', t('project.passes')), h('th', ''))),
          h('tbody', a.items.map((x: any) =>
            h('tr', h('td.name', link(`/persons/${x.person_id}`, x.name)), h('td', x.team || '—'), h('td', formatTime(x.first_in)), h('td', formatTime(x.last_out)), h('td.num', x.hours.toFixed(2)), h('td.num', x.passes), h('td', x.missing_out ? (today && !x.auto_clocked_out ? h('span.badge.online', t('project.inside')) : h('span.badge.cert-expiring', t('project.missing_out'))) : '')),
          )),
        ),
      ),
    );
  };
  dateInput.addEventListener('change', () => void loadAttendance().catch(fail));

  // The roster a terminal of another maker holds (docs/terminals.md): in sync, changes still to
  // send, or failing with the device's error in the tooltip. zhizhi's own terminals pull theirs.
  const syncBadge = (sync: any) => {
    if (!sync) return '—';
    if (sync.error) return h('span.badge.offline', { title: sync.error }, t('project.sync_error'));
    if (sync.pending > 0) return h('span.badge', t('project.pending', { n: sync.pending }));
    return h('span.badge.online', t('project.synced'));
  };

  const loadDevices = async () => {
    const d = await get<any>(`/api/v1/projects/${enc(code)}/devices`);
    replace(
      devBody,
      h(
        'table.table',
        h('thead', h('tr', h('th', t('project.serial')), h('th', t('project.vendor')), h('th', t('project.zone')), h('th', t('project.direction')), h('th', t('project.online')), h('th', t('project.last_seen')), h('th', t('project.roster_sync')))),
        h('tbody', d.items.map((x: any) =>
          h('tr', { 'data-device': x.id }, h('td.mono', x.serial), h('td', label('vendor', x.vendor ?? 'zhizhi')), h('td', x.zone ?? '—'), h('td', label('dir', x.direction)), h('td', h(`span.badge.${x.online ? 'online' : 'offline'}`, x.online ? t('project.online') : t('project.offline'))), h('td', formatTime(x.last_seen_at, true)), h('td', { 'data-testid': 'device-sync' }, syncBadge(x.sync))),
        )),
      ),
    );
  };

  const loadHours = async () => {
    const a = await get<any>(`/api/v1/stats/passes?project=${enc(code)}`);
    hourChart.setOption({
      animation: false,
      grid: { left: 40, right: 8, top: 10, bottom: 22 },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: a.hours.map((x: any) => `${x.hour}`), ...axisStyle },
      yAxis: { type: 'value', ...axisStyle },
      series: [
        { name: t('chart.allowed'), type: 'bar', stack: 'p', data: a.hours.map((x: any) => x.allowed), itemStyle: { color: palette.allow } },
        { name: t('chart.denied'), type: 'bar', stack: 'p', data: a.hours.map((x: any) => x.denied), itemStyle: { color: palette.deny } },
      ],
    });
  };

  const loadAlerts = async () => {
    const a = await optional<AlertList>(`/api/v1/alerts?project=${enc(code)}&status=active&limit=50`);
    if (!a) return;
    alertCard.hidden = false;
    alertCount.textContent = formatNumber(a.counts.total);
    alertCount.dataset.value = String(a.counts.total);
    replace(alertBody, alertTable(a.items, () => void loadAlerts().catch(fail)));
  };

  void Promise.all([loadView(), loadMuster(), loadAttendance(), loadDevices(), loadHours(), loadAlerts()])
    .then(() => {
      if (!disposed) root.dataset.ready = '1';
    })
    .catch(fail);

  // Live: the head-count follows every pass here; the muster list is reloaded (debounced).
  let stale = false;
  offs.push(
    onPass((pass: LivePass) => {
      if (pass.project_code !== code) return;
      const el = root.querySelector('[data-testid=project-onsite]');
      if (el) el.textContent = formatNumber(pass.onsite_count);
      stale = true;
    }),
  );
  timers.push(window.setInterval(() => {
    if (!stale) return;
    stale = false;
    void loadMuster().catch(fail);
  }, 3000));
  timers.push(window.setInterval(() => void Promise.all([loadDevices(), loadHours()]).catch(fail), 60_000));

  return () => {
    disposed = true;
    timers.forEach((x) => window.clearInterval(x));
    offs.forEach((off) => off());
  };
}
