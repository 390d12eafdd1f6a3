// The grid worker's phone page (/m/): log in, go on or off duty (with the phone's position when it
// gives one), the work orders assigned to them — open ones first — and one order with its actions:
// accept, report (a note and/or a photo), finish. Every action goes through the outbox
// (outbox.ts): kept on the phone and sent when the network allows, shown at once in the order's
// status. Chinese first, English on a tap (the screen's dictionary, i18n.ts).

import './mobile.css';
import { api, ApiError, type CurrentSession, type Duty, type OrderStatus, type WorkOrder, type WorkOrderDetail, type WorkOrderList } from '../api';
import { byUrgency, categoryText, formatBytes, formatDeadline, isOpen, priorityChip, statusBadge } from '../dispatch';
import { h, replace } from '../dom';
import { formatFullTime, formatTime, label, lang, setLang, t } from '../i18n';
import { Outbox, type WorkerAction } from './outbox';
import { preparePhoto, type PreparedPhoto } from './photo';

const SESSION_KEY = 'zhizhi.m.session';
const ORDERS_KEY = 'zhizhi.m.orders';
const REFRESH_MS = 5000;
const POSITION_MS = 5 * 60_000;
const LISTED: OrderStatus[] = ['assigned', 'in_progress', 'reported', 'finished'];

interface Session {
  token: string;
  user: string;
}

// ---- state

function readSession(): Session | null {
  try {
    const s = JSON.parse(localStorage.getItem(SESSION_KEY) ?? 'null');
    return s && typeof s.token === 'string' && typeof s.user === 'string' ? s : null;
  } catch {
    return null;
  }
}

let session: Session | null = readSession();
let loginMessage = '';
const orders = new Map<number, WorkOrder>();
const details = new Map<number, WorkOrderDetail>();
let duty: Duty | null = null;
let refreshedAt: Date | null = null;
let refreshError = '';

// The list is kept for offline use as {user, items}: one worker's orders are never shown to
// another who logs in on the same phone.
try {
  const cached = JSON.parse(localStorage.getItem(ORDERS_KEY) ?? '{}');
  if (session && cached?.user === session.user && Array.isArray(cached.items))
    for (const o of cached.items as WorkOrder[]) if (Number.isInteger(o?.id)) orders.set(o.id, o);
} catch {
  /* no cache */
}

function saveOrders(): void {
  if (!session) return;
  try {
    localStorage.setItem(ORDERS_KEY, JSON.stringify({ user: session.user, items: [...orders.values()] }));
  } catch {
    /* the list is only a cache */
  }
}

function setSession(value: Session | null): void {
  if (value && value.user !== session?.user) {
    // Another worker on this phone: nothing of the last one's orders stays on the screen.
    orders.clear();
    details.clear();
    duty = null;
    localStorage.removeItem(ORDERS_KEY);
  }
  session = value;
  if (value) localStorage.setItem(SESSION_KEY, JSON.stringify(value));
  else localStorage.removeItem(SESSION_KEY);
}

// The session ended on the server (401): log in again; the outbox keeps its actions.
function sessionLost(): void {
  setSession(null);
  loginMessage = t('m.session_lost');
  render();
}

// What the list keeps of an order (not its history or photos).
function summary(o: WorkOrder | WorkOrderDetail): WorkOrder {
  const { history: _h, photos: _p, alert: _a, replayed: _r, ...rest } = o as Partial<WorkOrderDetail> & WorkOrder;
  return rest;
}

// Whether `fresh` (an answer that may have been on its way while an action was sent) is not
// older than what the phone knows of the order.
function notOlder(fresh: WorkOrder): boolean {
  const known = orders.get(fresh.id);
  return !known || !known.updated_at || !fresh.updated_at || fresh.updated_at >= known.updated_at;
}

// An action the server took: its answer is the order as it is now (its history and photos come
// with the next load of the screen).
function learned(order: WorkOrder): void {
  orders.set(order.id, summary(order));
  const d = details.get(order.id);
  if (d) details.set(order.id, { ...d, ...summary(order) });
  saveOrders();
  screenReload?.();
}

const outbox = new Outbox(() => session, learned, sessionLost);

const call = <T>(method: string, path: string, body?: unknown): Promise<T> => api<T>(method, path, body, session?.token ?? null);

function shown(o: Pick<WorkOrder, 'id' | 'status'>): OrderStatus {
  return outbox.shownStatus(session?.user ?? null, o);
}

// ---- the shell: top bar, the outbox's banner, one screen

const app = document.getElementById('app')!;
const main = h('main.m-main');
const banner = h('div.m-banner');
let screenCleanup: (() => void) | null = null;
let screenUpdate: (() => void) | null = null;
let screenReload: (() => void) | null = null;

function go(path: string): void {
  history.pushState(null, '', path);
  render();
}

function topbar(): HTMLElement {
  return h(
    'header.m-top',
    h('span.m-brand', h('span.m-logo', '治'), t('m.title')),
    session ? h('span.m-user', session.user) : null,
    h(
      'button.m-ghost',
      {
        type: 'button',
        'data-testid': 'lang',
        onclick: () => {
          setLang(lang() === 'en' ? 'zh-CN' : 'en');
          render();
        },
      },
      lang() === 'en' ? '中文' : 'EN',
    ),
    session
      ? h(
          'button.m-ghost',
          {
            type: 'button',
            'data-testid': 'logout',
            onclick: () => {
              const waiting = outbox.waiting(session?.user ?? null).length;
              if (waiting && !confirm(t('m.logout_waiting', { n: waiting }))) return;
              void call('DELETE', '/api/v1/sessions/current').catch(() => undefined);
              setSession(null);
              render();
            },
          },
          t('m.logout'),
        )
      : null,
  );
}

function drawBanner(): void {
  const user = session?.user ?? null;
  const waiting = outbox.waiting(user).length;
  const offline = outbox.offline || !navigator.onLine;
  replace(
    banner,
    offline && session ? h('p.m-offline', { 'data-testid': 'offline' }, t('m.offline')) : null,
    h(
      'div.m-queue',
      { hidden: waiting === 0 },
      h('span', { 'data-testid': 'queue-count', 'data-value': waiting }, t('m.queue', { n: waiting })),
      h('button.m-small', { type: 'button', 'data-testid': 'queue-retry', onclick: () => void outbox.flush() }, t('m.queue_retry')),
    ),
    outbox.unsaved ? h('p.m-warn', t('m.queue_unsaved')) : null,
    outbox.dropped().map((d) =>
      h(
        'div.m-dropped',
        { 'data-testid': 'queue-error', 'data-code': d.code, role: 'alert' },
        h('span', t('m.dropped', { action: label('order_action', d.action), id: d.order_id, message: d.message })),
        h('button.m-small', { type: 'button', onclick: () => outbox.dismiss(d.client_id) }, t('m.dismiss')),
      ),
    ),
  );
}

function render(): void {
  screenCleanup?.();
  screenCleanup = null;
  screenUpdate = null;
  screenReload = null;
  document.title = `${t('m.title')} · ${t('app.short')}`;
  replace(app, topbar(), banner, main);
  drawBanner();
  if (!session) {
    loginScreen();
    return;
  }
  const m = location.pathname.match(/^\/m\/orders\/(\d+)\/?$/);
  if (m) detailScreen(Number(m[1]));
  else listScreen();
}

// ---- log-in

function loginScreen(): void {
  const name = h('input', { name: 'name', autocomplete: 'username', autocapitalize: 'off', 'data-testid': 'login-name' }) as HTMLInputElement;
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', 'data-testid': 'login-password' }) as HTMLInputElement;
  const submit = h('button.m-primary.m-big', { type: 'submit', 'data-testid': 'login-submit' }, t('login.submit'));
  const error = h('p.m-error', { role: 'alert', 'data-testid': 'login-error' }, loginMessage);
  replace(
    main,
    h(
      'form.m-login',
      {
        onsubmit: async (e: Event) => {
          e.preventDefault();
          error.textContent = '';
          submit.setAttribute('disabled', '');
          try {
            const made = await api<{ token: string }>('POST', '/api/v1/sessions', { name: name.value.trim(), password: password.value }, null);
            const me = await api<CurrentSession>('GET', '/api/v1/sessions/current', undefined, made.token);
            if (!me.rights.includes('orders.work')) {
              void api('DELETE', '/api/v1/sessions/current', undefined, made.token).catch(() => undefined);
              error.textContent = t('m.not_worker');
              return;
            }
            loginMessage = '';
            setSession({ token: made.token, user: me.name });
            if (!/^\/m\/?$/.test(location.pathname)) history.replaceState(null, '', '/m/');
            render();
            void outbox.flush();
          } catch (err) {
            error.textContent = t('login.failed', { message: (err as Error).message });
          } finally {
            submit.removeAttribute('disabled');
          }
        },
      },
      h('h1', t('m.login_title')),
      h('label', t('login.name'), name),
      h('label', t('login.password'), password),
      submit,
      error,
    ),
  );
  name.focus();
}

// ---- the list: duty and my orders

async function refreshOrders(): Promise<void> {
  const lists = await Promise.all(
    LISTED.map(async (status) => {
      const items: WorkOrder[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 10; page++) {
        const q = new URLSearchParams({ status, limit: '100' });
        if (cursor) q.set('cursor', cursor);
        const list: WorkOrderList = await call<WorkOrderList>('GET', `/api/v1/work-orders?${q}`);
        items.push(...list.items);
        cursor = list.next_cursor;
        if (!cursor) break;
      }
      return items;
    }),
  );
  const fresh = new Map<number, WorkOrder>();
  for (const o of lists.flat()) fresh.set(o.id, notOlder(o) ? o : orders.get(o.id)!);
  // An order the server no longer lists for us (closed, or given to someone else) stays only
  // while an action of ours on it waits to be sent.
  for (const [id, o] of orders) if (!fresh.has(id) && outbox.forOrder(session?.user ?? null, id).length) fresh.set(id, o);
  orders.clear();
  for (const [id, o] of fresh) orders.set(id, o);
  saveOrders();
  refreshedAt = new Date();
  refreshError = '';
}

// Where the phone is, when it says within a few seconds; null otherwise.
function position(): Promise<{ lat: number; lng: number } | null> {
  if (!('geolocation' in navigator)) return Promise.resolve(null);
  return new Promise((resolve) => {
    const timer = window.setTimeout(() => resolve(null), 8000);
    navigator.geolocation.getCurrentPosition(
      (p) => {
        window.clearTimeout(timer);
        resolve({ lat: p.coords.latitude, lng: p.coords.longitude });
      },
      () => {
        window.clearTimeout(timer);
        resolve(null);
      },
      { enableHighAccuracy: true, timeout: 7000, maximumAge: 60_000 },
    );
  });
}

async function sendDuty(on: boolean): Promise<void> {
  const where = on ? await position() : null;
  duty = await call<Duty>('POST', '/api/v1/me/duty', { on_duty: on, ...(where ?? {}) });
}

function describe(e: unknown): string {
  return e instanceof ApiError ? `${e.message} (${e.code})` : (e as Error).message;
}

function listScreen(): void {
  let disposed = false;
  let timer: number | undefined;
  let dutyBusy = false;
  let dutyError = '';
  const dutyBox = h('section.m-card.m-duty');
  const listBox = h('section.m-orders');
  const status = h('p.m-muted.m-small', { 'data-testid': 'refresh-state' });
  const refresh = h('button.m-small', { type: 'button', 'data-testid': 'refresh', onclick: () => void tick() }, t('m.refresh'));
  replace(main, dutyBox, h('div.m-list-head', h('h2', t('m.my_orders')), refresh), status, listBox);

  const drawDuty = () => {
    const on = !!duty?.on_duty;
    replace(
      dutyBox,
      h(
        `button.m-duty-toggle${on ? '.on' : ''}`,
        {
          type: 'button',
          'data-testid': 'duty-toggle',
          'data-on-duty': String(on),
          'aria-pressed': String(on),
          disabled: dutyBusy || !duty,
          onclick: async () => {
            dutyBusy = true;
            dutyError = '';
            drawDuty();
            try {
              await sendDuty(!on);
            } catch (e) {
              if (e instanceof ApiError && e.status === 401) return sessionLost();
              dutyError = describe(e);
            } finally {
              dutyBusy = false;
              if (!disposed) drawDuty();
            }
          },
        },
        h('span.m-duty-state', dutyBusy ? t('m.locating') : on ? t('m.on_duty') : t('m.off_duty')),
        h('span.m-duty-hint', on ? t('m.go_off_duty') : t('m.go_on_duty')),
      ),
      duty?.on_duty
        ? h('p.m-small.m-muted', { 'data-testid': 'duty-position' }, duty.lat !== null ? t('m.position', { at: formatTime(duty.updated_at) }) : t('m.no_position'))
        : null,
      duty?.areas?.length ? h('p.m-small.m-muted', t('m.serves', { list: duty.areas.map((a) => a.name).join('、') })) : null,
      dutyError ? h('p.m-error', dutyError) : null,
    );
  };

  const drawList = () => {
    const user = session?.user ?? null;
    const all = [...orders.values()].sort(byUrgency((o: WorkOrder) => shown(o)));
    const open = all.filter((o) => isOpen(shown(o)));
    const done = all.filter((o) => !isOpen(shown(o)));
    status.textContent = refreshError
      ? t('m.stale', { message: refreshError })
      : refreshedAt
        ? t('m.updated', { at: formatTime(refreshedAt.toISOString()) })
        : t('common.loading');
    const item = (o: WorkOrder) => {
      const s = shown(o);
      const waiting = outbox.forOrder(user, o.id).length;
      return h(
        'li',
        h(
          `a.m-order${o.overdue && isOpen(s) ? '.overdue' : ''}`,
          {
            href: `/m/orders/${o.id}`,
            'data-testid': `order-${o.id}`,
            'data-status': s,
            onclick: (e: Event) => {
              e.preventDefault();
              go(`/m/orders/${o.id}`);
            },
          },
          h('div.m-order-top', priorityChip(o.priority), statusBadge(s), waiting ? h('span.m-pending', '⏳') : null, h('span.m-id', `#${o.id}`)),
          h('div.m-order-title', o.title),
          h('div.m-small.m-muted', `${categoryText(o)} · ${o.area_name ?? o.area_code}`),
          o.due_at ? h(`div.m-small${o.overdue ? '.m-overdue' : '.m-muted'}`, t('m.due', { at: formatDeadline(o.due_at) }), o.overdue ? ` · ${t('orders.overdue')}` : '') : null,
        ),
      );
    };
    replace(
      listBox,
      all.length === 0 ? h('p.m-empty', refreshedAt ? t('m.none') : t('common.loading')) : null,
      open.length ? [h('h3', t('m.open_orders', { n: open.length })), h('ul.m-order-list', open.map(item))] : null,
      done.length ? [h('h3', t('m.done_orders')), h('ul.m-order-list.m-done', done.map(item))] : null,
    );
  };

  const tick = async () => {
    window.clearTimeout(timer);
    try {
      const [, d] = await Promise.all([refreshOrders(), call<Duty>('GET', '/api/v1/me/duty')]);
      duty = d;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return sessionLost();
      refreshError = describe(e);
    }
    if (disposed) return;
    drawDuty();
    drawList();
    window.clearTimeout(timer); // an overlapping run (a refresh, a sent action) set one too
    timer = window.setTimeout(() => void tick(), REFRESH_MS);
  };

  // While on duty, the position is sent again now and then (new orders go to the nearest).
  const follow = window.setInterval(() => {
    if (duty?.on_duty && !dutyBusy) void sendDuty(true).catch(() => undefined);
  }, POSITION_MS);

  drawDuty();
  drawList();
  screenUpdate = drawList;
  void tick();
  screenCleanup = () => {
    disposed = true;
    window.clearTimeout(timer);
    window.clearInterval(follow);
  };
}

// ---- one order

// The photo being attached (the note is its textarea's): kept while the order is drawn again.
interface Draft {
  photo: PreparedPhoto | null;
  working: boolean;
}

function detailScreen(id: number): void {
  let disposed = false;
  let timer: number | undefined;
  let notFound = false;
  const draft: Draft = { photo: null, working: false };
  let acted = false; // an action was taken on this screen: say whether it has reached the server

  const head = h('div.m-detail-head');
  const facts = h('dl.m-facts');
  const historyBox = h('section.m-history');
  const note = h('textarea', {
    rows: 4,
    maxlength: 2000,
    placeholder: t('m.note_placeholder'),
    'data-testid': 'note',
  }) as HTMLTextAreaElement;
  const photoInput = h('input', { type: 'file', accept: 'image/*', capture: 'environment', 'data-testid': 'photo-input', class: 'm-file' }) as HTMLInputElement;
  const preview = h('div.m-preview');
  const accept = h('button.m-primary.m-big', { type: 'button', 'data-testid': 'action-accept' }, t('order_action.accept'));
  const report = h('button.m-big', { type: 'button', 'data-testid': 'action-report' }, t('order_action.report'));
  const finish = h('button.m-primary.m-big', { type: 'button', 'data-testid': 'action-finish' }, t('order_action.finish'));
  const actionError = h('p.m-error', { role: 'alert', 'data-testid': 'action-error' });
  const actionInfo = h('p.m-info', { role: 'status', 'data-testid': 'action-info' });
  const work = h(
    'div.m-work',
    h('label', t('m.note'), note),
    h('label.m-photo-button', h('span', t('m.photo')), photoInput),
    preview,
    h('div.m-buttons', report, finish),
  );
  const closedNote = h('p.m-info');
  const actionsBox = h('section.m-card.m-actions', accept, work, closedNote, actionError, actionInfo);
  replace(
    main,
    h('button.m-ghost.m-back', { type: 'button', 'data-testid': 'back', onclick: () => go('/m/') }, t('m.back')),
    head,
    facts,
    actionsBox,
    historyBox,
  );

  const drawPreview = () => {
    replace(
      preview,
      draft.working ? h('p.m-muted', t('m.photo_working')) : null,
      draft.photo
        ? h(
            'div.m-preview-item',
            { 'data-testid': 'photo-preview', 'data-bytes': draft.photo.bytes },
            h('img', { src: draft.photo.preview, alt: '' }),
            h('span.m-small', t('m.photo_ready', { size: formatBytes(draft.photo.bytes) })),
            h(
              'button.m-small',
              {
                type: 'button',
                onclick: () => {
                  clearPhoto();
                  drawPreview();
                },
              },
              t('m.photo_remove'),
            ),
          )
        : null,
    );
    report.toggleAttribute('disabled', draft.working);
    finish.toggleAttribute('disabled', draft.working);
  };

  const clearPhoto = () => {
    if (draft.photo) URL.revokeObjectURL(draft.photo.preview);
    draft.photo = null;
    photoInput.value = '';
  };

  photoInput.addEventListener('change', async () => {
    const file = photoInput.files?.[0];
    if (!file) return;
    clearPhoto();
    draft.working = true;
    actionError.textContent = '';
    drawPreview();
    try {
      const photo = await preparePhoto(file);
      if (disposed) return URL.revokeObjectURL(photo.preview);
      draft.photo = photo;
    } catch (e) {
      actionError.textContent = t('m.photo_failed', { message: (e as Error).message });
    } finally {
      draft.working = false;
      if (!disposed) drawPreview();
    }
  });

  const enqueue = (action: WorkerAction) => {
    if (!session) return;
    actionError.textContent = '';
    const text = note.value.trim();
    if (action !== 'accept') {
      const user = session.user;
      const hasPhoto =
        (details.get(id)?.photos.length ?? 0) > 0 || outbox.forOrder(user, id).some((a) => a.photo);
      if (!text && !draft.photo && (action === 'report' || !hasPhoto)) {
        actionError.textContent = t('m.need_evidence');
        note.focus();
        return;
      }
    }
    const photo = action === 'accept' || !draft.photo ? undefined : { media_type: draft.photo.media_type, content_base64: draft.photo.content_base64 };
    outbox.add(session.user, id, action, action === 'accept' ? undefined : text || undefined, photo);
    if (action !== 'accept') {
      note.value = '';
      clearPhoto();
      drawPreview();
    }
    acted = true;
    update();
  };
  accept.addEventListener('click', () => enqueue('accept'));
  report.addEventListener('click', () => enqueue('report'));
  finish.addEventListener('click', () => enqueue('finish'));

  // Everything but the note and the photo is drawn again from the order and the outbox.
  const update = () => {
    const o: WorkOrder | undefined = details.get(id) ?? orders.get(id);
    if (!o) {
      replace(head, h('p.m-empty', notFound ? t('m.not_found', { id }) : t('common.loading')));
      actionsBox.hidden = true;
      return;
    }
    const s = shown(o);
    replace(
      head,
      h('h1.m-title', o.title),
      h(
        'div.m-order-top',
        h('span', { 'data-testid': 'order-status', 'data-status': s }, statusBadge(s)),
        priorityChip(o.priority),
        o.overdue && isOpen(s) ? h('span.m-overdue', t('orders.overdue')) : null,
        h('span.m-id', `#${o.id}`),
      ),
    );
    const fact = (key: string, value: string | null | undefined) => (value ? [h('dt', key), h('dd', value)] : null);
    replace(
      facts,
      fact(t('orders.category'), categoryText(o)),
      fact(t('orders.area'), `${o.area_name ?? ''} ${o.area_code}`.trim()),
      fact(t('orders.due'), o.due_at ? formatDeadline(o.due_at) : null),
      fact(t('orders.description'), o.description),
      fact(t('orders.supervisions'), o.supervisions ? t('m.supervised', { n: o.supervisions }) : null),
      fact(t('orders.created'), formatFullTime(o.created_at)),
    );
    actionsBox.hidden = false;
    accept.hidden = s !== 'assigned';
    work.hidden = s !== 'in_progress' && s !== 'reported';
    closedNote.hidden = s !== 'finished' && s !== 'closed';
    closedNote.textContent = s === 'closed' ? t('m.closed_note') : t('m.finished_note');
    const waiting = outbox.forOrder(session?.user ?? null, id).length;
    actionInfo.textContent = waiting ? t('m.queued') : acted ? t('m.sent') : '';
    const d = details.get(id);
    replace(
      historyBox,
      d?.history.length
        ? [
            h('h3', t('m.history')),
            h(
              'ol.m-steps',
              [...d.history].reverse().map((step) =>
                h(
                  'li',
                  { 'data-action': step.action },
                  h('span.m-small.m-muted', formatTime(step.at, true)),
                  ' ',
                  h('strong', label('order_action', step.action)),
                  ` · ${step.actor}`,
                  step.note ? h('div.m-small', step.note) : null,
                  d.photos.some((p) => p.step_id === step.id) ? h('span.badge', t('orders.photo_count', { n: d.photos.filter((p) => p.step_id === step.id).length })) : null,
                ),
              ),
            ),
          ]
        : null,
    );
  };

  const load = async () => {
    window.clearTimeout(timer);
    try {
      const d = await call<WorkOrderDetail>('GET', `/api/v1/work-orders/${id}`);
      if (notOlder(d)) {
        details.set(id, d);
        orders.set(id, summary(d));
        saveOrders();
      }
      notFound = false;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) return sessionLost();
      if (e instanceof ApiError && e.status === 404) {
        notFound = true;
        details.delete(id);
      }
      // offline: the cached order is shown
    }
    if (disposed) return;
    update();
    window.clearTimeout(timer); // an overlapping run (a refresh, a sent action) set one too
    timer = window.setTimeout(() => void load(), REFRESH_MS);
  };

  update();
  drawPreview();
  screenUpdate = update;
  screenReload = () => void load();
  void load();
  screenCleanup = () => {
    disposed = true;
    window.clearTimeout(timer);
    clearPhoto();
  };
}

// ---- start

outbox.onChange(() => {
  drawBanner();
  screenUpdate?.();
});
window.addEventListener('online', drawBanner);
window.addEventListener('offline', drawBanner);
window.addEventListener('popstate', render);
outbox.start();
render();
