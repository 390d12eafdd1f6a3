// Browser tests of the resettlement-housing lottery's screens (docs/lottery.md): the public board
// follows a draw live in a browser that never logged in (the commitment before the draw, results
// arriving one by one, the secret and the seed at the end), the public list links to it, the
// printable notarial record lists every result with the notary's sign-off and prints without its
// navigation; and the operators' page: a draft made through the form, a CSV file refused with
// its problem by line, the four files imported, the commitment, then the notary logged in with
// name and password enters the entropy and signs the record off.
//
//   ZHIZHI_BINARY=build/zhizhi node --test web/e2e/lottery.test.mjs     (environment: helpers.mjs)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiOf, artifacts, launchBrowser, login, startDistrict } from './helpers.mjs';

const HOUSEHOLDS = 40;
const NOTARY = { name: 'notary.chen', password: 'Gongzheng-2026' };
const TITLE = '义蓬街道安置房第三批分房（测试）';

let district;
let browser;
let api;
let notaryToken;
let inputs; // a demo inputs document of 40 households
let drawn; // the draw of the first test: { id, commitment, record_hash }

before(async () => {
  district = await startDistrict([
    '--projects', '4', '--persons', '100', '--history-days', '0', '--seed', '11', '--no-faces',
    '--base-data-scale', '0',
  ]);
  api = apiOf(district);
  browser = await launchBrowser();
  // The inputs of `zhizhi lottery demo` (made-up households, flats, parking, farm-tool rooms).
  const dir = mkdtempSync(join(tmpdir(), 'zhizhi-lottery-'));
  try {
    execFileSync(process.env.ZHIZHI_BINARY, ['lottery', 'demo', '--households', String(HOUSEHOLDS), '--out', join(dir, 'record.json')], {
      stdio: 'ignore',
    });
    inputs = JSON.parse(readFileSync(join(dir, 'record.json'), 'utf8')).inputs;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // The notary: a user of their own role, logged in with name and password.
  const user = await api('POST', '/api/v1/users', { ...NOTARY, role: 'notary' });
  assert.equal(user.status, 201, JSON.stringify(user.json));
  const session = await api('POST', '/api/v1/sessions', NOTARY, '');
  assert.equal(session.status, 201, JSON.stringify(session.json));
  notaryToken = session.json.token;
});

after(async () => {
  await browser?.close();
  await district?.stop();
});

async function ok(answer, what, status = 200) {
  const { status: got, json } = await answer;
  assert.equal(got, status, `${what}: ${JSON.stringify(json)}`);
  return json;
}

// The public record as anyone gets it: no token.
async function publicRecord(id) {
  const response = await fetch(`${district.base}/api/v1/public/lotteries/${id}/record`);
  assert.equal(response.status, 200);
  return response.json();
}

const ready = (page) => page.waitForSelector('main[data-ready="1"]', { timeout: 15000 });
const attr = (page, selector, name) => page.getAttribute(selector, name);
const done = (page) => attr(page, '[data-testid=board-progress]', 'data-done').then(Number);
const text = async (locator) => (await locator.textContent()).trim();

test('the public board follows a draw live without logging in, and ends with the secret and the seed', async () => {
  const created = await ok(api('POST', '/api/v1/lotteries', { title: TITLE, interval_ms: 300 }), 'create', 201);
  const id = created.id;
  await ok(api('PUT', `/api/v1/lotteries/${id}/inputs`, { inputs: { ...inputs, title: TITLE } }), 'inputs');
  const committed = await ok(api('POST', `/api/v1/lotteries/${id}/commit`), 'commit');
  assert.equal(committed.status, 'committed');

  // A browser that never logged in: no token anywhere. The form docs print, /#/…, works too.
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  const page = await context.newPage();
  await page.goto(`${district.base}/#/lottery-board/${id}`);
  await page.waitForURL(new RegExp(`/lottery-board/${id}$`));
  await page.waitForSelector('[data-testid=board][data-status=committed]');
  assert.deepEqual(await page.evaluate(() => [sessionStorage.getItem('zhizhi.token'), localStorage.getItem('zhizhi.token')]), [null, null]);
  assert.equal(await text(page.locator('[data-testid=board-title]')), TITLE);
  assert.equal(await text(page.locator('[data-testid=board-status]')), '待抽签');
  assert.equal(await attr(page, '[data-testid=board-commitment]', 'data-value'), committed.commitment);
  assert.equal(await text(page.locator('[data-testid=board-commitment]')), committed.commitment, 'the blocks read as the hash');
  assert.equal(await attr(page, '[data-testid=board-inputs-hash]', 'data-value'), committed.inputs_hash);
  const counts = { households: HOUSEHOLDS, flat: inputs.pools.flat.length, parking: inputs.pools.parking.length, farm_room: inputs.pools.farm_room.length };
  for (const [key, n] of Object.entries(counts)) {
    assert.equal(Number(await attr(page, `[data-testid=board-count-${key}] .lb-count-value`, 'data-value')), n, key);
  }
  assert.deepEqual(
    await page.locator('[data-testid=board-rules] li').evaluateAll((lis) => lis.map((li) => li.dataset.tag)),
    [...inputs.rules].sort((a, b) => b.tier - a.tier).map((r) => r.tag),
  );
  for (const rule of inputs.rules) assert.match(await text(page.locator('[data-testid=board-rules]')), new RegExp(rule.name));
  assert.equal(await attr(page, '[data-testid=board-secret]', 'data-value'), '', 'no secret before the draw');
  assert.equal(await attr(page, '[data-testid=board-entropy]', 'data-value'), '');
  await page.screenshot({ path: join(artifacts, 'lottery-board-before.png') });

  // Only the notary may enter the entropy; it starts the draw.
  const entropy = '07 23 41 15 09 33';
  const refused = await api('POST', `/api/v1/lotteries/${id}/draw`, { entropy });
  assert.equal(refused.status, 403, 'not even a district admin');
  await ok(api('POST', `/api/v1/lotteries/${id}/draw`, { entropy }, notaryToken), 'draw');
  await page.waitForSelector('[data-testid=board][data-status=drawing]', { timeout: 10000 });
  await page.waitForSelector(`[data-testid=board-entropy][data-value="${entropy}"]`);

  // The results arrive one by one while the draw runs: the progress grows, the household on show changes.
  await page.waitForFunction(
    (total) => {
      const n = Number(document.querySelector('[data-testid=board-progress]')?.dataset.done);
      return n >= 1 && n < total;
    },
    HOUSEHOLDS,
    { timeout: 10000 },
  );
  const first = await done(page);
  const firstHousehold = await attr(page, '[data-testid=board-current]', 'data-household');
  assert.ok(firstHousehold, 'a household is on show');
  assert.equal(await text(page.locator('[data-testid=board-current-household]')), firstHousehold);
  assert.equal(await page.locator('[data-testid=board-results] tbody tr').count(), first);
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid=board-progress]').dataset.done) > n, first, { timeout: 10000 });
  await page.waitForFunction(
    (h) => {
      const el = document.querySelector('[data-testid=board-current]');
      return el.dataset.household && el.dataset.household !== h;
    },
    firstHousehold,
    { timeout: 10000 },
  );
  const during = await done(page);
  assert.ok(during > first, `${during} > ${first}`);
  await page.screenshot({ path: join(artifacts, 'lottery-board-drawing.png') });

  // The end: 抽签结束, the secret and the seed as the record reveals them, every result, how to verify.
  await page.waitForSelector('[data-testid=board][data-status=drawn]', { timeout: 60000 });
  await page.waitForSelector('[data-testid=board-secret]:not([data-value=""])', { timeout: 15000 });
  const record = await publicRecord(id);
  assert.equal(record.status, 'drawn');
  assert.match(await text(page.locator('[data-testid=board-status]')), /抽签结束/);
  assert.match(await text(page.locator('[data-testid=board-ended]')), /抽签结束/);
  assert.equal(await attr(page, '[data-testid=board-secret]', 'data-value'), record.seed.secret);
  assert.equal(await attr(page, '[data-testid=board-seed]', 'data-value'), record.seed.value);
  assert.equal(await done(page), HOUSEHOLDS);
  assert.equal(await attr(page, '[data-testid=board-progress]', 'data-total'), String(HOUSEHOLDS));
  const rows = page.locator('[data-testid=board-results] tbody tr');
  assert.equal(await rows.count(), HOUSEHOLDS);
  // Newest on top: read bottom-up, the rows are the record's results in order.
  assert.deepEqual(
    (await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.household))).reverse(),
    record.results.map((r) => r.household),
  );
  const last = record.results[HOUSEHOLDS - 1];
  assert.equal(await attr(page, '[data-testid=board-results] tbody tr:first-child', 'data-order'), String(HOUSEHOLDS));
  assert.match(await text(rows.first()), new RegExp(last.household));
  assert.equal(await attr(page, '[data-testid=board-download]', 'href'), `/api/v1/public/lotteries/${id}/record`);
  const verify = await text(page.locator('[data-testid=board-verify]'));
  assert.match(verify, /node tools\/lottery-verify\.mjs/);
  assert.match(verify, /zhizhi lottery verify/);
  await page.screenshot({ path: join(artifacts, 'lottery-board-end.png') });

  // The record the board links to verifies with the reference implementation.
  const dir = mkdtempSync(join(tmpdir(), 'zhizhi-lottery-'));
  try {
    const file = join(dir, 'record.json');
    const response = await page.request.get(`${district.base}/api/v1/public/lotteries/${id}/record`);
    assert.equal(response.status(), 200);
    writeFileSync(file, await response.body());
    const out = execFileSync(process.env.ZHIZHI_BINARY, ['lottery', 'verify', file], { encoding: 'utf8' });
    assert.match(out, /verified/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // The notary signs off; the board, still polling, says so.
  const signed = await ok(api('POST', `/api/v1/lotteries/${id}/sign`, { statement: '经核对，抽签过程公开、公正，结果与记录一致。' }, notaryToken), 'sign');
  assert.equal(signed.status, 'signed');
  await page.waitForSelector('[data-testid=board-signed]', { timeout: 20000 });
  assert.match(await text(page.locator('[data-testid=board-signed]')), new RegExp(NOTARY.name.replace('.', '\\.')));
  drawn = { id, commitment: committed.commitment, record_hash: signed.notary.record_hash };

  // The public list links to the board; a page that needs the log-in still needs it.
  await page.goto(`${district.base}/lottery-board`);
  await ready(page);
  const item = page.locator(`[data-testid=public-lotteries] tr[data-id="${id}"]`);
  assert.equal(await item.getAttribute('data-status'), 'signed');
  assert.match(await text(item), new RegExp(TITLE.replace(/[（）]/g, '.')));
  await item.locator(`a[href="/lottery-board/${id}"]`).click();
  await page.waitForURL(new RegExp(`/lottery-board/${id}$`));
  await page.waitForSelector('[data-testid=board][data-status=signed]');
  await page.goto(`${district.base}/lotteries`);
  await page.waitForURL(/\/login\?next=/);
  await context.close();
});

test('the notarial record lists every result and the notary, and prints without its navigation', async () => {
  assert.ok(drawn, 'the draw of the first test');
  const { id } = drawn;
  const record = await publicRecord(id);
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${district.base}/lottery-record/${id}`);
  await ready(page);
  await page.waitForSelector('[data-testid=record][data-status=signed]');
  assert.equal(await text(page.locator('[data-testid=record-title]')), TITLE);
  assert.equal(await attr(page, '[data-testid=record-commitment-value]', 'data-value'), drawn.commitment);
  assert.equal(await attr(page, '[data-testid=record-inputs-hash-value]', 'data-value'), record.inputs_hash);
  assert.equal(await attr(page, '[data-testid=record-secret-value]', 'data-value'), record.seed.secret);
  assert.equal(await attr(page, '[data-testid=record-seed-value]', 'data-value'), record.seed.value);
  assert.equal(await text(page.locator('[data-testid=record-entropy]')), record.seed.entropy);
  assert.match(await text(page.locator('[data-testid=record-algorithm]')), /zhizhi-lottery 第 1 版/);
  assert.equal(await text(page.locator('[data-testid=record-notary-name]')), NOTARY.name);
  assert.equal(await text(page.locator('[data-testid=record-statement]')), record.notary.statement);
  assert.equal(await attr(page, '[data-testid=record-hash-value]', 'data-value'), drawn.record_hash);
  const rows = page.locator('[data-testid=record-results] tbody tr');
  assert.equal(await rows.count(), HOUSEHOLDS);
  assert.equal(Number(await attr(page, '[data-testid=record-count]', 'data-value')), HOUSEHOLDS);
  assert.deepEqual(
    await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.household)),
    record.results.map((r) => r.household),
  );
  // A row: order, household, its masked head, flats, parking, farm-tool rooms.
  const r = record.results[0];
  const cells = await rows.first().locator('td').evaluateAll((tds) => tds.map((td) => td.textContent));
  const list = (items) => (items.length ? items.join('、') : '—');
  assert.deepEqual(cells, ['1', r.household, inputs.households.find((x) => x.id === r.household).name, list(r.flat), list(r.parking), list(r.farm_room)]);
  await page.screenshot({ path: join(artifacts, 'lottery-record.png'), fullPage: true });

  // On screen: the navigation and the print button; in print: neither, the record and its table.
  assert.ok(await page.locator('[data-testid=record-print]').isVisible());
  assert.ok(await page.locator('[data-testid=record-toolbar]').isVisible());
  await page.emulateMedia({ media: 'print' });
  assert.ok(!(await page.locator('[data-testid=record-print]').isVisible()), 'no print button in print');
  assert.ok(!(await page.locator('[data-testid=record-toolbar]').isVisible()), 'no navigation in print');
  assert.ok(await page.locator('[data-testid=record-results]').isVisible());
  assert.ok(await page.locator('[data-testid=record-notary-name]').isVisible());
  assert.equal(await page.locator('[data-testid=record-results] thead').evaluate((el) => getComputedStyle(el).display), 'table-header-group');
  assert.equal(await rows.first().evaluate((el) => getComputedStyle(el).breakInside), 'avoid');
  await page.screenshot({ path: join(artifacts, 'lottery-record-print.png'), fullPage: true });
  await page.pdf({ path: join(artifacts, 'lottery-record.pdf'), preferCSSPageSize: true });
  await page.emulateMedia({ media: 'screen' });
  await context.close();
});

test('operators make a draft and import its files on their page; the notary starts the draw and signs off', async () => {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  await login(page, district);
  await page.click('header.topbar nav a[href="/lotteries"]');
  await page.waitForURL(/\/lotteries$/);
  await ready(page);

  // A draft through the form: its title, no pause between results, the first demo rule.
  await page.fill('[data-testid=lottery-new-title]', '前进街道安置房分房（界面测试）');
  await page.fill('[data-testid=lottery-new-interval]', '0');
  await page.check('[data-testid=lottery-new-preset-disabled]');
  await page.click('[data-testid=lottery-new-submit]');
  await page.waitForSelector('[data-testid=lottery-detail][data-status=draft]');
  const id = Number(await attr(page, '[data-testid=lottery-detail]', 'data-id'));
  assert.match(await text(page.locator('[data-testid=lottery-message]')), new RegExp(`#${id}`));
  const draft = await ok(api('GET', `/api/v1/lotteries/${id}`), 'draft');
  assert.equal(draft.title, '前进街道安置房分房（界面测试）');
  assert.equal(draft.interval_ms, 0);
  assert.deepEqual(draft.rules.map((r) => r.tag), ['disabled']);
  // The list reloads after the draft is made (the demo's two draws are in it too).
  await page.waitForSelector(`[data-testid=lotteries-list] tr[data-id="${id}"]`, { timeout: 10000 });
  assert.ok((await page.locator('[data-testid=lottery-draft-problems] li').count()) > 0, 'an empty draft cannot be committed');

  // A households file with a bad row is refused whole; its problem is shown with its line.
  const csv = (name, text) => ({ name, mimeType: 'text/csv', buffer: Buffer.from(text) });
  await page.setInputFiles(
    '[data-testid=lottery-file-households]',
    csv('households.csv', '户号,户主,房型,车位,农具间\nH01,张三丰,A,1,0\nH02,李四,B,x,0\n'),
  );
  await page.waitForSelector('[data-testid=lottery-upload-households][data-state=failed]');
  const problem = page.locator('[data-testid=lottery-problems-households] tr[data-line="3"]');
  assert.equal(await problem.getAttribute('data-field'), 'parking');
  assert.match(await text(problem), /3\s*parking.*x/);
  assert.match(await text(page.locator('[data-testid=lottery-upload-households]')), /households\.csv/);
  assert.equal((await ok(api('GET', `/api/v1/lotteries/${id}`), 'draft')).counts.households, 0, 'nothing was taken');
  await page.screenshot({ path: join(artifacts, 'lottery-operators-problem.png'), fullPage: true });

  // The four files, right: each counted; then nothing keeps the draft from its commitment.
  const files = {
    households: '户号,户主,房型,车位,农具间,标签\nH01,张三丰,A,1,0,disabled\nH02,李四,B,0,1,\nH03,王五,A;B,1,1,\n',
    flat: '房号,房型,楼层,幢,单元,室,面积\n1-1-0101,A,1,1幢,1,101,89.56\n1-1-0501,A,5,1幢,1,501,89.56\n1-1-0202,B,2,1幢,1,202,119.80\n1-1-0602,B,6,1幢,1,602,119.80\n',
    parking: 'id,location\nP-01,地下一层\nP-02,地下一层\n',
    farm_room: '编号\nN-01\nN-02\n',
  };
  const rows = { households: 3, flat: 4, parking: 2, farm_room: 2 };
  for (const [part, content] of Object.entries(files)) {
    await page.setInputFiles(`[data-testid=lottery-file-${part}]`, csv(`${part}.csv`, content));
    await page.waitForSelector(`[data-testid=lottery-upload-${part}][data-state=ok]`);
    assert.match(await text(page.locator(`[data-testid=lottery-upload-${part}]`)), new RegExp(`现有 ${rows[part]} 条`));
  }
  assert.equal(await page.locator('[data-testid=lottery-problems-households] tr').count(), 0, 'the old problems are gone');
  await page.waitForSelector('[data-testid=lottery-ready]');
  const full = await ok(api('GET', `/api/v1/lotteries/${id}`), 'draft');
  assert.deepEqual(full.counts, { households: 3, flat: 4, parking: 2, farm_room: 2 });
  assert.deepEqual(full.problems, []);
  assert.equal(await text(page.locator('[data-testid=lottery-counts]')), '3 / 4 / 2 / 2');

  // The commitment; the administrator may not enter the entropy, so the page does not offer it.
  await page.click('[data-testid=lottery-commit]');
  await page.waitForSelector('[data-testid=lottery-detail][data-status=committed]');
  const committed = await ok(api('GET', `/api/v1/lotteries/${id}`), 'committed');
  assert.equal(await attr(page, '[data-testid=lottery-commitment-value]', 'data-value'), committed.commitment);
  assert.equal(await page.locator('[data-testid=lottery-entropy]').count(), 0);
  assert.equal(await page.locator('[data-testid=lottery-board-link]').getAttribute('href'), `/lottery-board/${id}`);
  await page.screenshot({ path: join(artifacts, 'lottery-operators.png'), fullPage: true });
  await page.close();

  // The notary logs in with name and password and lands on the lotteries (no site figures for them).
  const notary = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  await notary.goto(district.base + '/');
  await notary.waitForURL(/\/login/);
  await notary.fill('[data-testid=login-name]', NOTARY.name);
  await notary.fill('[data-testid=login-password]', NOTARY.password);
  await notary.click('[data-testid=login-submit]');
  await notary.waitForURL(/\/lotteries$/, { timeout: 15000 });
  await ready(notary);
  assert.ok(await notary.locator('header.topbar nav a[href="/lotteries"]').isVisible());
  assert.ok(!(await notary.locator('header.topbar nav a[href="/"]').isVisible()), 'no overview for a notary');
  assert.equal(await notary.locator('[data-testid=lottery-new]').isVisible(), false, 'a notary makes no drafts');
  await notary.click(`[data-testid=lotteries-list] tr[data-id="${id}"] a`);
  await notary.waitForSelector(`[data-testid=lottery-detail][data-id="${id}"][data-status=committed]`);
  await notary.fill('[data-testid=lottery-entropy]', '12 05 33 41 08 27');
  await notary.click('[data-testid=lottery-start]');
  await notary.waitForSelector('[data-testid=lottery-detail][data-status=drawn]', { timeout: 20000 });
  assert.equal(await text(notary.locator('[data-testid=lottery-entropy-value]')), '12 05 33 41 08 27');
  await notary.fill('[data-testid=lottery-statement]', '经核对，抽签过程公开、公正。');
  await notary.click('[data-testid=lottery-sign]');
  await notary.waitForSelector('[data-testid=lottery-detail][data-status=signed]');
  assert.match(await text(notary.locator('[data-testid=lottery-notary]')), new RegExp(NOTARY.name.replace('.', '\\.')));
  const signed = await ok(api('GET', `/api/v1/lotteries/${id}`), 'signed');
  assert.equal(signed.notary.name, NOTARY.name);
  assert.equal(signed.notary.statement, '经核对，抽签过程公开、公正。');
  const record = await publicRecord(id);
  assert.equal(record.seed.entropy, '12 05 33 41 08 27');
  assert.equal(record.results.length, 3);
  assert.equal(record.inputs.households.find((x) => x.id === 'H01').name, '张*丰', 'names are masked on import');
  await notary.screenshot({ path: join(artifacts, 'lottery-notary.png'), fullPage: true });
  await notary.close();
});
