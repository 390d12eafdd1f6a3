// The alerts view: filter by type, severity, status and project; acknowledge; resolve with a
// note. Coded against GET /api/v1/alerts and POST /api/v1/alerts/{id}/acknowledge|resolve (the
// alerts module); on a server without it the page says so instead of showing anything made up.

import { ApiError, enc, get, post, type Alert, type AlertList } from '../api';
import { card, h, link, replace } from '../dom';
import { formatNumber, formatTime, label, t } from '../i18n';

// Asks for a note in a small dialog; resolves to the note, or null when cancelled (the IoT
// alarm's verdict asks the same way).
export function askNote(title: string, required: boolean): Promise<string | null> {
  return new Promise((resolve) => {
    const text = h('textarea', { rows: 4, placeholder: t('alerts.note_placeholder'), 'data-testid': 'alert-note' }) as HTMLTextAreaElement;
    const dialog = h('dialog.note-dialog') as HTMLDialogElement;
    const close = (value: string | null) => {
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    replace(
      dialog,
      h(
        'form',
        {
          method: 'dialog',
          onsubmit: (e: Event) => {
            e.preventDefault();
            const v = text.value.trim();
            if (required && !v) {
              text.focus();
              return;
            }
            close(v);
          },
        },
        h('h3', title),
        h('label', t('alerts.note'), text),
        h(
          'div.actions',
          h('button.ghost', { type: 'button', onclick: () => close(null) }, t('alerts.cancel')),
          h('button.primary', { type: 'submit', 'data-testid': 'alert-note-submit' }, t('alerts.submit')),
        ),
      ),
    );
    document.body.append(dialog);
    dialog.showModal();
    text.focus();
  });
}

// The file of a base-data alert's subject (a person, house or unit of 三实), or null.
function baseSubject(a: Alert): HTMLElement | null {
  const path = ({ base_person: 'people', house: 'houses', unit: 'units' } as Record<string, string>)[a.subject_kind];
  if (!path || !a.subject_id) return null;
  return h('div.small', link(`/${path}/${enc(a.subject_id)}`, `${label('bd_kind', a.subject_kind === 'base_person' ? 'person' : a.subject_kind)} #${a.subject_id}`));
}

// The page of an IoT alert's device (subject kind iot_device), or null.
function iotSubject(a: Alert): HTMLElement | null {
  if (a.subject_kind !== 'iot_device' || a.device_id === null) return null;
  return h('div.small', link(`/iot/devices/${a.device_id}`, `${t('nav.iot')} #${a.device_id}`));
}

// A table of alerts with their actions; `changed` runs after an acknowledge or resolve.
export function alertTable(items: Alert[], changed: () => void): HTMLElement {
  if (items.length === 0) return h('p.empty', t('alerts.none'));
  const act = async (a: Alert, action: 'acknowledge' | 'resolve', button: HTMLElement) => {
    const note = await askNote(`${t(`alerts.${action}`)} · ${a.message}`, action === 'resolve');
    if (note === null) return;
    button.setAttribute('disabled', '');
    try {
      await post(`/api/v1/alerts/${a.id}/${action}`, note ? { note } : {});
      changed();
    } catch (e) {
      button.removeAttribute('disabled');
      alert(t('common.error', { message: (e as Error).message }));
    }
  };
  return h(
    'table.table.alerts',
    h(
      'thead',
      h('tr', h('th', t('alerts.severity')), h('th', t('alerts.type')), h('th', t('alerts.message')), h('th', t('alerts.project')), h('th', t('alerts.last_seen')), h('th', t('alerts.status')), h('th', t('alerts.actions'))),
    ),
    h(
      'tbody',
      items.map((a) => {
        const ack = h('button.small', { 'data-action': 'acknowledge' }, t('alerts.acknowledge'));
        const res = h('button.small.primary', { 'data-action': 'resolve' }, t('alerts.resolve'));
        ack.addEventListener('click', () => void act(a, 'acknowledge', ack));
        res.addEventListener('click', () => void act(a, 'resolve', res));
        const who =
          a.status === 'resolved' && a.resolved_by
            ? t('alerts.resolved_by', { by: a.resolved_by, at: formatTime(a.resolved_at, true) })
            : a.status === 'acknowledged' && a.acknowledged_by
              ? t('alerts.acknowledged_by', { by: a.acknowledged_by, at: formatTime(a.acknowledged_at, true) })
              : '';
        return h(
          'tr',
          { 'data-alert': a.id, 'data-status': a.status },
          h('td', h(`span.sev.sev-${a.severity}`, label('severity', a.severity))),
          h('td.nowrap', label('alert_type', a.type)),
          h(
            'td.wrap',
            a.message,
            a.note ? h('div.muted.small', `${t('alerts.note')}: ${a.note}`) : null,
            who ? h('div.muted.small', who) : null,
            a.person_id ? h('div.small', link(`/persons/${a.person_id}`, `#${a.person_id}`)) : null,
            baseSubject(a),
            iotSubject(a),
          ),
          h('td.nowrap', a.project_code ? link(`/projects/${enc(a.project_code)}`, a.project_code) : '—'),
          h('td.nowrap', formatTime(a.last_seen, true)),
          h('td', h(`span.badge.alert-${a.status}`, label('alert_status', a.status))),
          h('td.nowrap', a.status === 'open' ? ack : null, ' ', a.status !== 'resolved' ? res : null),
        );
      }),
    ),
  );
}

export function alertsPage(root: HTMLElement, _params: Record<string, string>, query: URLSearchParams): () => void {
  let disposed = false;
  const select = (name: string, options: [string, string][], value: string) =>
    h(
      'select',
      { name, 'data-testid': `filter-${name}` },
      options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)),
    ) as HTMLSelectElement;
  const type = select('type', [['', t('common.all')]], query.get('type') ?? '');
  const severity = select(
    'severity',
    [['', t('common.all')], ...(['red', 'orange', 'yellow', 'blue'] as const).map((s): [string, string] => [s, label('severity', s)])],
    query.get('severity') ?? '',
  );
  const status = select(
    'status',
    (['active', 'open', 'acknowledged', 'resolved', 'all'] as const).map((s): [string, string] => [s, label('alert_status', s)]),
    query.get('status') ?? 'active',
  );
  const project = h('input', { name: 'project', placeholder: t('alerts.project'), value: query.get('project') ?? '', 'data-testid': 'filter-project', size: 12 }) as HTMLInputElement;
  const total = h('span.count', { 'data-testid': 'alerts-total' });
  const [listCard, listBody] = card(t('alerts.title'), 'alerts-list', total);
  const counts = h('div.sev-counts', { 'data-testid': 'alerts-counts' });
  const more = h('button.ghost', { hidden: true }, t('alerts.next'));
  const error = h('p.error', { role: 'alert' });
  const form = h(
    'form.filters',
    {
      onsubmit: (e: Event) => {
        e.preventDefault();
        void load(null);
      },
    },
    h('label', t('alerts.type'), type),
    h('label', t('alerts.severity'), severity),
    h('label', t('alerts.status'), status),
    h('label', t('alerts.project'), project),
    h('button.primary', { type: 'submit' }, t('alerts.filter')),
  );
  replace(root, h('div.alerts-page', error, form, counts, listCard, more));
  let items: Alert[] = [];
  let cursor: string | null = null;

  const load = async (from: string | null) => {
    const q = new URLSearchParams();
    if (type.value) q.set('type', type.value);
    if (severity.value) q.set('severity', severity.value);
    q.set('status', status.value);
    if (project.value.trim()) q.set('project', project.value.trim());
    q.set('limit', '100');
    if (from) q.set('cursor', from);
    history.replaceState(null, '', `/alerts?${new URLSearchParams([...q].filter(([k]) => k !== 'limit' && k !== 'cursor'))}`);
    try {
      const a = await get<AlertList>(`/api/v1/alerts?${q}`);
      if (disposed) return;
      error.textContent = '';
      items = from ? [...items, ...a.items] : a.items;
      cursor = a.next_cursor;
      more.hidden = !cursor;
      total.textContent = t('alerts.total', { n: formatNumber(a.counts.total) });
      total.dataset.value = String(a.counts.total);
      const known = new Set([...type.options].map((o) => o.value));
      for (const k of Object.keys(a.counts.by_type ?? {})) {
        if (!known.has(k)) type.append(h('option', { value: k }, label('alert_type', k)));
      }
      replace(
        counts,
        (['red', 'orange', 'yellow', 'blue'] as const).map((s) =>
          h(`span.sev.sev-${s}`, { 'data-severity': s }, `${label('severity', s)} ${a.counts.by_severity?.[s] ?? 0}`),
        ),
      );
      replace(listBody, alertTable(items, () => void load(null)));
      root.dataset.ready = '1';
    } catch (e) {
      if (disposed) return;
      if (e instanceof ApiError && e.status === 404 && e.code === 'not_found') {
        form.hidden = true;
        replace(listBody, h('p.empty', { 'data-testid': 'alerts-unavailable' }, t('common.unavailable', { path: 'GET /api/v1/alerts' })));
        root.dataset.ready = '1';
        return;
      }
      error.textContent = t('common.error', { message: (e as Error).message });
    }
  };
  more.addEventListener('click', () => void load(cursor));
  void load(null);
  return () => {
    disposed = true;
  };
}
