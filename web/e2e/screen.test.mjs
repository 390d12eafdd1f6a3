// Browser tests of the command screen: the real zhizhi server (a small seeded demo district on a
// free loopback port, serving web/dist) and Debian's Chromium driven by playwright-core.
//
//   ZHIZHI_BINARY=build/zhizhi node --test web/e2e/     (scripts/test runs it through ctest)
//
// Environment: ZHIZHI_BINARY (required), ZHIZHI_WEB_DIST (default web/dist), CHROMIUM (default
// /usr/bin/chromium), ZHIZHI_ARTIFACTS (screenshots; default build/artifacts); helpers.mjs.
// Screenshots of every view are written there; look at them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { apiOf, artifacts, launchBrowser, login as loginTo, startDistrict } from './helpers.mjs';

let district;
let base;
let token;
let browser;
let devices;
let api;

const login = (page) => loginTo(page, district);

function valueOf(page, testid) {
  return page.locator(`[data-testid=${testid}] .value`).getAttribute('data-value').then(Number);
}

before(async () => {
  district = await startDistrict(['--projects', '8', '--persons', '1600', '--history-days', '3', '--seed', '6', '--base-data-scale', '0']);
  ({ base, token, devices } = district);
  api = apiOf(district);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await district?.stop();
});

test('the log-in page refuses a wrong token and lets the administrator token in', async () => {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  await page.goto(base + '/');
  await page.waitForURL(/\/login/);
  await page.screenshot({ path: join(artifacts, 'login.png') });
  // Name and password: a wrong password is refused with a message, and the page stays.
  await page.fill('[data-testid=login-name]', 'nobody');
  await page.fill('[data-testid=login-password]', 'wrong password');
  await page.click('[data-testid=login-submit]');
  await page.waitForFunction(() => document.querySelector('[data-testid=login-error]')?.textContent !== '');
  assert.ok((await page.textContent('[data-testid=login-error]')).length > 0);
  assert.match(page.url(), /\/login/);
  // A token the server never issued (the token box is folded away under the password form).
  await page.locator('details.token-box summary').click();
  await page.fill('[data-testid=login-name]', '');
  await page.fill('[data-testid=login-password]', '');
  await page.fill('[data-testid=login-token]', 'f'.repeat(64));
  await page.click('[data-testid=login-submit]');
  await page.waitForFunction(() => /令牌|token/i.test(document.querySelector('[data-testid=login-error]')?.textContent ?? ''));
  assert.match(page.url(), /\/login/);
  // The real one.
  await page.fill('[data-testid=login-token]', token);
  await page.click('[data-testid=login-submit]');
  await page.waitForSelector('main.page[data-ready="1"]', { timeout: 15000 });
  assert.equal(new URL(page.url()).pathname, '/');
  await page.close();
});

test('a site manager logs in with name and password and sees only their project', async () => {
  const code = devices[0].project_code;
  const created = await api('POST', '/api/v1/users', {
    name: 'wang.site',
    password: 'Site-Pass-2026',
    role: 'site_manager',
    projects: [code],
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  await page.goto(base + '/');
  await page.waitForURL(/\/login/);
  await page.fill('[data-testid=login-name]', 'wang.site');
  await page.fill('[data-testid=login-password]', 'Site-Pass-2026');
  await page.click('[data-testid=login-submit]');
  await page.waitForSelector('main.page[data-ready="1"]', { timeout: 15000 });
  // The figures are the user's: one project, and the head-count of that project alone.
  const session = await api('POST', '/api/v1/sessions', { name: 'wang.site', password: 'Site-Pass-2026' }, '');
  assert.equal(session.status, 201);
  const own = (await api('GET', '/api/v1/stats/overview', undefined, session.json.token)).json;
  const district = (await api('GET', '/api/v1/stats/overview')).json;
  assert.equal(own.projects.total, 1);
  assert.ok(district.projects.total > 1);
  assert.equal(await valueOf(page, 'kpi-projects'), own.projects.by_status.active ?? 0);
  assert.equal(await valueOf(page, 'kpi-onsite'), own.onsite.total);
  // Another project's page is not found for this user.
  const other = devices.find((d) => d.project_code !== code).project_code;
  const foreign = await api('GET', `/api/v1/projects/${other}`, undefined, session.json.token);
  assert.equal(foreign.status, 404);
  await page.screenshot({ path: join(artifacts, 'overview-site-manager.png') });
  await page.close();
});

test('the overview shows the numbers the API gives', async () => {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  await login(page);
  const onsite = (await api('GET', '/api/v1/onsite')).json;
  const overview = (await api('GET', '/api/v1/stats/overview')).json;
  // (Between the 04:00 automatic clock-out and the morning shift nobody is inside: 0 = 0.)
  assert.equal(await valueOf(page, 'kpi-onsite'), onsite.total);
  assert.equal(await valueOf(page, 'kpi-projects'), overview.projects.by_status.active);
  assert.equal(await valueOf(page, 'kpi-attendance'), overview.today.present);
  assert.equal(await valueOf(page, 'kpi-passes'), overview.today.allowed + overview.today.denied);
  assert.equal(await valueOf(page, 'kpi-devices'), overview.devices.online);
  assert.equal(
    await valueOf(page, 'kpi-certificates'),
    overview.certificates.expired + overview.certificates.expiring,
  );
  // The ranking lists projects by head-count; the first row is the busiest.
  const busiest = [...onsite.projects].sort((a, b) => b.count - a.count)[0];
  if (busiest.count > 0) {
    assert.equal(await page.locator('[data-testid=ranking] tbody tr').first().getAttribute('data-project'), busiest.project_code);
  }
  // The map and charts are drawn (canvas elements exist with a size).
  for (const id of ['map', 'hourly', 'daily']) {
    const box = await page.locator(`[data-testid=${id}] canvas`).first().boundingBox();
    assert.ok(box && box.width > 100 && box.height > 100, `${id} chart drawn`);
  }
  // Denied passes of the history are listed with their reasons.
  const denied = (await api('GET', '/api/v1/gate/events?decision=deny&limit=14')).json.items;
  assert.equal(await page.locator('[data-testid=denied-feed] li').count(), denied.length);
  // Nothing spills over the page width at 1920 px, long names included.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page wider than the window by ${overflow} px`);
  await page.screenshot({ path: join(artifacts, 'overview.png') });
  await page.close();
});

test('a gate pass moves the head-count on screen within 2 seconds', async () => {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  await login(page);
  await page.waitForFunction(() => document.querySelector('[data-testid=live-state]')?.textContent?.startsWith('●'));
  // A person the gate lets in who is outside now.
  const device = devices.find((d) => d.direction === 'in');
  const roster = (await api('GET', '/api/v1/gate/roster?since=0', undefined, device.token)).json.allowed;
  const inside = new Set((await api('GET', `/api/v1/projects/${device.project_code}/onsite`)).json.persons.map((p) => p.person_id));
  const person = roster.find((p) => !inside.has(p.person_id));
  assert.ok(person, 'someone on the roster is outside');
  const before = await valueOf(page, 'kpi-onsite');
  const sent = Date.now();
  const pass = await api(
    'POST',
    '/api/v1/gate/events',
    { event_id: `e2e-${sent}`, time: new Date(Math.floor(sent / 1000) * 1000).toISOString(), person_id: person.person_id, score: 0.95, liveness: true },
    device.token,
  );
  assert.equal(pass.status, 200);
  assert.equal(pass.json.decision, 'allow');
  await page.waitForFunction(
    (n) => Number(document.querySelector('[data-testid=kpi-onsite] .value')?.getAttribute('data-value')) === n,
    before + 1,
    { timeout: 2000 },
  );
  const took = Date.now() - sent;
  assert.ok(took <= 2000, `head-count moved after ${took} ms`);
  assert.equal(await valueOf(page, 'kpi-onsite'), (await api('GET', '/api/v1/onsite')).json.total);
  // A denied pass shows in the live feed with its reason.
  const stranger = await api(
    'POST',
    '/api/v1/gate/events',
    { event_id: `e2e-x-${sent}`, time: new Date(Math.floor(Date.now() / 1000) * 1000).toISOString(), person_id: 987654321, score: 0.9 },
    device.token,
  );
  assert.equal(stranger.json.decision, 'deny');
  await page.waitForFunction(() => /陌生人|Unknown person/.test(document.querySelector('[data-testid=denied-feed] li')?.textContent ?? ''), null, { timeout: 2000 });
  await page.close();
});

test('the project view shows posts, the muster list, attendance and devices', async () => {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  await login(page);
  const first = page.locator('[data-testid=ranking] tbody tr').first();
  const code = await first.getAttribute('data-project');
  // A ZKTeco terminal that has not polled yet: the project's roster is still to be sent to it.
  const zk = await api('POST', `/api/v1/projects/${code}/devices`, { serial: `ZKSCREEN${Date.now() % 100000}`, direction: 'in', vendor: 'zkteco' });
  assert.equal(zk.status, 201);
  await first.locator('a').click();
  await page.waitForURL(new RegExp(`/projects/${code}$`));
  await page.waitForSelector('main.page[data-ready="1"]');
  const zkRow = page.locator(`[data-testid=project-devices] tr[data-device="${zk.json.id}"]`);
  await zkRow.waitFor();
  assert.match(await zkRow.textContent(), /中控|ZKTeco/);
  const zkSync = (await api('GET', `/api/v1/projects/${code}/devices`)).json.items.find((x) => x.id === zk.json.id).sync;
  assert.ok(zkSync.pending > 0, JSON.stringify(zkSync));
  assert.match(await zkRow.locator('[data-testid=device-sync]').textContent(), new RegExp(`待同步 ${zkSync.pending}|${zkSync.pending} to send`));
  const view = (await api('GET', `/api/v1/projects/${code}`)).json;
  assert.equal(await page.textContent('h1.page-title'), view.name);
  assert.equal(await page.locator('[data-testid=project-posts] tbody tr').count(), view.posts.length);
  const muster = (await api('GET', `/api/v1/projects/${code}/onsite`)).json;
  assert.equal(Number(await page.getAttribute('[data-testid=muster-count]', 'data-value')), muster.count);
  assert.equal(await page.locator('[data-testid=project-muster] tbody tr').count(), muster.persons.length);
  const devicesOf = (await api('GET', `/api/v1/projects/${code}/devices`)).json.items;
  assert.equal(await page.locator('[data-testid=project-devices] tbody tr').count(), devicesOf.length);
  const attendance = (await api('GET', `/api/v1/projects/${code}/attendance`)).json;
  assert.equal(await page.locator('[data-testid=project-attendance] tbody tr').count(), attendance.items.length);
  // The alerts card counts them all (its table shows the newest 50).
  const projectAlerts = (await api('GET', `/api/v1/alerts?project=${code}&status=active&limit=1`)).json;
  await page.waitForSelector('[data-testid=project-alerts] .count[data-value]');
  assert.equal(Number(await page.getAttribute('[data-testid=project-alerts] .count', 'data-value')), projectAlerts.counts.total);
  // A deep link works on reload (the server answers index.html for client routes).
  await page.reload();
  await page.waitForSelector('main.page[data-ready="1"]');
  await page.screenshot({ path: join(artifacts, 'project.png'), fullPage: true });
  await page.emulateMedia({ media: 'print' });
  await page.screenshot({ path: join(artifacts, 'project-muster-print.png') });
  await page.emulateMedia({ media: 'screen' });
  await page.close();
});

test('the person view masks the ID number and shows certificates and the trajectory', async () => {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  await login(page);
  // A worker of the first site with a team (whether inside now or not).
  const device = devices[0];
  const workers = (await api('GET', `/api/v1/projects/${device.project_code}/workers?limit=50`)).json.items;
  const who = workers.find((w) => w.team_id) ?? workers[0];
  await page.goto(`${base}/persons/${who.person_id}`);
  await page.waitForSelector('main.page[data-ready="1"]');
  const person = (await api('GET', `/api/v1/persons/${who.person_id}`)).json;
  assert.equal(await page.textContent('h1.page-title'), person.name);
  const shown = await page.textContent('[data-testid=person-id-number]');
  assert.match(shown, /^\d{6}\*{8}[\dX]{4}$/);
  assert.ok(!shown.includes(person.id_number.slice(6, 14)), 'the birth date part is hidden');
  assert.equal(await page.locator('[data-testid=person-certificates] li').count(), person.certificates.length);
  assert.equal(await page.locator('[data-testid=person-enrolments] tbody tr').count(), person.enrolments.length);
  const box = await page.locator('[data-testid=person-trajectory] canvas').first().boundingBox();
  assert.ok(box && box.height > 100, 'trajectory drawn');
  const personAlerts = (await api('GET', `/api/v1/alerts?person_id=${who.person_id}&status=all&limit=1`)).json;
  await page.waitForSelector('[data-testid=person-alerts] .count[data-value]');
  assert.equal(Number(await page.getAttribute('[data-testid=person-alerts] .count', 'data-value')), personAlerts.counts.total);
  await page.screenshot({ path: join(artifacts, 'person.png'), fullPage: true });
  await page.close();
});

test('English, and a laptop screen, with long names', async () => {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  await login(page);
  await page.click('[data-testid=lang]');
  await page.waitForSelector('main.page[data-ready="1"]');
  assert.match(await page.textContent('[data-testid=kpi-onsite] .kpi-title'), /On site now/);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page wider than the window by ${overflow} px`);
  await page.screenshot({ path: join(artifacts, 'overview-en-laptop.png'), fullPage: true });
  await page.click('[data-testid=lang]');
  // The longest name of the district (a Uyghur or Yi name) on its person page and on its
  // project's page: nothing wider than the laptop's window.
  const persons = (await api('GET', '/api/v1/persons?limit=1000')).json.items;
  const longest = persons.reduce((a, b) => ([...b.name].length > [...a.name].length ? b : a));
  assert.ok([...longest.name].length >= 4, `longest name ${longest.name}`);
  await page.goto(`${base}/persons/${longest.id}`);
  await page.waitForSelector('main.page[data-ready="1"]');
  assert.equal(await page.textContent('h1.page-title'), longest.name);
  let wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(wide <= 0, `person page wider than the window by ${wide} px`);
  await page.screenshot({ path: join(artifacts, 'person-long-name-laptop.png') });
  const project = (await api('GET', `/api/v1/persons/${longest.id}`)).json.enrolments[0]?.project_code;
  if (project) {
    await page.goto(`${base}/projects/${project}`);
    await page.waitForSelector('main.page[data-ready="1"]');
    wide = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(wide <= 0, `project page wider than the window by ${wide} px`);
    await page.screenshot({ path: join(artifacts, 'project-laptop.png') });
  }
  await page.close();
});

test('alerts: filter, acknowledge and resolve with a note', async (t) => {
  const probe = await api('GET', '/api/v1/alerts?status=active&limit=50');
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  await login(page);
  await page.goto(base + '/alerts');
  await page.waitForSelector('main.page[data-ready="1"]');
  if (probe.status === 404) {
    assert.ok(await page.locator('[data-testid=alerts-unavailable]').isVisible());
    await page.screenshot({ path: join(artifacts, 'alerts.png') });
    await page.close();
    t.skip('GET /api/v1/alerts answered 404: this server has no alerts module yet, so acknowledging cannot be tested');
    return;
  }
  assert.equal(probe.status, 200);
  assert.equal(Number(await page.getAttribute('[data-testid=alerts-total]', 'data-value')), probe.json.counts.total);
  const open = probe.json.items.find((a) => a.status === 'open');
  if (!open) {
    await page.close();
    t.skip('no open alert in the demo district to acknowledge');
    return;
  }
  const row = page.locator(`tr[data-alert="${open.id}"]`);
  await row.locator('[data-action=acknowledge]').click();
  await page.fill('[data-testid=alert-note]', '已电话核实，现场整改中');
  await page.click('[data-testid=alert-note-submit]');
  await page.waitForFunction((id) => document.querySelector(`tr[data-alert="${id}"]`)?.getAttribute('data-status') === 'acknowledged', open.id, { timeout: 5000 });
  const acknowledged = (await api('GET', `/api/v1/alerts?status=all&limit=200`)).json.items.find((a) => a.id === open.id);
  assert.equal(acknowledged.status, 'acknowledged');
  await page.locator(`tr[data-alert="${open.id}"] [data-action=resolve]`).click();
  await page.fill('[data-testid=alert-note]', '证书已补办，岗位人员已更换');
  await page.click('[data-testid=alert-note-submit]');
  await page.waitForFunction((id) => !document.querySelector(`tr[data-alert="${id}"]`), open.id, { timeout: 5000 });
  const resolved = (await api('GET', `/api/v1/alerts?status=resolved&limit=200`)).json.items.find((a) => a.id === open.id);
  assert.equal(resolved.status, 'resolved');
  assert.equal(resolved.note, '证书已补办，岗位人员已更换');
  await page.screenshot({ path: join(artifacts, 'alerts.png') });
  await page.close();
});
