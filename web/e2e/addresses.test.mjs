// Browser tests of the standard-address view (/addresses): the standardiser's table against the
// API's answer for the same lines, the division browser from 钱塘区 down to a community, and the
// district's standard addresses — a small CSV imported through the API here, filtered by the
// community chosen in the browser, paged with "more", and searched.
//
//   ZHIZHI_BINARY=build/zhizhi node --test web/e2e/     (environment: helpers.mjs)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { apiOf, artifacts, launchBrowser, login, startDistrict } from './helpers.mjs';

const SHANGSHA = '330114001005'; // 上沙社区, 下沙街道, 钱塘区
const DOOR = '浙江省杭州市钱塘区下沙街道上沙社区12号大街918号';
const HOUSEHOLDS = 104; // with the door, more than one page (100) of the community

let district;
let browser;
let api;

before(async () => {
  district = await startDistrict(['--projects', '4', '--persons', '100', '--history-days', '0', '--seed', '7', '--no-faces', '--base-data-scale', '0']);
  api = apiOf(district);
  browser = await launchBrowser();
  // One door plate of 上沙社区 and its households, floor by floor.
  const rows = [`e2e-918,door,${DOOR},${SHANGSHA},`];
  for (let i = 0; i < HOUSEHOLDS; i++) {
    const room = `${Math.floor(i / 4) + 1}0${(i % 4) + 1}`;
    rows.push(`e2e-918-1-${room},household,${DOOR}1幢1单元${room}室,${SHANGSHA},e2e-918`);
  }
  const imported = await api('POST', '/api/v1/addresses/imports', {
    format: 'csv',
    content: `code,kind,address,village,parent_code\n${rows.join('\n')}\n`,
  });
  assert.ok(imported.status === 200 || imported.status === 201, JSON.stringify(imported.json));
  assert.deepEqual(imported.json.errors, []);
  assert.equal(imported.json.imported, rows.length);
});

after(async () => {
  await browser?.close();
  await district?.stop();
});

async function openAddresses(viewport = { width: 1920, height: 1080 }) {
  const page = await browser.newPage({ viewport });
  await login(page, district);
  await page.click('header.topbar nav a[href="/addresses"]');
  await page.waitForURL(/\/addresses/);
  await page.waitForSelector('main.page[data-ready="1"]');
  return page;
}

// Every page of GET /api/v1/addresses for `query`.
async function allAddresses(query) {
  const items = [];
  let cursor = null;
  do {
    const q = new URLSearchParams({ ...query, limit: '100' });
    if (cursor) q.set('cursor', cursor);
    const page = await api('GET', `/api/v1/addresses?${q}`);
    assert.equal(page.status, 200, JSON.stringify(page.json));
    items.push(...page.json.items);
    cursor = page.json.next_cursor;
  } while (cursor);
  return items;
}

test('the standardiser shows the codes and names of each level, the components, confidence and errors', async () => {
  const page = await openAddresses();
  const lines = [
    '钱塘下沙二十五号大街3栋501',
    '今天天气不错',
    '浙江省杭州市钱塘区下沙街道上沙社区21号大街46号40幢3单元1307室',
    '二十五号大街3栋501',
  ];
  await page.fill('[data-testid=address-input]', `${lines.join('\n')}\n\n`);
  await page.click('[data-testid=standardize]');
  await page.waitForSelector('[data-testid=standardize-results][data-state=done]', { timeout: 10000 });
  const answer = await api('POST', '/api/v1/addresses:standardize', { addresses: lines });
  assert.equal(answer.status, 200, JSON.stringify(answer.json));
  const expected = answer.json.items;
  const rows = page.locator('[data-testid=standardize-results] tbody tr');
  assert.equal(await rows.count(), lines.length, 'one row a line, the blank ones left out');

  // The clerk's dormitory as typed at the gate.
  const row = rows.nth(0);
  const cell = (level) => row.locator(`td[data-level=${level}]`);
  assert.equal(await cell('county').getAttribute('data-code'), '330114');
  assert.match(await cell('county').textContent(), /钱塘区/);
  assert.equal(await cell('town').getAttribute('data-code'), '330114001');
  assert.match(await cell('town').textContent(), /下沙街道/);
  assert.match(await cell('city').textContent(), /杭州市/);
  assert.equal((await cell('village').textContent()).trim(), '—', 'the village is not settled');
  const part = async (name) => (await row.locator(`td[data-part=${name}]`).textContent()).trim();
  assert.equal(await part('road'), '25号大街');
  assert.equal(await part('building'), '3');
  assert.equal(await part('room'), '501');
  assert.equal(await part('number'), '—');
  assert.equal(await part('canonical'), expected[0].canonical);
  // Every settled level shows the API's code, every unsettled one a dash.
  for (const [i, item] of expected.entries()) {
    if (item.error) continue;
    for (const level of ['province', 'city', 'county', 'town', 'village']) {
      const td = rows.nth(i).locator(`td[data-level=${level}]`);
      assert.equal(await td.getAttribute('data-code'), item[level], `line ${i + 1} ${level}`);
      if (item[level]) assert.ok((await td.locator('.division-name').textContent()).length > 0, `line ${i + 1} ${level} named`);
    }
    assert.equal(Number(await rows.nth(i).locator('td[data-part=confidence]').getAttribute('data-value')), item.confidence);
    assert.equal(await rows.nth(i).evaluate((tr) => tr.classList.contains('low')), item.confidence < 0.8, `line ${i + 1} low`);
  }
  assert.match(await rows.nth(2).locator('td[data-level=village]').textContent(), /上沙社区/);
  // Not an address: the error's code, in red.
  assert.equal(expected[1].error?.code, 'not_an_address');
  assert.equal(await rows.nth(1).getAttribute('data-status'), 'error');
  assert.equal(await rows.nth(1).locator('.error-code').textContent(), 'not_an_address');
  const red = await rows.nth(1).locator('td.error').evaluate((td) => getComputedStyle(td).color);
  assert.equal(red, 'rgb(255, 107, 91)');
  // A line with no division at all is flagged for a check by hand.
  assert.ok(expected[3].confidence < 0.8, `confidence ${expected[3].confidence}`);
  assert.match(await page.textContent('[data-testid=standardize-summary]'), /出错 1/);
  await page.screenshot({ path: join(artifacts, 'addresses-standardize.png'), fullPage: true });
  await page.close();
});

test('the division browser opens at 钱塘区 and walks down to a community, whose addresses it lists', async () => {
  const page = await openAddresses();
  const current = page.locator('[data-testid=division-path] .current');
  assert.equal(await current.getAttribute('data-code'), '330114');
  assert.equal(await current.textContent(), '钱塘区');
  assert.match(await page.textContent('[data-testid=division-path]'), /浙江省.*杭州市.*钱塘区/);
  const qiantang = (await api('GET', '/api/v1/divisions/330114')).json;
  const children = page.locator('[data-testid=division-children] button.division');
  assert.equal(await children.count(), qiantang.children.length);
  const xiasha = page.locator('[data-testid=division-children] button[data-code="330114001"]');
  assert.match(await xiasha.textContent(), /下沙街道/);

  await xiasha.click();
  await page.waitForSelector('[data-testid=division-path] .current[data-code="330114001"]');
  const shangsha = page.locator(`[data-testid=division-children] button[data-code="${SHANGSHA}"]`);
  assert.match(await shangsha.textContent(), /上沙社区/);
  assert.match(page.url(), /division=330114001\b/);

  // The community: the list is filtered by it, a page at a time.
  await shangsha.click();
  await page.waitForSelector(`[data-testid=division-path] .current[data-code="${SHANGSHA}"]`);
  await page.waitForSelector('[data-testid=address-village]:not([hidden])');
  assert.match(await page.textContent('[data-testid=address-village]'), /上沙社区/);
  const expected = await allAddresses({ village: SHANGSHA });
  assert.ok(expected.length > 100, `${expected.length} addresses in 上沙社区`);
  assert.ok(expected.every((a) => a.village === SHANGSHA));
  const rows = page.locator('[data-testid=address-list] tbody tr');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=address-list] tbody tr').length === 100);
  while (await page.locator('[data-testid=address-more]').isVisible()) {
    const before = await rows.count();
    await page.click('[data-testid=address-more]');
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=address-list] tbody tr').length > n, before);
  }
  assert.deepEqual(
    await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.address))),
    expected.map((a) => a.id),
  );
  const door = page.locator('[data-testid=address-list] tr[data-code="e2e-918"]');
  assert.equal((await door.locator('td[data-part=canonical]').textContent()).trim(), expected.find((a) => a.code === 'e2e-918').canonical);
  assert.equal(await door.locator('.badge').textContent(), '门楼牌');
  await page.waitForFunction(() => /上沙社区/.test(document.querySelector('[data-testid=address-list] tr[data-code="e2e-918"]')?.textContent ?? ''));
  assert.equal(Number(await page.getAttribute('[data-testid=address-count]', 'data-value')), expected.length);
  await page.screenshot({ path: join(artifacts, 'addresses.png') });

  // Back up to the district by the breadcrumb: the filter goes.
  await page.click('[data-testid=division-path] button[data-code="330114"]');
  await page.waitForSelector('[data-testid=division-path] .current[data-code="330114"]');
  await page.waitForSelector('[data-testid=address-village][hidden]', { state: 'attached' });
  await page.close();
});

test('the address list finds an imported address, the standardiser knows it, and the page fits a laptop screen', async () => {
  const page = await openAddresses({ width: 1366, height: 768 });
  const q = '12号大街918号1幢1单元2603室';
  await page.fill('[data-testid=address-q]', q);
  await page.click('[data-testid=address-search]');
  await page.waitForSelector('[data-testid=address-list][data-state=done]');
  const expected = (await api('GET', `/api/v1/addresses?q=${encodeURIComponent(q)}&limit=100`)).json.items;
  const wanted = expected.find((a) => a.code === 'e2e-918-1-2603');
  assert.ok(wanted, `GET /api/v1/addresses?q=${q} finds the imported household`);
  const row = page.locator('[data-testid=address-list] tr[data-code="e2e-918-1-2603"]');
  await row.waitFor();
  assert.equal(await page.locator('[data-testid=address-list] tbody tr').count(), expected.length);
  assert.equal((await row.locator('td[data-part=canonical]').textContent()).trim(), wanted.canonical);
  assert.equal((await row.locator('td[data-part=room]').textContent()).trim(), wanted.room);
  assert.equal(await row.locator('.badge').textContent(), '层户');
  assert.match(page.url(), /q=/);
  // Typed at the gate, a household of the base is recognised as it (standard_address_id); the
  // standardiser's wide table scrolls inside its card, never the page.
  const typed = '钱塘下沙上沙社区十二号大街918号1栋1单元101';
  const household = (await allAddresses({ q: 'e2e-918-1-101' })).find((a) => a.code === 'e2e-918-1-101');
  const matched = (await api('POST', '/api/v1/addresses:standardize', { addresses: [typed] })).json.items[0];
  assert.equal(matched.standard_address_id, household.id);
  await page.fill('[data-testid=address-input]', typed);
  await page.click('[data-testid=standardize]');
  await page.waitForSelector('[data-testid=standardize-results][data-state=done]');
  const badge = page.locator('[data-testid=standardize-results] tr[data-row="0"] .badge.in-base');
  assert.match(await badge.textContent(), new RegExp(`#${household.id}$`));
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page wider than the window by ${overflow} px`);
  // A road typed by ear is corrected against the county's register of roads (街路巷), and the
  // clerk sees what was typed.
  const road = await api('POST', '/api/v1/addresses/imports', {
    format: 'csv',
    content: 'code,kind,address\ne2e-road-xy,road,浙江省杭州市钱塘区学源街\n',
  });
  assert.equal(road.status, 200, JSON.stringify(road.json));
  await page.fill('[data-testid=address-input]', '钱塘区学元街9号');
  await page.click('[data-testid=standardize]');
  await page.waitForSelector('[data-testid=standardize-results][data-state=done]');
  const roadCell = page.locator('[data-testid=standardize-results] tr[data-row="0"] td[data-part=road]');
  assert.match(await roadCell.textContent(), /^学源街/);
  assert.match(await roadCell.locator('[data-part=road-as-typed]').textContent(), /学元街/);
  await page.screenshot({ path: join(artifacts, 'addresses-laptop.png'), fullPage: true });
  await page.close();
});
