// Work orders (工单调度): the list with filters (status, area, overdue) and counts per status, a
// form to dispatch a new order (for those with orders.dispatch), and one order's page: its facts,
// due date (overdue marked), history, photos (fetched with the token, shown as blob: URLs) and the
// dispatcher's actions — assign, supervise, close, reopen. Coded against GET/POST
// /api/v1/work-orders[/{id}[/{action}]], /api/v1/dispatch/rules and /api/v1/areas.

import {
  ApiError,
  enc,
  get,
  optional,
  orderStatuses,
  post,
  priorities,
  token,
  type Area,
  type AreaLevel,
  type DispatchRules,
  type OrderAction,
  type OrderPhoto,
  type OrderStep,
  type WorkOrder,
  type WorkOrderDetail,
  type WorkOrderList,
} from '../api';
import { categoryText, deadlineText, dispatcherActions, formatBytes, formatDeadline, pick, priorityChip, statusBadge } from '../dispatch';
import { card, h, link, replace } from '../dom';
import { formatFullTime, formatNumber, formatTime, label, t } from '../i18n';
import { navigate } from '../nav';
import { currentSession, hasRight } from '../session';

const PAGE = 100;
const DETAIL_POLL_MS = 5000;

function describe(e: unknown): string {
  if (e instanceof ApiError) return t('common.error', { message: `${e.message} (${e.code}${e.details.field ? ` · ${e.details.field}` : ''})` });
  return t('common.error', { message: (e as Error).message });
}

function dueCell(o: WorkOrder): HTMLElement {
  return h(
    `span.due${o.overdue ? '.overdue' : ''}`,
    { 'data-overdue': String(o.overdue), title: o.overdue ? t('orders.overdue') : '' },
    formatDeadline(o.due_at),
    o.overdue ? h('span.badge.overdue-badge', t('orders.overdue')) : null,
  );
}

// ---- the list and the form

export function workOrdersPage(root: HTMLElement, _params: Record<string, string>, query: URLSearchParams): () => void {
  let disposed = false;
  const error = h('p.error', { role: 'alert' });
  const select = (name: string, options: [string, string][], value: string) =>
    h(
      'select',
      { name, 'data-testid': `filter-${name}` },
      options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)),
    ) as HTMLSelectElement;
  const status = select('status', [['', t('common.all')], ...orderStatuses.map((s): [string, string] => [s, label('order_status', s)])], query.get('status') ?? '');
  const area = h('input', { name: 'area', size: 15, inputmode: 'numeric', placeholder: t('orders.area_code'), value: query.get('area') ?? '', 'data-testid': 'filter-area' }) as HTMLInputElement;
  const overdue = h('input', { type: 'checkbox', name: 'overdue', checked: query.get('overdue') === 'true', 'data-testid': 'filter-overdue' }) as HTMLInputElement;
  const total = h('span.count', { 'data-testid': 'orders-total' });
  const counts = h('div.status-counts', { 'data-testid': 'status-counts' });
  const [listCard, listBody] = card(t('orders.list'), 'orders-list', total);
  const more = h('button.ghost', { type: 'button', hidden: true, 'data-testid': 'orders-more' }, t('orders.more'));
  const createBox = h('div');
  const form = h(
    'form.filters',
    {
      onsubmit: (e: Event) => {
        e.preventDefault();
        void load(null);
      },
    },
    h('label', t('orders.status'), status),
    h('label', t('orders.area_code'), area),
    h('label.check', overdue, ` ${t('orders.overdue_only')}`),
    h('button.primary', { type: 'submit', 'data-testid': 'filter-submit' }, t('orders.filter')),
  );
  replace(
    root,
    h('div.orders-page', h('div.page-head', h('h1.page-title', t('orders.title'))), error, createBox, form, counts, listCard, h('div.more', more)),
  );
  document.title = `${t('orders.title')} · ${t('app.short')}`;

  let rules: DispatchRules | null = null;
  let items: WorkOrder[] = [];
  let cursor: string | null = null;
  let seq = 0;

  const row = (o: WorkOrder) =>
    h(
      `tr${o.overdue ? '.overdue' : ''}`,
      { 'data-testid': `order-row-${o.id}`, 'data-order': o.id, 'data-status': o.status },
      h('td.num', link(`/work-orders/${o.id}`, `#${o.id}`)),
      h('td.wrap', link(`/work-orders/${o.id}`, o.title)),
      h('td.nowrap', categoryText(o)),
      h('td', priorityChip(o.priority)),
      h('td.wrap', o.area_name ?? o.area_code, h('div.mono.small.muted', o.area_code)),
      h('td', statusBadge(o.status)),
      h('td.nowrap', o.assignee ?? h('span.muted', t('orders.unassigned'))),
      h('td.nowrap.small', dueCell(o)),
      h('td.nowrap.small', formatTime(o.created_at, true)),
    );

  const load = async (from: string | null) => {
    const mine = ++seq;
    const q = new URLSearchParams();
    if (status.value) q.set('status', status.value);
    if (area.value.trim()) q.set('area', area.value.trim());
    if (overdue.checked) q.set('overdue', 'true');
    const shown = q.toString();
    history.replaceState(null, '', `/work-orders${shown ? `?${shown}` : ''}`);
    q.set('limit', String(PAGE));
    if (from) q.set('cursor', from);
    listCard.dataset.state = 'loading';
    try {
      const list = await get<WorkOrderList>(`/api/v1/work-orders?${q}`);
      if (disposed || mine !== seq) return;
      error.textContent = '';
      items = from ? [...items, ...list.items] : list.items;
      cursor = list.next_cursor;
      more.hidden = !cursor;
      total.textContent = t('orders.total', { n: formatNumber(items.length) + (cursor ? '+' : '') });
      total.dataset.value = String(items.length);
      replace(
        counts,
        orderStatuses.map((s) =>
          h(
            `button.status-count${status.value === s ? '.active' : ''}`,
            {
              type: 'button',
              'data-testid': `status-count-${s}`,
              'data-value': list.counts?.[s] ?? 0,
              onclick: () => {
                status.value = status.value === s ? '' : s;
                void load(null);
              },
            },
            statusBadge(s),
            ` ${formatNumber(list.counts?.[s] ?? 0)}`,
          ),
        ),
      );
      replace(
        listBody,
        items.length === 0
          ? h('p.empty', t('orders.none'))
          : h(
              'table.table.orders',
              h(
                'thead',
                h(
                  'tr',
                  [t('orders.id'), t('orders.title_field'), t('orders.category'), t('orders.priority'), t('orders.area'), t('orders.status'), t('orders.assignee'), t('orders.due'), t('orders.created')].map((x) => h('th', x)),
                ),
              ),
              h('tbody', items.map(row)),
            ),
      );
      listCard.dataset.state = 'done';
    } catch (e) {
      if (disposed || mine !== seq) return;
      listCard.dataset.state = 'failed';
      if (e instanceof ApiError && e.status === 404 && e.code === 'not_found') {
        form.hidden = true;
        replace(listBody, h('p.empty', t('common.unavailable', { path: 'GET /api/v1/work-orders' })));
        return;
      }
      error.textContent = describe(e);
    } finally {
      if (!disposed) root.dataset.ready = '1';
    }
  };
  more.addEventListener('click', () => void load(cursor));

  void (async () => {
    const session = await currentSession();
    rules = await optional<DispatchRules>('/api/v1/dispatch/rules').catch(() => null);
    if (disposed || !rules || !hasRight(session, 'orders.dispatch')) return;
    createBox.append(createForm(rules, () => disposed));
  })();
  void load(null);
  return () => {
    disposed = true;
  };
}

// The dispatcher's form for a new order (source manual). The areas come from GET /api/v1/areas,
// named with their street or community so that two 第1网格 can be told apart.
function createForm(rules: DispatchRules, gone: () => boolean): HTMLElement {
  const error = h('p.error', { role: 'alert', 'data-testid': 'new-error' });
  const title = h('input', { name: 'title', required: true, maxlength: 200, size: 40, 'data-testid': 'new-title' }) as HTMLInputElement;
  const category = h(
    'select',
    { name: 'category', required: true, 'data-testid': 'new-category' },
    Object.entries(rules.categories).map(([code, c]) => h('option', { value: code }, `${pick(c, code)}（${deadlineText(rules, code)}）`)),
  ) as HTMLSelectElement;
  const levels: AreaLevel[] = ['street', 'community', 'grid'];
  const level = h(
    'select',
    { name: 'level', 'data-testid': 'new-level' },
    levels.map((l) => h('option', { value: l, selected: l === 'community' }, label('area_level', l))),
  ) as HTMLSelectElement;
  const areaSelect = h('select', { name: 'area_code', required: true, 'data-testid': 'new-area' }) as HTMLSelectElement;
  const priority = h(
    'select',
    { name: 'priority', 'data-testid': 'new-priority' },
    priorities.map((p) => h('option', { value: p, selected: p === 'yellow' }, label('severity', p))),
  ) as HTMLSelectElement;
  const assignee = h('input', { name: 'assignee', maxlength: 64, size: 16, placeholder: t('orders.assignee_hint'), title: t('orders.assignee_hint'), 'data-testid': 'new-assignee' }) as HTMLInputElement;
  const description = h('textarea', { name: 'description', rows: 2, maxlength: 2000, 'data-testid': 'new-description' }) as HTMLTextAreaElement;
  const submit = h('button.primary', { type: 'submit', 'data-testid': 'new-submit' }, t('orders.submit'));

  const areas = new Map<AreaLevel, Area[]>();
  const names = new Map<string, string>();
  const fillAreas = () => {
    const list = areas.get(level.value as AreaLevel) ?? [];
    replace(
      areaSelect,
      h('option', { value: '' }, t('orders.choose_area')),
      list.map((a) => h('option', { value: a.code }, `${a.parent && names.get(a.parent) ? `${names.get(a.parent)} · ` : ''}${a.name}（${a.code}）`)),
    );
  };
  level.addEventListener('change', fillAreas);
  void Promise.all(levels.map((l) => get<{ items: Area[] }>(`/api/v1/areas?level=${l}`)))
    .then((answers) => {
      if (gone()) return;
      answers.forEach((a, i) => {
        areas.set(levels[i], a.items);
        for (const x of a.items) names.set(x.code, x.name);
      });
      fillAreas();
    })
    .catch((e) => (error.textContent = describe(e)));

  const form = h(
    'form.order-form',
    {
      onsubmit: async (e: Event) => {
        e.preventDefault();
        error.textContent = '';
        const body: Record<string, unknown> = {
          title: title.value.trim(),
          category: category.value,
          area_code: areaSelect.value,
          source: 'manual',
          priority: priority.value,
        };
        if (description.value.trim()) body.description = description.value.trim();
        if (assignee.value.trim()) body.assignee = assignee.value.trim();
        submit.setAttribute('disabled', '');
        try {
          const made = await post<WorkOrder>('/api/v1/work-orders', body);
          navigate(`/work-orders/${made.id}`);
        } catch (err) {
          error.textContent = describe(err);
        } finally {
          submit.removeAttribute('disabled');
        }
      },
    },
    h('label', t('orders.title_field'), title),
    h('label', t('orders.category'), category),
    h('label', t('orders.area_level'), level),
    h('label', t('orders.area'), areaSelect),
    h('label', t('orders.priority'), priority),
    h('label', t('orders.assignee'), assignee),
    h('label.wide', t('orders.description'), description),
    submit,
    error,
  );
  return h('details.card.order-create', { 'data-testid': 'order-create' }, h('summary', t('orders.create')), form);
}

// ---- one order

export function workOrderPage(root: HTMLElement, params: Record<string, string>): () => void {
  let disposed = false;
  let timer: number | undefined;
  const id = Number(params.id);
  const photoUrls = new Map<number, string>();
  const error = h('p.error', { role: 'alert' });
  const head = h('div.page-head');
  const [factsCard, factsBody] = card(t('orders.facts'), 'order-facts');
  const [historyCard, historyBody] = card(t('orders.history'), 'order-history');
  const [photoCard, photoBody] = card(t('orders.photos'), 'order-photos');
  const actionsBox = h('div');
  replace(
    root,
    h(
      'div.order-page',
      h('p', link('/work-orders', t('orders.back'))),
      head,
      error,
      h('div.grid-order', factsCard, actionsBox),
      h('div.grid-order', historyCard, photoCard),
    ),
  );

  let rules: DispatchRules | null = null;
  let actions: ReturnType<typeof actionPanel> | null = null;
  let shown = '';

  const draw = (o: WorkOrderDetail) => {
    document.title = `#${o.id} ${o.title} · ${t('app.short')}`;
    root.dataset.status = o.status;
    replace(
      head,
      h('h1.page-title.wrap', `#${o.id} ${o.title}`),
      statusBadge(o.status, 'order-status'),
      priorityChip(o.priority),
      o.overdue ? h('span.badge.overdue-badge', t('orders.overdue')) : null,
    );
    const dept = o.department ? pick(rules?.departments?.[o.department], o.department) : '—';
    const fact = (name: string, key: string, ...value: (Node | string | null)[]) => [h('dt', key), h('dd', { 'data-field': name }, ...value)];
    replace(
      factsBody,
      h(
        'dl.facts',
        fact('category', t('orders.category'), categoryText(o), rules ? h('span.muted.small', ` ${deadlineText(rules, o.category)}`) : null),
        fact('area', t('orders.area'), link(`/warnings?area=${enc(o.area_code)}`, o.area_name ?? o.area_code), h('span.mono.small.muted', ` ${o.area_code}`)),
        fact('source', t('orders.source'), label('order_source', o.source), o.source_id ? h('span.mono.small.muted', ` ${o.source_id}`) : null),
        o.alert
          ? fact(
              'alert',
              t('orders.alert'),
              h('span', priorityChip(o.alert.severity), ' ', h('a', { href: `/alerts?status=all&type=${enc(o.alert.type)}`, 'data-route': '1' }, `#${o.alert.id} ${o.alert.message}`), ' ', h(`span.badge.alert-${o.alert.status}`, label('alert_status', o.alert.status))),
            )
          : null,
        fact('department', t('orders.department'), dept),
        fact('assignee', t('orders.assignee'), o.assignee ?? t('orders.unassigned')),
        fact('created', t('orders.created'), `${formatFullTime(o.created_at)} · ${o.created_by}`),
        h('dt', t('orders.due')),
        h('dd', { 'data-field': 'due', 'data-testid': 'order-due', 'data-overdue': String(o.overdue) }, dueCell(o)),
        o.escalated_at ? fact('escalated_at', t('orders.escalated_at'), formatFullTime(o.escalated_at)) : null,
        o.supervisions ? fact('supervisions', t('orders.supervisions'), String(o.supervisions)) : null,
        o.finished_at ? fact('finished_at', t('orders.finished_at'), formatFullTime(o.finished_at)) : null,
        o.closed_at ? fact('closed_at', t('orders.closed_at'), formatFullTime(o.closed_at)) : null,
        o.lat !== null && o.lng !== null ? fact('location', t('orders.location'), `${o.lat.toFixed(5)}, ${o.lng.toFixed(5)}`) : null,
        o.description ? fact('description', t('orders.description'), h('span.wrap.pre', o.description)) : null,
      ),
    );
    replace(historyBody, timeline(o.history, o.photos));
    drawPhotos(o);
    actions?.update(o);
  };

  const drawPhotos = (o: WorkOrderDetail) => {
    if (o.photos.length === 0) {
      replace(photoBody, h('p.empty', t('orders.no_photos')));
      return;
    }
    replace(
      photoBody,
      h(
        'div.photos',
        o.photos.map((p) => {
          const img = h('img', { alt: t('orders.photo_alt', { id: p.id, order: o.id }), 'data-testid': `photo-${p.id}`, 'data-photo': p.id }) as HTMLImageElement;
          const a = h('a', { target: '_blank', rel: 'noopener' }, img);
          img.addEventListener('load', () => (img.dataset.loaded = '1'));
          void photoUrl(p).then((url) => {
            if (!url) return;
            img.src = url;
            a.setAttribute('href', url);
          });
          const step = o.history.find((s) => s.id === p.step_id);
          return h(
            'figure.photo',
            a,
            h('figcaption.small.muted', `${step ? label('order_action', step.action) : ''} · ${formatTime(p.at, true)} · ${formatBytes(p.bytes)}`),
          );
        }),
      ),
    );
  };

  // The bytes need the bearer token: fetched, kept as a blob: URL until the page goes.
  const photoUrl = async (p: OrderPhoto): Promise<string | null> => {
    const known = photoUrls.get(p.id);
    if (known) return known;
    try {
      const response = await fetch(p.href, { headers: { Authorization: `Bearer ${token() ?? ''}` } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const blob = await response.blob();
      if (disposed) return null;
      const url = URL.createObjectURL(blob);
      photoUrls.set(p.id, url);
      return url;
    } catch (e) {
      if (!disposed) error.textContent = describe(e);
      return null;
    }
  };

  const load = async () => {
    try {
      const o = await get<WorkOrderDetail>(`/api/v1/work-orders/${id}`);
      if (disposed) return;
      error.textContent = '';
      const key = JSON.stringify(o);
      if (key !== shown) {
        shown = key;
        draw(o);
      }
    } catch (e) {
      if (disposed) return;
      if (e instanceof ApiError && e.status === 404) {
        replace(head, h('h1.page-title', `#${params.id}`));
        replace(factsBody, h('p.empty', e.message));
        return;
      }
      error.textContent = describe(e);
    } finally {
      if (!disposed) root.dataset.ready = '1';
    }
  };

  const poll = async () => {
    await load();
    if (!disposed) timer = window.setTimeout(poll, DETAIL_POLL_MS);
  };

  void (async () => {
    const session = await currentSession();
    rules = await optional<DispatchRules>('/api/v1/dispatch/rules').catch(() => null);
    if (disposed) return;
    if (hasRight(session, 'orders.dispatch')) {
      actions = actionPanel(id, async () => {
        shown = '';
        await load();
      });
      replace(actionsBox, actions.el);
    } else {
      replace(actionsBox, h('p.muted', t('orders.no_dispatch')));
    }
    await poll();
  })();

  return () => {
    disposed = true;
    window.clearTimeout(timer);
    for (const url of photoUrls.values()) URL.revokeObjectURL(url);
  };
}

function timeline(steps: OrderStep[], photos: OrderPhoto[]): HTMLElement {
  if (steps.length === 0) return h('p.empty', t('common.none'));
  return h(
    'ol.timeline',
    steps.map((s) => {
      const detail = s.detail ?? {};
      const pics = photos.filter((p) => p.step_id === s.id).length;
      return h(
        'li',
        { 'data-testid': `step-${s.id}`, 'data-action': s.action, 'data-to': s.to },
        h('div.when.small.muted', formatFullTime(s.at)),
        h(
          'div',
          h('strong', label('order_action', s.action)),
          ' · ',
          s.actor,
          s.from && s.from !== s.to ? h('span.muted.small', ` ${label('order_status', s.from)} → ${label('order_status', s.to)}`) : null,
          typeof detail.assignee === 'string' ? h('span.small', ` ${t('orders.assigned_to', { name: detail.assignee })}`) : null,
          detail.routed === true ? h('span.badge', t('orders.routed')) : null,
          pics ? h('span.badge', t('orders.photo_count', { n: pics })) : null,
        ),
        s.note ? h('div.note.wrap', s.note) : null,
      );
    }),
  );
}

// The dispatcher's buttons (each data-testid="action-<name>"), shown for the statuses that allow
// them, with an assignee field (assign) and a note (needed by supervise and reopen).
function actionPanel(id: number, changed: () => Promise<void>): { el: HTMLElement; update: (o: WorkOrder) => void } {
  const assignee = h('input', { name: 'assignee', maxlength: 64, size: 16, 'data-testid': 'action-assignee', placeholder: t('orders.assignee') }) as HTMLInputElement;
  const note = h('textarea', { name: 'note', rows: 3, maxlength: 2000, 'data-testid': 'action-note', placeholder: t('alerts.note_placeholder') }) as HTMLTextAreaElement;
  const message = h('p.small', { 'data-testid': 'action-message', role: 'status' });
  const error = h('p.error', { role: 'alert', 'data-testid': 'action-error' });
  const none = h('p.muted', { hidden: true }, t('orders.no_actions'));
  const assigneeRow = h('label', t('orders.assignee'), assignee);
  const buttons = new Map<OrderAction, HTMLButtonElement>();
  const act = async (action: OrderAction, needsNote: boolean) => {
    error.textContent = '';
    message.textContent = '';
    const body: Record<string, string> = {};
    if (note.value.trim()) body.note = note.value.trim();
    if (action === 'assign') {
      if (!assignee.value.trim()) {
        error.textContent = t('orders.assignee_needed');
        assignee.focus();
        return;
      }
      body.assignee = assignee.value.trim();
    }
    if (needsNote && !body.note) {
      error.textContent = t('orders.note_needed');
      note.focus();
      return;
    }
    const button = buttons.get(action)!;
    button.disabled = true;
    try {
      const answer = await post<WorkOrder>(`/api/v1/work-orders/${id}/${action}`, body);
      message.textContent = t('orders.done', { action: label('order_action', action) }) + (answer.replayed ? t('orders.replayed') : '');
      note.value = '';
      if (action === 'assign') assignee.value = '';
      await changed();
    } catch (e) {
      error.textContent = describe(e);
    } finally {
      button.disabled = false;
    }
  };
  for (const a of dispatcherActions) {
    const b = h(`button${a.action === 'close' ? '.primary' : ''}`, { type: 'button', 'data-testid': `action-${a.action}`, hidden: true }, label('order_action', a.action)) as HTMLButtonElement;
    b.addEventListener('click', () => void act(a.action, a.note === 'needed'));
    buttons.set(a.action, b);
  }
  const [el, body] = card(t('orders.actions'), 'order-actions');
  body.append(assigneeRow, h('label', t('orders.note'), note), h('div.action-buttons', [...buttons.values()]), none, message, error);
  return {
    el,
    update: (o: WorkOrder) => {
      let any = false;
      for (const a of dispatcherActions) {
        const allowed = a.from.includes(o.status);
        buttons.get(a.action)!.hidden = !allowed;
        any ||= allowed;
      }
      assigneeRow.hidden = !dispatcherActions[0].from.includes(o.status);
      none.hidden = any;
      el.dataset.status = o.status;
    },
  };
}
