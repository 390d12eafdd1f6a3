// Browser tests of the IoT pages (issue 27, docs/iot.md): a small demo district, and IoT devices
// that `zhizhi simulate iot` registers and drives through the server's real broker for a few
// seconds, with a high share of alarms (fire alarms stay open until judged). The
// administrator opens /iot: its figures are those of GET /api/v1/iot/stats, the list follows the
// kind filter and the search, a row opens the device's page, and an alarm without a verdict is
// marked false there (its alert is then resolved). An inspector reads the same pages without the
// verdict buttons and is refused a verdict by the server; a device registered through the API
// shows as never connected. An alarm raised while the overview is open shows in its live feed.
//
//   ZHIZHI_BINARY=build/zhizhi ZHIZHI_WEB_DIST=web/dist node --test web/e2e/iot.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiOf, artifacts, launchBrowser, login, loginAs, startDistrict, until } from './helpers.mjs';

const INSPECTOR = { name: 'i.iot', password: 'Inspect-Desk-2026' };
const NOTE = '现场核实：厨房油烟触发感烟探测器，非火情';

let district;
let browser;
let api;

// Devices and alarms through the real broker: the simulator registers them through the API.
function simulate(prefix, seed, seconds) {
  const dir = mkdtempSync(join(tmpdir(), 'zhizhi-iot-'));
  try {
    writeFileSync(join(dir, 'admin.token'), district.token, { mode: 0o600 });
    execFileSync(process.env.ZHIZHI_BINARY, ['simulate', 'iot', '--url', district.base, '--token-file', join(dir, 'admin.token'),
      '--devices', '12', '--rate', '60', '--seconds', String(seconds), '--alarm-share', '0.3', '--malformed-share', '0.05',
      '--dropout-share', '0', '--seed', String(seed), '--prefix', prefix, '--json'], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 60000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

before(async () => {
  district = await startDistrict(['--projects', '4', '--persons', '200', '--history-days', '0', '--seed', '27', '--no-faces', '--base-data-scale', '0', '--lottery-households', '0']);
  api = apiOf(district);
  simulate('WEB-', 27, 4);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await district?.stop();
});

async function ok(method, path, body, auth) {
  const r = await api(method, path, body, auth);
  assert.ok(r.status >= 200 && r.status < 300, `${method} ${path} → ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

// Every device of the list (cursor paging) matching `filters`.
async function allDevices(filters = '') {
  const items = [];
  let cursor = null;
  for (let page = 0; page < 100; page++) {
    const list = await ok('GET', `/api/v1/iot/devices?limit=100${filters}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...list.items);
    cursor = list.next_cursor;
    if (!cursor) return items;
  }
  throw new Error('more than 100 pages of devices');
}

async function kpiValues(page) {
  const value = (testid) => page.locator(`[data-testid=${testid}] .value`).getAttribute('data-value').then(Number);
  return {
    total: await value('iot-kpi-total'),
    online: await value('iot-kpi-online'),
    offline: await value('iot-kpi-offline'),
    never: await value('iot-kpi-never'),
    alarms: await value('iot-kpi-alarms'),
    received: await value('iot-kpi-received'),
    dropped: await value('iot-kpi-dropped'),
  };
}

// Waits for two refreshes of the page (the second one began after this call).
async function freshRefresh(page) {
  const seen = Number(await page.getAttribute('main.page', 'data-refreshes'));
  await page.waitForFunction((n) => Number(document.querySelector('main.page').dataset.refreshes) >= n + 2, seen, { timeout: 20000 });
}

test('the IoT page shows the figures of /iot/stats, filters by kind, and an alarm marked false there is resolved', async () => {
  // ---- the simulated devices and an alarm without a verdict
  const stats = await ok('GET', '/api/v1/iot/stats');
  assert.ok(stats.devices.total > 0, `the simulator registered IoT devices: ${JSON.stringify(stats)}`);
  assert.ok(stats.alarms.open > 0, `the simulator left IoT alarms open: ${JSON.stringify(stats.alarms)}`);
  const devices = await allDevices();
  assert.equal(devices.length, stats.devices.total);
  let target = null;
  let alarm = null;
  for (const d of devices.filter((x) => x.open_alarms > 0)) {
    const detail = await ok('GET', `/api/v1/iot/devices/${d.id}`);
    alarm = detail.alarms.find((a) => a.verdict === null) ?? null;
    if (alarm) {
      target = detail;
      break;
    }
  }
  assert.ok(target && alarm, 'the simulator left a fire alarm without a verdict on a device with open alarms');

  // ---- the list page, from the navigation
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await login(page, district);
  await page.click('header.topbar nav a[href="/iot"]');
  await page.waitForURL(/\/iot$/);
  await page.waitForSelector('main.page[data-ready="1"] .iot-page');
  assert.equal(await page.getAttribute('header.topbar nav a[href="/iot"]', 'class'), 'active');

  // The figures are those of GET /iot/stats: asked before and after a refresh of the page, the
  // device and alarm figures the same both times and shown, the message counters between the two.
  await until(
    async () => {
      const before = await ok('GET', '/api/v1/iot/stats');
      await freshRefresh(page);
      const shown = await kpiValues(page);
      const after = await ok('GET', '/api/v1/iot/stats');
      const figures = (s) => [s.devices.total, s.devices.by_state.online ?? 0, s.devices.by_state.offline ?? 0, s.devices.by_state.never ?? 0, s.alarms.open];
      if (JSON.stringify(figures(before)) !== JSON.stringify(figures(after))) return false; // changed meanwhile: again
      assert.deepEqual([shown.total, shown.online, shown.offline, shown.never, shown.alarms], figures(before));
      assert.ok(before.messages.received <= shown.received && shown.received <= after.messages.received, `received ${shown.received} in [${before.messages.received}, ${after.messages.received}]`);
      assert.ok(before.messages.dropped <= shown.dropped && shown.dropped <= after.messages.dropped, `dropped ${shown.dropped} in [${before.messages.dropped}, ${after.messages.dropped}]`);
      return true;
    },
    'the KPIs match GET /api/v1/iot/stats',
    90000,
    0,
  );
  assert.equal(Number(await page.getAttribute('[data-testid=iot-total]', 'data-value')), stats.devices.total);
  assert.equal(await page.locator('tr[data-device]').count(), Math.min(100, stats.devices.total));
  assert.equal(await page.locator('[data-testid=iot-more]').isVisible(), stats.devices.total > 100);
  await page.screenshot({ path: join(artifacts, 'iot-list.png') });

  // A refresh redraws no more than what changed (no flicker): the table is the same element after
  // two refreshes, and so is the row of a device that did not change meanwhile.
  const rowsBefore = Object.fromEntries(
    await page.locator('tr[data-device]').evaluateAll((rows) =>
      rows.map((r) => {
        r.dataset.kept = '1';
        return [r.dataset.device, r.dataset.signature];
      }),
    ),
  );
  await page.evaluate(() => (document.querySelector('table.iot-devices').dataset.kept = '1'));
  await freshRefresh(page);
  assert.equal(await page.getAttribute('table.iot-devices', 'data-kept'), '1', 'the table is not rebuilt');
  const rowsAfter = await page.locator('tr[data-device]').evaluateAll((rows) => rows.map((r) => [r.dataset.device, r.dataset.signature, r.dataset.kept ?? '']));
  const unchanged = rowsAfter.filter(([id, signature]) => rowsBefore[id] === signature);
  for (const [id, , kept] of unchanged) assert.equal(kept, '1', `the row of device ${id} is kept`);

  // ---- filter by the target's kind
  await page.selectOption('[data-testid=filter-kind]', target.kind);
  await page.waitForURL(new RegExp(`/iot\\?kind=${target.kind}$`));
  const ofKind = await allDevices(`&kind=${target.kind}`);
  assert.ok(ofKind.length > 0 && ofKind.every((d) => d.kind === target.kind));
  await until(
    async () => Number(await page.getAttribute('[data-testid=iot-total]', 'data-value')) === ofKind.length,
    `the list counts ${ofKind.length} devices of kind ${target.kind}`,
  );
  const kinds = await page.locator('tr[data-device]').evaluateAll((rows) => rows.map((r) => r.dataset.kind));
  assert.equal(kinds.length, Math.min(100, ofKind.length));
  assert.ok(kinds.every((k) => k === target.kind), kinds.join(','));

  // ---- and search for its serial; its row opens its page
  await page.fill('[data-testid=filter-q]', target.serial);
  await page.click('[data-testid=filter-submit]');
  const row = page.locator(`[data-testid=device-row-${target.id}]`);
  await row.waitFor();
  assert.equal(await row.getAttribute('data-kind'), target.kind);
  assert.ok(Number(await row.getAttribute('data-open-alarms')) > 0);
  await row.locator('td').nth(2).click(); // the name: the whole row is the link
  await page.waitForURL(new RegExp(`/iot/devices/${target.id}$`));
  await page.waitForSelector('main.page[data-ready="1"] [data-testid=device-state]');
  await page.waitForSelector(`[data-testid=alarm-${alarm.id}]`);
  // What the page shows is the API's answer (asked again until a refresh of the page caught up).
  const detail = await until(async () => {
    const d = await ok('GET', `/api/v1/iot/devices/${target.id}`);
    const shown = [
      await page.getAttribute('[data-testid=device-state]', 'data-state'),
      await page.getAttribute('[data-testid=device-last-seen]', 'data-value'),
      await page.locator('[data-testid=device-alarms] tr[data-alarm]').count(),
    ];
    return JSON.stringify(shown) === JSON.stringify([d.state, d.last_seen ?? '', d.alarms.length]) ? d : null;
  }, 'the device page shows the state, last message and alarms of GET /iot/devices/{id}');
  assert.equal(await page.getAttribute('[data-testid=device-kind]', 'data-kind'), detail.kind);
  if (detail.kind === 'tower_crane') {
    await page.waitForSelector('[data-testid=device-operator]');
    if (detail.values?.moment_ratio !== undefined) assert.match(await page.textContent('[data-testid=value-moment_ratio] .value'), /%$/);
    if (detail.session) assert.equal(await page.getAttribute('[data-testid=operator]', 'data-person'), String(detail.session.person_id));
  } else if (['fire_panel', 'uitd', 'smoke_detector'].includes(detail.kind)) {
    assert.equal(await page.locator('[data-testid=device-parts] tr[data-part]').count(), detail.parts.length);
  }
  await page.screenshot({ path: join(artifacts, 'iot-device.png'), fullPage: true });

  // ---- the alarm marked false, with a note
  assert.equal(await page.getAttribute(`[data-testid=alarm-verdict-${alarm.id}]`, 'data-verdict'), '');
  await page.click(`[data-testid=verdict-false-${alarm.id}]`);
  await page.fill('[data-testid=alert-note]', NOTE);
  await page.click('[data-testid=alert-note-submit]');
  await page.waitForSelector(`[data-testid=alarm-verdict-${alarm.id}][data-verdict=false]`);
  assert.match(await page.textContent(`[data-testid=alarm-verdict-${alarm.id}]`), new RegExp(NOTE));
  assert.equal(await page.locator(`[data-testid=verdict-false-${alarm.id}]`).count(), 0, 'no buttons once it has a verdict');
  assert.equal(await page.locator(`[data-testid=verdict-real-${alarm.id}]`).count(), 0);
  assert.equal(await page.textContent('[data-testid=device-error]'), '');
  await page.screenshot({ path: join(artifacts, 'iot-verdict.png'), fullPage: true });

  // The API agrees; the alert behind it is resolved; a second verdict is refused.
  const judged = (await ok('GET', `/api/v1/iot/devices/${target.id}`)).alarms.find((a) => a.id === alarm.id);
  assert.equal(judged.verdict, 'false');
  assert.equal(judged.note, NOTE);
  assert.ok(judged.verdict_by, 'who gave the verdict');
  if (alarm.alert_id !== null) assert.equal((await ok('GET', `/api/v1/alerts/${alarm.alert_id}`)).status, 'resolved', 'a false alarm resolves its alert');
  const again = await api('POST', `/api/v1/iot/alarms/${alarm.id}/verdict`, { verdict: 'real' });
  assert.equal(again.status, 409, JSON.stringify(again.json));
  assert.equal(again.json.error.code, 'invalid_transition');

  // The same page in English.
  await page.click('[data-testid=lang]');
  await page.waitForSelector(`[data-testid=alarm-verdict-${alarm.id}][data-verdict=false]`);
  assert.match(await page.textContent(`[data-testid=alarm-verdict-${alarm.id}]`), /False alarm/);
  await page.click('[data-testid=lang]');
  assert.deepEqual(errors, []);
  await page.close();
});

test('an inspector reads the IoT pages without the verdict buttons, and the server refuses them a verdict', async () => {
  await ok('POST', '/api/v1/users', { ...INSPECTOR, role: 'inspector' });
  const session = await api('POST', '/api/v1/sessions', INSPECTOR, null);
  assert.equal(session.status, 201, JSON.stringify(session.json));
  const devices = await allDevices();
  let open = null;
  for (const d of devices.filter((x) => x.open_alarms > 0)) {
    const detail = await ok('GET', `/api/v1/iot/devices/${d.id}`, undefined, session.json.token);
    if (detail.alarms.some((a) => a.verdict === null)) {
      open = detail;
      break;
    }
  }
  assert.ok(open, 'the simulator left another fire alarm without a verdict');
  const alarm = open.alarms.find((a) => a.verdict === null);
  const refused = await api('POST', `/api/v1/iot/alarms/${alarm.id}/verdict`, { verdict: 'false' }, session.json.token);
  assert.equal(refused.status, 403, JSON.stringify(refused.json));

  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  await loginAs(page, district, INSPECTOR.name, INSPECTOR.password);
  const entry = page.locator('header.topbar nav a[href="/iot"]');
  await until(async () => await entry.isVisible(), 'the IoT entry is shown to an inspector');
  await entry.click();
  await page.waitForSelector('main.page[data-ready="1"] .iot-page');
  await page.goto(`${district.base}/iot/devices/${open.id}`);
  await page.waitForSelector(`main.page[data-ready="1"] [data-testid=alarm-${alarm.id}]`);
  await page.waitForSelector('[data-testid=no-duty]');
  assert.equal(await page.locator('[data-testid^=verdict-]').count(), 0, 'no verdict buttons without iot.duty');
  await page.close();
});

test('a device registered through the API is listed as never connected, without alarms', async () => {
  const made = await api('POST', '/api/v1/iot/devices', { kind: 'uitd', serial: 'T-UITD-1', address: '浙江省杭州市钱塘区下沙街道学源街18号' });
  assert.equal(made.status, 201, JSON.stringify(made.json));
  assert.ok(Number.isInteger(made.json.id));
  assert.equal(typeof made.json.mqtt?.password, 'string', 'the broker password, once');
  const detail = await ok('GET', `/api/v1/iot/devices/${made.json.id}`);
  assert.equal(detail.state, 'never');
  assert.ok(!JSON.stringify(detail).includes(made.json.mqtt.password), 'the password is not shown again');

  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  await login(page, district);
  await page.goto(`${district.base}/iot?q=T-UITD-1`);
  const row = page.locator(`[data-testid=device-row-${made.json.id}]`);
  await row.waitFor();
  assert.equal(await row.getAttribute('data-state'), 'never');
  assert.equal(await row.getAttribute('data-kind'), 'uitd');
  assert.equal(await page.inputValue('[data-testid=filter-q]'), 'T-UITD-1');
  await row.locator('a').first().click();
  await page.waitForURL(new RegExp(`/iot/devices/${made.json.id}$`));
  await page.waitForSelector('main.page[data-ready="1"] [data-testid=device-state][data-state=never]');
  await page.waitForSelector('[data-testid=no-alarms]');
  assert.equal(await page.getAttribute('[data-testid=device-last-seen]', 'data-value'), '');
  await page.close();
});

test('an IoT alarm raised while the overview is open shows in its live feed, linking to the device', async () => {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  await login(page, district);
  await page.waitForSelector('main.page[data-ready="1"] [data-testid=denied-feed]');
  await page.waitForFunction(() => document.querySelector('[data-testid=live-state]')?.textContent?.startsWith('●'));
  simulate('LIVE-', 28, 2); // the browser hears the alarms meanwhile; the rows stay
  const row = page.locator('[data-testid=denied-feed] [data-testid=live-iot-alarm]').first();
  await row.waitFor({ timeout: 10000 });
  const alertId = Number(await row.getAttribute('data-alert-id'));
  const device = Number(await row.getAttribute('data-device'));
  const alert = await ok('GET', `/api/v1/alerts/${alertId}`);
  assert.equal(await row.getAttribute('data-type'), alert.type);
  assert.ok(['red', 'orange', 'yellow', 'blue'].includes(await row.getAttribute('data-severity')));
  assert.equal(await row.locator('.sev').count(), 1, 'a severity chip');
  assert.equal(await row.locator('a').getAttribute('href'), `/iot/devices/${device}`);
  await page.screenshot({ path: join(artifacts, 'overview-iot-alarm.png') });
  await row.locator('a').click();
  await page.waitForURL(new RegExp(`/iot/devices/${device}$`));
  await page.waitForSelector('main.page[data-ready="1"] [data-testid=device-alarms]');
  await page.close();
});
