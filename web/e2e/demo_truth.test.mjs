// The demo tells the truth of a working district (issue 24): its people enrolled with verified
// faces (demo templates, marked as such), the registrations delivered to the reference police
// receiver (a stand-in, labelled so on the screen) and answered — nearly all accepted with receipt
// numbers, a few rejected —, exited workers who stop passing, open alerts in the proportions of a
// district, and every figure of the overview equal to the API's count.
//
//   ZHIZHI_BINARY=build/zhizhi node --test web/e2e/demo_truth.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiOf, artifacts, freePort, launchBrowser, login, startDistrict } from './helpers.mjs';

let district;
let api;
let browser;

before(async () => {
  const port = await freePort();
  district = await startDistrict(
    ['--projects', '8', '--persons', '1600', '--history-days', '8', '--seed', '11', '--base-data-scale', '0',
      '--lottery-households', '0', '--police-port', String(port)],
    { police: { rejectEvery: 40 } },
  );
  api = apiOf(district);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await district?.stop();
});

// The registrations' counts once the start-up submissions are answered (some registrations,
// nothing submitted or waiting in the police outbox, the same counts twice in a row), within a
// minute.
async function settledRegistrations() {
  let last = '';
  for (let i = 0; i < 120; i++) {
    const counts = (await api('GET', '/api/v1/residence-registrations?limit=1')).json.counts;
    const sync = (await api('GET', '/api/v1/sync/status')).json.targets.find((x) => x.target === 'police');
    const now = JSON.stringify(counts);
    if (now === last && counts.total > 0 && !counts.by_status.submitted && sync.pending === 0) return counts;
    last = now;
    await sleep(500);
  }
  throw new Error(`registrations did not settle: ${last}`);
}

test('registrations go draft → submitted → accepted with receipts at the stand-in; a few are rejected', async () => {
  const counts = await settledRegistrations();
  const accepted = counts.by_status.accepted ?? 0;
  const rejected = counts.by_status.rejected ?? 0;
  assert.ok(accepted >= 0.8 * counts.total, `accepted ${accepted} of ${counts.total}`);
  assert.ok(rejected >= 1 && rejected <= 0.1 * counts.total, `rejected ${rejected} of ${counts.total}`);
  const items = (await api('GET', '/api/v1/residence-registrations?status=accepted&limit=3')).json.items;
  for (const r of items) assert.match(r.receipt_no ?? '', /^ZJ330114/);
  const refused = (await api('GET', '/api/v1/residence-registrations?status=rejected&limit=1')).json.items[0];
  const history = (await api('GET', `/api/v1/residence-registrations/${refused.id}`)).json;
  assert.match(JSON.stringify(history), /地址无法核实/);
  // Their faces are the demo's templates: enrolled, verified, and said to be demo data.
  const person = (await api('GET', `/api/v1/persons/${items[0].person_id}`)).json;
  assert.equal(person.face.enrolled, true);
  assert.equal(person.face.demo, true);
  // The receiver is labelled a stand-in.
  const police = (await api('GET', '/api/v1/sync/status')).json.targets.find((x) => x.target === 'police');
  assert.equal(police.configured, true);
  assert.match(police.label, /代替公安系统/);
  assert.ok(police.sent >= accepted, `sent ${police.sent}`);
});

test('exited workers stop passing, but for a handful; open alerts are not thousands of false ones', async () => {
  await settledRegistrations();
  const alerts = (await api('GET', '/api/v1/alerts?limit=1')).json.counts;
  const exited = (await api('GET', '/api/v1/stats/overview')).json.enrolled;
  const seen = alerts.by_type.exited_but_seen ?? 0;
  assert.ok(seen <= 10, `exited_but_seen ${seen} (${JSON.stringify(exited)})`);
  // Registrations are made: overdue ones are the rejected few and the faces still to be taken.
  const overdue = alerts.by_type.residence_overdue ?? 0;
  const registrations = (await api('GET', '/api/v1/residence-registrations?limit=1')).json.counts;
  assert.ok(overdue >= 1 && overdue <= 0.1 * registrations.total, `residence_overdue ${overdue} of ${registrations.total}`);
  assert.ok(alerts.total < 0.2 * registrations.total, `open alerts ${alerts.total}: ${JSON.stringify(alerts.by_type)}`);
});

test('every figure of the overview equals the API count', async () => {
  await settledRegistrations();
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  const valueOf = (testid) => page.locator(`[data-testid=${testid}] .value`).getAttribute('data-value').then(Number);
  // The alerts engine and the live clock may move a count between the API's answer and the
  // page's: read both again (a fresh page) until they agree, at most five times.
  let last;
  for (let attempt = 0; attempt < 5; attempt++) {
    await login(page, district);
    await page.waitForSelector('[data-testid=kpi-registrations]:not([hidden])');
    const [onsite, overview, alerts, drafts, rejected] = await Promise.all([
      api('GET', '/api/v1/onsite'),
      api('GET', '/api/v1/stats/overview'),
      api('GET', '/api/v1/alerts?status=active&limit=1'),
      api('GET', '/api/v1/residence-registrations?status=draft&limit=1'),
      api('GET', '/api/v1/residence-registrations?status=rejected&limit=1'),
    ]).then((all) => all.map((r) => r.json));
    const expected = {
      'kpi-onsite': onsite.total,
      'kpi-projects': overview.projects.by_status.active,
      'kpi-attendance': overview.today.present,
      'kpi-passes': overview.today.allowed + overview.today.denied,
      'kpi-devices': overview.devices.online,
      'kpi-certificates': overview.certificates.expired + overview.certificates.expiring,
      'kpi-alerts': alerts.counts.total,
      'kpi-registrations': drafts.counts.total + rejected.counts.total,
    };
    const shown = {};
    for (const testid of Object.keys(expected)) shown[testid] = await valueOf(testid);
    shown.overdue = Number(await page.locator('[data-testid=kpi-registrations] .sub').first().getAttribute('data-overdue'));
    expected.overdue = drafts.counts.overdue + rejected.counts.overdue;
    last = { shown, expected };
    if (JSON.stringify(shown) === JSON.stringify(expected)) break;
  }
  assert.deepEqual(last.shown, last.expected);
  // Eight days of history: the rejected few and the faces still to be taken are overdue.
  assert.ok(last.expected['kpi-registrations'] >= 1);
  assert.ok(last.expected.overdue >= 1, JSON.stringify(last.expected));
  // The police receiver is named on the screen as the stand-in it is.
  assert.match(await page.textContent('[data-testid=police-target]'), /代替公安系统/);
  await page.screenshot({ path: join(artifacts, 'overview-demo-truth.png') });
  await page.close();
});
