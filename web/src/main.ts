// The command screen: a small client-side router over history URLs (the server answers
// index.html for them), a header with navigation, clock, language and live status, and one page
// at a time. Pages return a cleanup function (timers, listeners, charts).

import './style.css';
import { token, setToken, whenUnauthenticated } from './api';
import { disposeCharts } from './charts';
import { h, replace } from './dom';
import { formatFullTime, lang, setLang, t } from './i18n';
import { onLiveState, startLive, stopLive } from './live';
import { navigate } from './nav';
import { loginPage } from './pages/login';
import { overviewPage } from './pages/overview';
import { projectPage } from './pages/project';
import { personPage } from './pages/person';
import { alertsPage } from './pages/alerts';
import { addressesPage } from './pages/addresses';
import { basedataPage } from './pages/basedata';
import { houseFilePage, personFilePage, unitFilePage } from './pages/entity';
import { reviewsPage } from './pages/reviews';
import { lotteriesPage } from './pages/lotteries';
import { lotteryBoardPage, lotteryListPage } from './pages/lottery_board';
import { lotteryRecordPage } from './pages/lottery_record';
import { warningsPage } from './pages/warnings';
import { workOrderPage, workOrdersPage } from './pages/work_orders';
import { iotDevicePage, iotPage } from './pages/iot';
import { currentSession, hasRight } from './session';

export type Cleanup = (() => void) | void;
type Page = (root: HTMLElement, params: Record<string, string>, query: URLSearchParams) => Cleanup;

const routes: [RegExp, Page, string[]][] = [
  [/^\/$/, overviewPage, []],
  [/^\/projects\/([^/]+)$/, projectPage, ['code']],
  [/^\/persons\/(\d+)$/, personPage, ['id']],
  [/^\/alerts$/, alertsPage, []],
  [/^\/addresses$/, addressesPage, []],
  [/^\/basedata$/, basedataPage, []],
  [/^\/people\/(\d+)$/, personFilePage, ['id']],
  [/^\/houses\/(\d+)$/, houseFilePage, ['id']],
  [/^\/units\/(\d+)$/, unitFilePage, ['id']],
  [/^\/linkage\/reviews$/, reviewsPage, []],
  [/^\/lotteries$/, lotteriesPage, []],
  [/^\/warnings$/, warningsPage, []],
  [/^\/work-orders$/, workOrdersPage, []],
  [/^\/work-orders\/(\d+)$/, workOrderPage, ['id']],
  [/^\/iot$/, iotPage, []],
  [/^\/iot\/devices\/(\d+)$/, iotDevicePage, ['id']],
];

// Pages for the public, without logging in and without the header (docs/lottery.md): the
// published draws, a draw's live board for the hall's big screen and its notarial record. Only
// these paths; they read only the /api/v1/public/ endpoints, never with the token.
const publicRoutes: [RegExp, Page, string[]][] = [
  [/^\/lottery-board$/, lotteryListPage, []],
  [/^\/lottery-board\/(\d+)$/, lotteryBoardPage, ['id']],
  [/^\/lottery-record\/(\d+)$/, lotteryRecordPage, ['id']],
];

function match(path: string, table: [RegExp, Page, string[]][]): [Page, Record<string, string>] | null {
  for (const [pattern, page, names] of table) {
    const m = path.match(pattern);
    if (!m) continue;
    const params: Record<string, string> = {};
    names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1])));
    return [page, params];
  }
  return null;
}

// The base-data pages share one entry of the navigation.
const BASEDATA_PATHS = /^\/(basedata|people|houses|units|linkage)(\/|$)/;

const app = document.getElementById('app')!;
let cleanup: Cleanup;


// The entries of the navigation and the right each needs (docs/security.md). An entry the
// caller's session lacks the right for is hidden; the lottery, which most roles do not have, is
// shown only once the session says so. Without an answer from the server, the others stay.
const navEntries: { href: string; key: string; right: string; active: (path: string) => boolean; optIn?: boolean }[] = [
  { href: '/', key: 'nav.overview', right: 'gate.read', active: (p) => p === '/' },
  { href: '/warnings', key: 'nav.warnings', right: 'warnings.read', active: (p) => p === '/warnings' },
  { href: '/work-orders', key: 'nav.work_orders', right: 'orders.read', active: (p) => /^\/work-orders(\/|$)/.test(p) },
  { href: '/iot', key: 'nav.iot', right: 'iot.read', active: (p) => /^\/iot(\/|$)/.test(p) },
  { href: '/alerts', key: 'nav.alerts', right: 'alerts.read', active: (p) => p === '/alerts' },
  { href: '/addresses', key: 'nav.addresses', right: 'addresses.read', active: (p) => p === '/addresses' },
  { href: '/basedata', key: 'nav.basedata', right: 'basedata.read', active: (p) => BASEDATA_PATHS.test(p) },
  { href: '/lotteries', key: 'nav.lotteries', right: 'lottery.read', active: (p) => p === '/lotteries', optIn: true },
];

function header(): HTMLElement {
  const links = navEntries.map((e) =>
    h('a', { href: e.href, 'data-route': '1', hidden: !!e.optIn, class: e.active(location.pathname) ? 'active' : '' }, t(e.key)),
  );
  const clock = h('span.clock', { 'data-testid': 'clock' });
  const tick = () => {
    clock.textContent = formatFullTime(new Date());
  };
  tick();
  const timer = window.setInterval(tick, 1000);
  const status = h('span.live-state', { 'data-testid': 'live-state' });
  const off = onLiveState((connected) => {
    status.textContent = connected ? `● ${t('live.connected')}` : `○ ${t('live.disconnected')}`;
    status.classList.toggle('down', !connected);
  });
  void currentSession().then((session) => {
    if (!session) return;
    navEntries.forEach((e, i) => (links[i].hidden = !hasRight(session, e.right)));
    status.hidden = !hasRight(session, 'gate.read'); // no live gate feed for them (see render)
  });
  const el = h(
    'header.topbar',
    h('a.brand', { href: '/', 'data-route': '1' }, h('span.logo', '治'), h('span.title', t('app.title'))),
    h('nav', links),
    h(
      'div.tools',
      status,
      clock,
      h(
        'button.ghost',
        {
          'data-testid': 'lang',
          onclick: () => {
            setLang(lang() === 'en' ? 'zh-CN' : 'en');
            render();
          },
        },
        t('nav.lang'),
      ),
      h(
        'button.ghost',
        {
          onclick: () => {
            setToken(null);
            stopLive();
            navigate('/login');
          },
        },
        t('nav.logout'),
      ),
    ),
  );
  (el as any)._cleanup = () => {
    window.clearInterval(timer);
    off();
  };
  return el;
}

let headerEl: HTMLElement | null = null;

function render(): void {
  if (typeof cleanup === 'function') cleanup();
  cleanup = undefined;
  disposeCharts();
  (headerEl as any)?._cleanup?.();
  headerEl = null;
  document.title = t('app.title');
  // `/#/lottery-board/1` (the form docs and notices print) is `/lottery-board/1`.
  if (location.pathname === '/' && /^#\/[^#]*$/.test(location.hash)) history.replaceState(null, '', location.hash.slice(1));
  const path = location.pathname;
  const query = new URLSearchParams(location.search);
  const open = match(path, publicRoutes);
  if (open) {
    stopLive();
    const root = h('main.public');
    replace(app, root);
    cleanup = open[0](root, open[1], query);
    return;
  }
  if (path === '/login' || !token()) {
    stopLive();
    const root = h('main.login-root');
    replace(app, root);
    if (path !== '/login') history.replaceState(null, '', `/login?next=${encodeURIComponent(path + location.search)}`);
    cleanup = loginPage(root, {}, query);
    return;
  }
  // The live gate feed, for those who may read the gates (not notaries, say).
  void currentSession().then((session) => {
    if (headerEl && token() && (!session || hasRight(session, 'gate.read'))) startLive();
  });
  headerEl = header();
  const root = h('main.page');
  replace(app, headerEl, root);
  const found = match(path, routes);
  if (!found) {
    replace(root, h('p.empty', '404'));
    return;
  }
  cleanup = found[0](root, found[1], query);
  if (path === '/') {
    // Who sees no site figures starts elsewhere: the command centre's dispatchers at the warning
    // map, notaries and the housing bureau's staff at the lottery.
    void currentSession().then((session) => {
      if (location.pathname !== '/' || !session || hasRight(session, 'gate.read')) return;
      if (hasRight(session, 'warnings.read')) navigate('/warnings', true);
      else if (hasRight(session, 'lottery.read')) navigate('/lotteries', true);
    });
  }
}

document.addEventListener('click', (event) => {
  const a = (event.target as Element).closest?.('a[data-route]') as HTMLAnchorElement | null;
  if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey) return;
  event.preventDefault();
  navigate(a.getAttribute('href') ?? '/');
});
window.addEventListener('popstate', render);
window.addEventListener('hashchange', () => {
  if (location.hash.startsWith('#/')) render();
});
window.addEventListener('zhizhi:navigate', render);
whenUnauthenticated(() => {
  setToken(null);
  navigate(`/login?next=${encodeURIComponent(location.pathname)}`, true);
});

render();
