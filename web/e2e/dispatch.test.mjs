// Browser tests of the five-colour warning and work-order dispatch (issue 28): a plain server
// (no demo) whose streets and communities come from the gazetteer; a grid made in a community; a
// dispatcher on the command screen and a grid worker on a phone (/m/). A red order made by hand in
// the grid is routed to the grid worker on duty and turns the grid, its community and its street
// red on /warnings, whose panel says why; the worker accepts it offline (it waits in the phone's
// queue and reaches the server once the phone is back online), reports with a photo and finishes
// with a note; the dispatcher sees the photo, closes the order, and the areas turn green again.
//
//   ZHIZHI_BINARY=build/zhizhi ZHIZHI_WEB_DIST=web/dist node --test web/e2e/dispatch.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { apiOf, artifacts, launchBrowser, loginAs, startServer, until } from './helpers.mjs';

const DISPATCHER = { name: 'd.one', password: 'Dispatch-Desk-2026' };
const WORKER = { name: 'g.one', password: 'Grid-Walker-2026' };
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

let district;
let browser;
let api;

before(async () => {
  district = await startServer();
  api = apiOf(district);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await district?.stop();
});

async function sessionOf(user) {
  const made = await api('POST', '/api/v1/sessions', user, null);
  assert.equal(made.status, 201, JSON.stringify(made.json));
  return made.json.token;
}

test('a red order turns its areas red, is worked offline on a phone and, closed, turns them green', async () => {
  // ---- the district's areas (seeded from the gazetteer a few seconds after the start), a grid
  const communities = await until(async () => {
    const r = await api('GET', '/api/v1/areas?level=community');
    return r.status === 200 && r.json.items.length > 0 ? r.json.items : null;
  }, 'the communities are seeded', 30000);
  const C = communities.find((c) => c.code.startsWith('330114001')) ?? communities[0];
  assert.equal(C.code.length, 12);
  const S = C.parent;
  assert.equal(S.length, 9);
  const G = `${C.code}01`;
  const grid = await api('POST', '/api/v1/areas', { code: G, name: '第1网格', parent: C.code, ...(C.lat !== null ? { lat: C.lat, lng: C.lng } : {}) });
  assert.equal(grid.status, 201, JSON.stringify(grid.json));

  const dispatcher = await api('POST', '/api/v1/users', { ...DISPATCHER, role: 'dispatcher' });
  assert.equal(dispatcher.status, 201, JSON.stringify(dispatcher.json));
  const worker = await api('POST', '/api/v1/users', { ...WORKER, role: 'grid_worker', areas: [G] });
  assert.equal(worker.status, 201, JSON.stringify(worker.json));
  const dToken = await sessionOf(DISPATCHER);
  const gToken = await sessionOf(WORKER);

  // ---- the phone: log in, go on duty
  const phoneContext = await browser.newContext({
    ...PHONE,
    locale: 'zh-CN',
    permissions: ['geolocation'],
    geolocation: { latitude: C.lat ?? 30.31, longitude: C.lng ?? 120.34 },
  });
  const phone = await phoneContext.newPage();
  await phone.goto(district.base + '/m/');
  await phone.fill('[data-testid=login-name]', WORKER.name);
  await phone.fill('[data-testid=login-password]', WORKER.password);
  await phone.tap('[data-testid=login-submit]');
  const toggle = phone.locator('[data-testid=duty-toggle]');
  await phone.waitForSelector('[data-testid=duty-toggle][data-on-duty=false]:not([disabled])', { timeout: 15000 });
  await toggle.tap();
  await phone.waitForSelector('[data-testid=duty-toggle][data-on-duty=true]:not([disabled])', { timeout: 15000 });
  const duty = await api('GET', '/api/v1/me/duty', undefined, gToken);
  assert.equal(duty.status, 200, JSON.stringify(duty.json));
  assert.equal(duty.json.on_duty, true);
  assert.deepEqual(duty.json.areas.map((a) => a.code), [G]);

  // ---- a red order by hand in the grid, routed by itself to the one on duty
  const made = await api('POST', '/api/v1/work-orders', { title: '窨井盖缺失，需设置围挡', category: 'other', area_code: G, source: 'manual', priority: 'red', description: '12号大街与文渊路路口东侧' }, dToken);
  assert.equal(made.status, 201, JSON.stringify(made.json));
  const order = made.json;
  assert.equal(order.assignee, WORKER.name, 'routed to the grid worker on duty');
  assert.equal(order.status, 'assigned');
  assert.equal(order.priority, 'red');

  // ---- the command screen: the grid, its community and its street are red, and the panel says why
  const desk = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  await loginAs(desk, district, DISPATCHER.name, DISPATCHER.password);
  await desk.waitForURL(/\/warnings/, { timeout: 15000 }); // a dispatcher's start page
  await desk.waitForSelector('main.page[data-ready="1"] .warnings-page', { timeout: 15000 });
  for (const code of [S, C.code, G]) await desk.waitForSelector(`[data-testid=area-row-${code}][data-colour=red]`, { timeout: 10000 });
  assert.ok(Number(await desk.getAttribute('[data-testid=count-community-red]', 'data-value')) >= 1);
  assert.ok(Number(await desk.getAttribute('[data-testid=count-street-red]', 'data-value')) >= 1);
  const rulebook = (await api('GET', '/api/v1/warnings/rulebook', undefined, dToken)).json;
  assert.equal(await desk.getAttribute('[data-testid=rulebook]', 'data-version'), rulebook.version);
  // Five levels, each named on the screen.
  for (const colour of ['red', 'orange', 'yellow', 'blue', 'green'])
    assert.ok((await desk.textContent(`[data-testid=count-community-${colour}]`)).length > 2, colour);
  await desk.screenshot({ path: join(artifacts, 'warnings-red.png') });
  await desk.click(`[data-testid=area-row-${C.code}] button.area-name`);
  await desk.waitForSelector(`[data-testid=area-panel][data-code="${C.code}"] [data-testid=panel-colour][data-colour=red]`);
  await desk.waitForSelector(`[data-testid=map-path] .current[data-code="${C.code}"]`); // the map opens to its grids
  const reason = desk.locator('[data-testid=reason-cases_red]');
  await reason.waitFor();
  assert.equal(await reason.locator('td.num').first().getAttribute('data-value'), '1');
  assert.equal(await reason.locator(`a[href="/work-orders/${order.id}"]`).count(), 1, 'the order is named as the evidence');
  await desk.waitForSelector(`[data-testid=child-${G}][data-colour=red]`);
  await desk.waitForSelector('[data-testid=panel-history] li[data-colour=red]');
  await desk.screenshot({ path: join(artifacts, 'warnings-red-panel.png') });

  // ---- the phone: the order appears; accepted offline, it waits in the queue
  await phone.waitForSelector(`[data-testid=order-${order.id}][data-status=assigned]`, { timeout: 15000 });
  await phone.screenshot({ path: join(artifacts, 'phone-orders.png') });
  await phone.tap(`[data-testid=order-${order.id}]`);
  await phone.waitForSelector('[data-testid=order-status][data-status=assigned]');
  await phone.screenshot({ path: join(artifacts, 'phone-order.png') });
  await phoneContext.setOffline(true);
  await phone.tap('[data-testid=action-accept]');
  await phone.waitForSelector('[data-testid=queue-count][data-value="1"]');
  await phone.waitForSelector('[data-testid=order-status][data-status=in_progress]'); // shown at once
  await phone.waitForTimeout(1500);
  assert.equal((await api('GET', `/api/v1/work-orders/${order.id}`, undefined, dToken)).json.status, 'assigned', 'nothing reached the server');
  assert.equal(await phone.getAttribute('[data-testid=queue-count]', 'data-value'), '1');
  await phone.screenshot({ path: join(artifacts, 'phone-offline.png') });

  // ---- back online: the queued accept is sent
  await phoneContext.setOffline(false);
  await until(async () => (await api('GET', `/api/v1/work-orders/${order.id}`, undefined, dToken)).json.status === 'in_progress', 'the queued accept reaches the server', 20000);
  await phone.waitForSelector('[data-testid=queue-count][data-value="0"]', { state: 'attached' });

  // ---- a photo (made on a canvas) with a report, then finished with a note
  const png = Buffer.from(
    await desk.evaluate(() => {
      const c = document.createElement('canvas');
      c.width = 1600;
      c.height = 1200;
      const g = c.getContext('2d');
      const grad = g.createLinearGradient(0, 0, 1600, 1200);
      grad.addColorStop(0, '#3a6ea5');
      grad.addColorStop(1, '#e0a800');
      g.fillStyle = grad;
      g.fillRect(0, 0, 1600, 1200);
      g.fillStyle = '#222';
      g.fillRect(600, 450, 400, 300);
      return c.toDataURL('image/png').split(',')[1];
    }),
    'base64',
  );
  await phone.setInputFiles('[data-testid=photo-input]', { name: 'scene.png', mimeType: 'image/png', buffer: png });
  const previewBytes = Number(await (await phone.waitForSelector('[data-testid=photo-preview]')).getAttribute('data-bytes'));
  assert.ok(previewBytes > 0 && previewBytes <= 650 * 1024, `${previewBytes} bytes`);
  await phone.tap('[data-testid=action-report]');
  await phone.waitForSelector('[data-testid=order-status][data-status=reported]');
  await phone.fill('[data-testid=note]', '已设置围挡并通知市政养护单位更换井盖');
  await phone.tap('[data-testid=action-finish]');
  await phone.waitForSelector('[data-testid=order-status][data-status=finished]');
  const finished = await until(async () => {
    const r = await api('GET', `/api/v1/work-orders/${order.id}`, undefined, dToken);
    return r.json.status === 'finished' ? r.json : null;
  }, 'the order is finished on the server', 20000);
  assert.equal(finished.photos.length, 1);
  assert.equal(finished.photos[0].media_type, 'image/jpeg');
  assert.ok(finished.photos[0].bytes <= 650 * 1024);
  const actions = finished.history.map((s) => s.action);
  for (const a of ['create', 'assign', 'accept', 'report', 'finish']) assert.ok(actions.includes(a), `${a} in ${actions}`);
  assert.equal(actions.filter((a) => a === 'accept').length, 1, 'the queued accept counted once');
  assert.equal(finished.history.find((s) => s.action === 'finish').note, '已设置围挡并通知市政养护单位更换井盖');
  await phone.waitForSelector('[data-testid=queue-count][data-value="0"]', { state: 'attached' });
  await phone.screenshot({ path: join(artifacts, 'phone-finished.png') });

  // ---- the dispatcher sees the photo and closes the order
  await desk.click('header.topbar nav a[href="/work-orders"]');
  await desk.waitForSelector(`[data-testid=order-row-${order.id}][data-status=finished]`);
  await desk.click(`[data-testid=order-row-${order.id}] a >> nth=0`);
  await desk.waitForSelector('[data-testid=order-status][data-status=finished]');
  const photo = desk.locator(`[data-testid=photo-${finished.photos[0].id}][data-loaded="1"]`);
  await photo.waitFor();
  assert.ok(await photo.evaluate((img) => img.naturalWidth > 0 && img.src.startsWith('blob:')));
  assert.equal(await desk.locator('[data-testid=order-history] li[data-action=finish]').count(), 1);
  await desk.screenshot({ path: join(artifacts, 'work-order.png'), fullPage: true });
  await desk.click('[data-testid=action-close]');
  await desk.waitForSelector('[data-testid=order-status][data-status=closed]');
  assert.equal((await api('GET', `/api/v1/work-orders/${order.id}`, undefined, dToken)).json.status, 'closed');

  // ---- and the areas are green again
  await desk.click('header.topbar nav a[href="/warnings"]');
  for (const code of [G, C.code, S]) await desk.waitForSelector(`[data-testid=area-row-${code}][data-colour=green]`, { timeout: 10000 });
  await desk.click(`[data-testid=area-row-${C.code}] button.area-name`);
  await desk.waitForSelector(`[data-testid=area-panel][data-code="${C.code}"] [data-testid=panel-colour][data-colour=green]`);
  await desk.waitForSelector('[data-testid=panel-no-reason]');
  await desk.waitForSelector('[data-testid=panel-history] li[data-colour=green][data-previous=red]');
  await desk.screenshot({ path: join(artifacts, 'warnings-green.png') });

  await phoneContext.close();
  await desk.close();
});
