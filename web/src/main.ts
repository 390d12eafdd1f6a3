// The command screen: a small client-side router over history URLs (the server answers
// index.html for them), a header with navigation, clock, language and live status, and one page
// at a time. Pages return a cleanup function (timers, listeners, charts).

import './style.css';
import { token, setToken, whenUnauthenticated } from './api';
import { disposeCharts } from './charts';
import { h, replace } from './dom';
import { lang, setLang, t } from './i18n';
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
];

// The base-data pages share one entry of the navigation.
const BASEDATA_PATHS = /^\/(basedata|people|houses|units|linkage)(\/|$)/;

const app = document.getElementById('app')!;
let cleanup: Cleanup;


function header(): HTMLElement {
  const clock = h('span.clock', { 'data-testid': 'clock' });
  const tick = () => {
    clock.textContent = new Intl.DateTimeFormat(lang(), {
      timeZone: 'Asia/Shanghai',
      hour12: false,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    }).format(new Date());
  };
  tick();
  const timer = window.setInterval(tick, 1000);
  const status = h('span.live-state', { 'data-testid': 'live-state' });
  const off = onLiveState((connected) => {
    status.textContent = connected ? `● ${t('live.connected')}` : `○ ${t('live.disconnected')}`;
    status.classList.toggle('down', !connected);
  });
  const el = h(
    'header.topbar',
    h('a.brand', { href: '/', 'data-route': '1' }, h('span.logo', '治'), h('span.title', t('app.title'))),
    h(
      'nav',
      h('a', { href: '/', 'data-route': '1', class: location.pathname === '/' ? 'active' : '' }, t('nav.overview')),
      h(
        'a',
        { href: '/alerts', 'data-route': '1', class: location.pathname === '/alerts' ? 'active' : '' },
        t('nav.alerts'),
      ),
      h(
        'a',
        { href: '/addresses', 'data-route': '1', class: location.pathname === '/addresses' ? 'active' : '' },
        t('nav.addresses'),
      ),
      h(
        'a',
        { href: '/basedata', 'data-route': '1', class: BASEDATA_PATHS.test(location.pathname) ? 'active' : '' },
        t('nav.basedata'),
      ),
    ),
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
  const path = location.pathname;
  const query = new URLSearchParams(location.search);
  if (path === '/login' || !token()) {
    stopLive();
    const root = h('main.login-root');
    replace(app, root);
    if (path !== '/login') history.replaceState(null, '', `/login?next=${encodeURIComponent(path + location.search)}`);
    cleanup = loginPage(root, {}, query);
    return;
  }
  startLive();
  headerEl = header();
  const root = h('main.page');
  replace(app, headerEl, root);
  for (const [pattern, page, names] of routes) {
    const m = path.match(pattern);
    if (!m) continue;
    const params: Record<string, string> = {};
    names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1])));
    cleanup = page(root, params, query);
    return;
  }
  replace(root, h('p.empty', '404'));
}

document.addEventListener('click', (event) => {
  const a = (event.target as Element).closest?.('a[data-route]') as HTMLAnchorElement | null;
  if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey) return;
  event.preventDefault();
  navigate(a.getAttribute('href') ?? '/');
});
window.addEventListener('popstate', render);
window.addEventListener('zhizhi:navigate', render);
whenUnauthenticated(() => {
  setToken(null);
  navigate(`/login?next=${encodeURIComponent(location.pathname)}`, true);
});

render();
