// The person view: identity (ID number masked unless revealed, and only when the server showed it
// in full), certificates with validity bars, enrolments, the trajectory of passes across sites on
// a timeline, residence registration (when the server has that module) and alerts.

import { enc, get, optional, type AlertList } from '../api';
import { axisStyle, makeChart, palette } from '../charts';
import { card, esc, h, link, maskId, replace } from '../dom';
import { formatNumber, formatTime, label, t } from '../i18n';
import { alertTable } from './alerts';

const DAY = 86_400_000;

function validityBar(c: any): HTMLElement {
  const from = Date.parse(c.valid_from);
  const to = Date.parse(c.valid_to) + DAY;
  const now = Date.now();
  const share = to > from ? Math.min(1, Math.max(0, (now - from) / (to - from))) : 1;
  return h(
    'div.validity',
    { title: t('person.valid', { from: c.valid_from, to: c.valid_to }) },
    h(`div.validity-fill.cert-${c.status}`, { style: { width: `${(share * 100).toFixed(1)}%` } }),
    h('div.validity-now', { style: { left: `${(share * 100).toFixed(1)}%` } }),
  );
}

export function personPage(root: HTMLElement, params: Record<string, string>): () => void {
  const id = params.id;
  let disposed = false;
  const title = h('h1.page-title.ellipsis', `#${id}`);
  const error = h('p.error', { role: 'alert' });
  const [idCard, idBody] = card(t('person.identity'), 'person-identity');
  const [certCard, certBody] = card(t('person.certificates'), 'person-certificates');
  const [enrolCard, enrolBody] = card(t('person.enrolments'), 'person-enrolments');
  const [trajCard, trajBody] = card(t('person.trajectory'), 'person-trajectory');
  const trajEl = h('div.chart.timeline');
  const trajList = h('div.scroll.short');
  trajBody.append(trajEl, trajList);
  const [resCard, resBody] = card(t('person.residence'), 'person-residence');
  resCard.hidden = true;
  // How many there are (the table shows the newest 50).
  const alertCount = h('span.count');
  const [alertCard, alertBody] = card(t('person.alerts'), 'person-alerts', alertCount);
  alertCard.hidden = true;
  replace(
    root,
    h(
      'div.person',
      h('div.page-head', h('a.back', { href: '/', 'data-route': '1', onclick: (e: Event) => { if (history.length > 1) { e.preventDefault(); e.stopPropagation(); history.back(); } } }, `← ${t('common.back')}`), title),
      error,
      h('div.grid-2', idCard, certCard),
      enrolCard,
      trajCard,
      h('div.grid-2', resCard, alertCard),
    ),
  );
  const chart = makeChart(trajEl);
  const fail = (e: unknown) => {
    if (!disposed) error.textContent = t('common.error', { message: (e as Error).message });
  };

  const loadPerson = async () => {
    const p = await get<any>(`/api/v1/persons/${enc(id)}`);
    title.textContent = p.name;
    title.title = p.name;
    document.title = `${p.name} · ${t('app.short')}`;
    const full = String(p.id_number ?? '');
    const shown = h('span.mono', { 'data-testid': 'person-id-number' }, maskId(full));
    let revealed = false;
    const toggle = full.includes('*')
      ? null
      : h('button.link', {
          onclick: () => {
            revealed = !revealed;
            shown.textContent = revealed ? full : maskId(full);
            toggle!.textContent = revealed ? t('common.hide') : t('common.show');
          },
        }, t('common.show'));
    replace(
      idBody,
      h(
        'dl.facts',
        h('dt', t('table.name')), h('dd', p.name),
        h('dt', t('person.id_number')), h('dd', `${p.id_type_name} `, shown, ' ', toggle),
        h('dt', t('person.sex')), h('dd', p.sex === 'male' ? t('person.male') : p.sex === 'female' ? t('person.female') : '—'),
        h('dt', t('person.birth')), h('dd', p.birth_date ?? '—'),
        h('dt', t('person.nation')), h('dd', p.nation_name ?? '—'),
        h('dt', t('person.phone')), h('dd.mono', p.phone ? maskPhone(p.phone) : '—'),
        h('dt', t('person.id_address')), h('dd', p.id_address ?? '—'),
      ),
    );
    replace(
      certBody,
      p.certificates.length === 0
        ? h('p.empty', t('common.none'))
        : h('ul.certs', p.certificates.map((c: any) =>
            h('li', { 'data-certificate': c.id },
              h('div.cert-head', h('span.cert-name', c.type_name), certBadge(c.status)),
              validityBar(c),
              h('div.muted.small', `${c.number} · ${t('person.valid', { from: c.valid_from, to: c.valid_to })}`),
            ),
          )),
    );
    replace(
      enrolBody,
      h(
        'table.table',
        h('thead', h('tr', h('th', t('table.project')), h('th', t('project.work_type')), h('th', t('project.team')), h('th', t('person.entry')), h('th', t('person.exit')), h('th', t('person.dorm')))),
        h('tbody', p.enrolments.map((e: any) =>
          h('tr', { class: e.exit_date ? 'muted' : '' },
            h('td.wrap', link(`/projects/${enc(e.project_code)}`, e.project_name ?? e.project_code)),
            h('td', e.post ? e.post : e.work_type_name),
            h('td', e.team_name ?? '—'),
            h('td', e.entry_date),
            h('td', e.exit_date ?? '—'),
            h('td.wrap', e.dorm_address ?? '—'),
          ),
        )),
      ),
    );
  };

  const loadTrajectory = async () => {
    const tr = await get<any>(`/api/v1/persons/${enc(id)}/trajectory`);
    const items: any[] = tr.items;
    if (items.length === 0) {
      trajEl.hidden = true;
      replace(trajList, h('p.empty', t('person.no_passes')));
      return;
    }
    const sites = [...new Set(items.map((x) => x.project_name ?? x.project_code))];
    chart.setOption({
      animation: false,
      grid: { left: 12, right: 16, top: 10, bottom: 50, containLabel: true },
      tooltip: {
        trigger: 'item',
        formatter: (p: any) => {
          const x = items[p.dataIndex];
          return `${esc(formatTime(x.time, true))}<br/>${esc(x.project_name ?? x.project_code)}<br/>${esc(label('dir', x.direction))} · ${esc(x.decision === 'allow' ? t('chart.allowed') : t('chart.denied'))} ${esc(x.reasons.map((r: string) => label('reason', r)).join(' '))}`;
        },
      },
      dataZoom: [{ type: 'inside' }, { type: 'slider', height: 18, bottom: 8 }],
      xAxis: { type: 'time', ...axisStyle },
      yAxis: { type: 'category', data: sites, ...axisStyle, axisLabel: { color: palette.muted, width: 220, overflow: 'truncate' } },
      series: [
        {
          type: 'scatter',
          symbolSize: 8,
          data: items.map((x) => ({
            value: [x.time, x.project_name ?? x.project_code],
            itemStyle: { color: x.decision === 'allow' ? (x.direction === 'in' ? palette.allow : palette.accent) : palette.deny },
          })),
        },
      ],
    });
    const last = items.slice(-60).reverse();
    replace(
      trajList,
      h('table.table', h('tbody', last.map((x) =>
        h('tr', h('td.nowrap', formatTime(x.time, true)), h('td.wrap', link(`/projects/${enc(x.project_code)}`, x.project_name ?? x.project_code)), h('td', `${x.zone ?? ''} ${label('dir', x.direction)}`), h('td', x.decision === 'allow' ? h('span.badge.online', t('chart.allowed')) : h('span.badge.deny', x.reasons.map((r: string) => label('reason', r)).join(' ')))),
      ))),
    );
  };

  const loadResidence = async () => {
    const r = await optional<any>(`/api/v1/residence-registrations?person_id=${enc(id)}`);
    if (!r) return;
    resCard.hidden = false;
    const items: any[] = r.items ?? [];
    replace(
      resBody,
      items.length === 0
        ? h('p.empty', t('common.none'))
        : h('ul.plain', items.map((x) => h('li', h('span.badge', x.status ?? '—'), ' ', x.address ?? x.dorm_address ?? '', ' ', h('span.muted', x.due_date ?? x.registered_at ?? '')))),
    );
  };

  const loadAlerts = async () => {
    const a = await optional<AlertList>(`/api/v1/alerts?person_id=${enc(id)}&status=all&limit=50`);
    if (!a) return;
    alertCard.hidden = false;
    alertCount.textContent = formatNumber(a.counts.total);
    alertCount.dataset.value = String(a.counts.total);
    replace(alertBody, alertTable(a.items, () => void loadAlerts().catch(fail)));
  };

  void Promise.all([loadPerson(), loadTrajectory(), loadResidence(), loadAlerts()])
    .then(() => {
      if (!disposed) root.dataset.ready = '1';
    })
    .catch(fail);
  return () => {
    disposed = true;
  };
}

function certBadge(status: string): HTMLElement {
  return h(`span.badge.cert-${status}`, label('cert', status));
}

function maskPhone(phone: string): string {
  return phone.includes('*') || phone.length < 7 ? phone : `${phone.slice(0, 3)}****${phone.slice(-4)}`;
}
