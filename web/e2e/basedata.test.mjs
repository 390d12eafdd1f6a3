// Browser tests of the base-data pages (三实): the overview's totals, streets, communities and
// sources against GET /api/v1/basedata/figures; a person searched by name and their file (golden
// fields with their sources, the records of every source, their houses) against
// GET /api/v1/people…; a house's occupants and a unit's people; an alert's link to its subject's
// file; the review queue, whose decision takes a pair off the list and is recorded by the server;
// English and a laptop screen.
//
//   ZHIZHI_BINARY=build/zhizhi node --test web/e2e/     (environment: helpers.mjs)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { apiOf, artifacts, launchBrowser, login, startDistrict } from './helpers.mjs';

let district;
let browser;
let api;

before(async () => {
  // --base-data-scale 0.002: about 2,000 people, 1,350 houses and 300 units, linked, in seconds.
  district = await startDistrict([
    '--projects', '4', '--persons', '100', '--history-days', '0', '--seed', '7', '--no-faces',
    '--base-data-scale', '0.002',
  ]);
  api = apiOf(district);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await district?.stop();
});

async function get(path) {
  const answer = await api('GET', path);
  assert.equal(answer.status, 200, `${path}: ${JSON.stringify(answer.json)}`);
  return answer.json;
}

const maskId = (id) => (id.length === 18 ? `${id.slice(0, 6)}********${id.slice(14)}` : id);
const ready = (page) => page.waitForSelector('main.page[data-ready="1"]', { timeout: 15000 });
const text = async (locator) => (await locator.textContent()).trim();
const numberOf = async (locator, attribute = 'data-value') => Number(await locator.getAttribute(attribute));

async function openBasedata(viewport = { width: 1920, height: 1080 }) {
  const page = await browser.newPage({ viewport });
  await login(page, district);
  await page.click('header.topbar nav a[href="/basedata"]');
  await page.waitForURL(/\/basedata$/);
  await ready(page);
  return page;
}

// Opens the file at `path` of the screen (a person's, a house's, a unit's) by its URL.
async function openFile(page, path) {
  await page.goto(district.base + path);
  await ready(page);
}

async function countsOf(row) {
  const out = {};
  for (const c of ['people', 'houses', 'units', 'alerts']) out[c] = await numberOf(row.locator(`td[data-field=${c}]`));
  return out;
}
const countsIn = (x) => ({ people: x.people, houses: x.houses, units: x.units, alerts: x.alerts });

test('the overview shows the totals, streets, communities and sources the API counts', async () => {
  const figures = await get('/api/v1/basedata/figures');
  assert.ok(figures.totals.people > 1000, `${figures.totals.people} people seeded`);
  const page = await openBasedata();
  assert.equal(await page.getAttribute('header.topbar nav a[href="/basedata"]', 'class'), 'active');
  for (const c of ['people', 'houses', 'units', 'alerts']) {
    assert.equal(await numberOf(page.locator(`[data-testid=bd-${c}] .value`)), figures.totals[c], `total ${c}`);
  }

  // One row a street, its counts the API's; a street opens to its communities.
  const streets = page.locator('.bd-streets tbody tr.street');
  assert.equal(await streets.count(), figures.streets.length);
  for (const s of figures.streets) {
    const row = page.locator(`.bd-streets tr.street[data-code="${s.code}"]`);
    assert.match(await row.textContent(), new RegExp(s.name));
    assert.deepEqual(await countsOf(row), countsIn(s), s.name);
  }
  assert.deepEqual(await countsOf(page.locator('.bd-streets tr[data-code=unplaced]')), countsIn(figures.unplaced));
  assert.deepEqual(await countsOf(page.locator('.bd-streets tfoot tr')), countsIn(figures.totals));
  const street = [...figures.streets].sort((a, b) => b.communities.length - a.communities.length)[0];
  const communityRows = page.locator(`.bd-streets tr.community[data-street="${street.code}"]`);
  assert.equal(await communityRows.count(), street.communities.length);
  assert.ok(!(await communityRows.first().isVisible()), 'the communities are folded at first');
  await page.click(`.bd-streets tr.street[data-code="${street.code}"] button.expand`);
  await communityRows.first().waitFor();
  for (const c of street.communities) {
    const row = page.locator(`.bd-streets tr.community[data-code="${c.code}"]`);
    assert.equal((await text(row.locator('td').first())), c.name);
    assert.deepEqual(await countsOf(row), countsIn(c), c.name);
  }

  // The live records of every source.
  assert.equal(await page.locator('.bd-sources tbody tr').count(), figures.sources.length);
  for (const s of figures.sources) {
    const cell = page.locator(`.bd-sources tr[data-source="${s.source}"][data-kind="${s.kind}"] td.num`);
    assert.equal(await numberOf(cell), s.records, `${s.source} ${s.kind}`);
  }
  // The base-data alerts by type, as the alerts module counts them.
  const alerts = await get('/api/v1/alerts?limit=1');
  for (const type of ['house_overcrowded', 'worker_not_in_population', 'unit_address_not_standard', 'person_two_residences']) {
    const li = page.locator(`.bd-alert-types li[data-type=${type}]`);
    assert.equal(await numberOf(li.locator('.num')), alerts.counts.by_type[type] ?? 0, type);
  }
  await page.screenshot({ path: join(artifacts, 'basedata.png'), fullPage: true });

  // A community searches its people; the list is the API's for that community.
  const community = street.communities.find((c) => c.people > 0);
  await page.click(`.bd-streets tr.community[data-code="${community.code}"] button`);
  await page.waitForFunction((code) => new URLSearchParams(location.search).get('village') === code, community.code);
  await page.waitForSelector('[data-testid=bd-search][data-state=done]');
  assert.match(await page.textContent('[data-testid=bd-village]'), new RegExp(community.name));
  const expected = await get(`/api/v1/people?village=${community.code}&limit=50`);
  assert.deepEqual(
    await page.locator('[data-testid=bd-results-table] tbody tr').evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.id))),
    expected.items.map((x) => x.id),
  );
  assert.equal(await page.locator('[data-testid=bd-more]').isVisible(), expected.next_cursor !== null);
  await page.close();
});

test('a person found by name opens their file: golden fields with their sources, every record, their house', async () => {
  // A person from the API's first page, one who lives in a house if one does.
  const sample = (await get('/api/v1/people?limit=5')).items;
  const files = await Promise.all(sample.map((p) => get(`/api/v1/people/${p.id}`)));
  const file = files.find((f) => f.houses.length > 0 && f.records.length > 1) ?? files.find((f) => f.houses.length > 0) ?? files[0];
  const name = file.fields.name.value;

  const page = await openBasedata();
  await page.fill('[data-testid=bd-q]', name);
  await page.click('[data-testid=bd-search-submit]');
  await page.waitForFunction((q) => new URLSearchParams(location.search).get('q') === q, name);
  await page.waitForSelector('[data-testid=bd-search][data-state=done]');
  const found = await get(`/api/v1/people?q=${encodeURIComponent(name)}&limit=50`);
  const rows = page.locator('[data-testid=bd-results-table] tbody tr');
  assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.id))), found.items.map((x) => x.id));
  const row = page.locator(`[data-testid=bd-results-table] tr[data-id="${file.id}"]`);
  assert.equal(await text(row.locator('td[data-field=name]')), name);
  assert.equal(await text(row.locator('td[data-field=id_number]')), maskId(file.fields.id_number.value), 'masked in the list');

  await row.locator('td[data-field=name] a').click();
  await page.waitForURL(new RegExp(`/people/${file.id}$`));
  await ready(page);
  assert.equal(await text(page.locator('[data-testid=entity-title]')), name);
  for (const [field, g] of Object.entries(file.fields)) {
    const dd = page.locator(`[data-testid=entity-golden] dd[data-field=${field}]`);
    assert.equal(await dd.locator('.source').getAttribute('data-source'), g.source, field);
    const agree = dd.locator('.badge.agree');
    assert.deepEqual([await numberOf(agree, 'data-agree'), await numberOf(agree, 'data-of')], [g.agree, g.of], field);
    assert.equal(await text(agree), `${g.agree}/${g.of}`);
  }
  assert.equal(await text(page.locator('[data-testid=entity-golden] dd[data-field=name] .golden-value')), name);
  // The ID number masked until revealed (the administrator has the pii right: sent in full).
  const idNumber = page.locator('[data-testid=entity-golden] dd[data-field=id_number] .golden-value');
  assert.equal(await text(idNumber), maskId(file.fields.id_number.value));
  await page.click('[data-testid=entity-golden] [data-testid=reveal]');
  assert.equal(await text(idNumber), file.fields.id_number.value);

  // Every source's record, in the API's order; the golden values marked where they came from.
  const records = page.locator('[data-testid=entity-records-table] tbody tr');
  assert.equal(await records.count(), file.records.length);
  assert.equal(await numberOf(page.locator('[data-testid=entity-record-count]')), file.records.length);
  assert.deepEqual(await records.evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.record))), file.records.map((r) => r.record_id));
  const source = file.records.findIndex((r) => r.source === file.fields.name.source && r.source_id === file.fields.name.source_id);
  assert.ok(source >= 0);
  assert.ok(await records.nth(source).locator('td[data-field=name]').evaluate((td) => td.classList.contains('golden')));
  assert.deepEqual(
    await page.locator('[data-testid=entity-houses-table] tbody tr').evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.id))),
    file.houses.map((x) => x.id),
  );
  await page.screenshot({ path: join(artifacts, 'basedata-person.png'), fullPage: true });

  // Their house lists them among its occupants.
  if (file.houses.length > 0) {
    const house = await get(`/api/v1/houses/${file.houses[0].id}`);
    await page.click(`[data-testid=entity-houses-table] tr[data-id="${house.id}"] td[data-field=address] a`);
    await page.waitForURL(new RegExp(`/houses/${house.id}$`));
    await ready(page);
    assert.equal(await text(page.locator('[data-testid=entity-title]')), house.fields.address.value);
    const occupants = page.locator('[data-testid=entity-occupants-table] tbody tr');
    assert.deepEqual(await occupants.evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.id))), house.occupants.map((x) => x.id));
    assert.equal(await text(page.locator(`[data-testid=entity-occupants-table] tr[data-id="${file.id}"] td[data-field=name]`)), name);
    assert.equal(await page.locator('[data-testid=entity-records-table] tbody tr').count(), house.records.length);
    // Each list's figure is the API's total, not the length of a list that stops at a limit.
    for (const key of ['occupants', 'units']) {
      assert.equal(await numberOf(page.locator(`[data-testid=entity-${key}] .count`)), house.link_counts[key], key);
    }
    if (house.fields.use) {
      const use = { own: '自住', rental: '出租', vacant: '空置', dormitory: '宿舍', business: '经营', other: '其他' }[house.fields.use.value];
      assert.equal(await text(page.locator('[data-testid=entity-golden] dd[data-field=use] .golden-value')), use);
    }
    await page.screenshot({ path: join(artifacts, 'basedata-house.png'), fullPage: true });
  }
  await page.close();
});

test("a unit's file lists the people who work there, each linked to their file", async () => {
  // The first unit with people, page by page.
  let unit = null;
  for (let cursor = ''; !unit && cursor !== null; ) {
    const units = await get(`/api/v1/units?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
    for (const u of units.items) {
      const file = await get(`/api/v1/units/${u.id}`);
      if (file.people.length > 0) {
        unit = file;
        break;
      }
    }
    cursor = units.next_cursor;
  }
  assert.ok(unit, 'a unit with people (the workforce registry links workers to their employer)');
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  await login(page, district);
  await openFile(page, `/units/${unit.id}`);
  assert.equal(await text(page.locator('[data-testid=entity-title]')), unit.fields.name.value);
  assert.equal(await text(page.locator('[data-testid=entity-golden] dd[data-field=uscc] .golden-value')), unit.fields.uscc.value);
  const people = page.locator('[data-testid=entity-people-table] tbody tr');
  assert.deepEqual(await people.evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.id))), unit.people.map((x) => x.id));
  const person = unit.people[0];
  await people.first().locator('td[data-field=name] a').click();
  await page.waitForURL(new RegExp(`/people/${person.id}$`));
  await ready(page);
  assert.equal(await text(page.locator('[data-testid=entity-title]')), person.name);
  const back = await get(`/api/v1/people/${person.id}`);
  assert.ok(back.units.some((u) => u.id === unit.id));
  assert.ok(await page.locator(`[data-testid=entity-units-table] tr[data-id="${unit.id}"]`).isVisible());
  // A file that does not exist says so.
  await openFile(page, '/houses/999999');
  await page.waitForSelector('[data-testid=entity-not-found]');
  await page.close();
});

test('a base-data alert links to the file of its subject', async () => {
  const alerts = (await get('/api/v1/alerts?type=person_two_residences&limit=100')).items;
  assert.ok(alerts.length > 0, 'the demo plants people at two residences');
  const alert = alerts[0];
  assert.equal(alert.subject_kind, 'base_person');
  const file = await get(`/api/v1/people/${alert.subject_id}`);
  assert.ok(file.houses.length >= 2, `${file.houses.length} houses`);
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  await login(page, district);
  await openFile(page, '/alerts?type=person_two_residences');
  await page.click(`tr[data-alert="${alert.id}"] a[href="/people/${alert.subject_id}"]`);
  await page.waitForURL(new RegExp(`/people/${alert.subject_id}$`));
  await ready(page);
  assert.equal(await text(page.locator('[data-testid=entity-title]')), file.fields.name.value);
  assert.deepEqual(
    await page.locator('[data-testid=entity-houses-table] tbody tr').evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.id))),
    file.houses.map((x) => x.id),
  );
  await page.close();
});

test('the review queue shows each pair with its field weights, and a decision takes the pair off the list', async () => {
  const reviews = await get('/api/v1/linkage/reviews?limit=50');
  const page = await openBasedata();
  await page.click('[data-testid=bd-reviews-link]');
  await page.waitForURL(/\/linkage\/reviews$/);
  await ready(page);
  const cards = page.locator('[data-testid=reviews] .review');
  assert.equal(await cards.count(), reviews.items.length);
  assert.equal(await numberOf(page.locator('[data-testid=reviews-count]')), reviews.items.length);
  if (reviews.items.length === 0) {
    await page.waitForSelector('[data-testid=reviews-empty]');
    await page.close();
    return;
  }
  const pair = reviews.items[0];
  // This pair's card (a locator of "the first card" would move on to the next pair).
  const first = page.locator(`[data-testid=reviews] .review[data-a="${pair.a.record_id}"][data-b="${pair.b.record_id}"]`);
  assert.equal(await cards.first().getAttribute('data-a'), String(pair.a.record_id));
  assert.equal(Number(await first.getAttribute('data-a')), pair.a.record_id);
  assert.equal(Number(await first.getAttribute('data-b')), pair.b.record_id);
  assert.equal(await numberOf(first.locator('[data-testid=review-weight]')), pair.weight);
  assert.equal(await numberOf(first.locator('[data-testid=review-probability]')), pair.probability);
  const fieldRows = first.locator('table.review-fields tbody tr');
  assert.deepEqual(
    await fieldRows.evaluateAll((trs) => trs.map((tr) => [tr.dataset.field, Number(tr.dataset.weight)])),
    pair.fields.map((f) => [f.field, f.weight]),
  );
  // Evidence for is a green bar, evidence against a red one.
  for (const [i, f] of pair.fields.entries()) {
    if (f.weight === 0) continue;
    const fill = fieldRows.nth(i).locator('.wbar-fill');
    assert.ok(await fill.evaluate((el, pos) => el.classList.contains(pos ? 'pos' : 'neg'), f.weight > 0), f.field);
    const colour = await fill.evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.equal(colour, f.weight > 0 ? 'rgb(53, 193, 139)' : 'rgb(255, 107, 91)', f.field);
  }
  const name = pair.a.fields.name;
  if (name) assert.equal(await text(fieldRows.nth(pair.fields.findIndex((f) => f.field === 'name')).locator('td[data-side=a]')), name);
  await page.screenshot({ path: join(artifacts, 'basedata-reviews.png'), fullPage: true });

  // 不是同一人: the server records it, the pair leaves the list and does not come back.
  await first.locator('[data-testid=review-note]').fill('e2e：证件号不同，非同一人');
  await first.locator('button[data-decision=different]').click();
  await first.waitFor({ state: 'detached', timeout: 15000 });
  assert.match(await page.textContent('[data-testid=reviews-status]'), /不是同一人/);
  const decisions = (await get('/api/v1/linkage/decisions')).items;
  const decision = decisions.find((d) => d.record_a === pair.a.record_id && d.record_b === pair.b.record_id);
  assert.ok(decision, JSON.stringify(decisions));
  assert.equal(decision.decision, 'different');
  assert.equal(decision.note, 'e2e：证件号不同，非同一人');
  assert.equal(decision.undone_at, null);
  assert.equal(await numberOf(page.locator('[data-testid=reviews-count]')), reviews.items.length - 1);
  await page.reload();
  await ready(page);
  await page.waitForSelector('[data-testid=reviews-card][data-state=done]');
  assert.equal(await page.locator(`[data-testid=reviews] .review[data-a="${pair.a.record_id}"][data-b="${pair.b.record_id}"]`).count(), 0);
  // The records of the pair are two people still.
  const [a, b] = await Promise.all([get(`/api/v1/people/${pair.a.entity_id}`), get(`/api/v1/people/${pair.b.entity_id}`)]);
  const entityOf = (file, record) => file.records.some((r) => r.record_id === record);
  assert.ok(!(entityOf(a, pair.a.record_id) && entityOf(a, pair.b.record_id)), 'not merged');
  assert.ok(!(entityOf(b, pair.a.record_id) && entityOf(b, pair.b.record_id)), 'not merged');
  await page.close();
});

test('the base-data pages speak English and fit a laptop screen', async () => {
  const page = await openBasedata({ width: 1366, height: 768 });
  let overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `/basedata wider than the window by ${overflow} px`);
  await page.click('[data-testid=lang]');
  await page.waitForFunction(() => document.querySelector('header.topbar nav a[href="/basedata"]')?.textContent === 'Base data');
  await ready(page);
  assert.equal(await text(page.locator('[data-testid=bd-people] .kpi-title')), 'People');
  await page.click('[data-testid=bd-kind-house]');
  await page.waitForSelector('[data-testid=bd-search][data-kind=house][data-state=done]');
  const houses = await get('/api/v1/houses?limit=50');
  assert.deepEqual(
    await page.locator('[data-testid=bd-results-table] tbody tr').evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.id))),
    houses.items.map((x) => x.id),
  );
  const person = (await get('/api/v1/people?limit=1')).items[0];
  await openFile(page, `/people/${person.id}`);
  assert.equal(await text(page.locator('[data-testid=entity-golden] .card-head h2')), 'Person file');
  overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `/people/${person.id} wider than the window by ${overflow} px`);
  await page.screenshot({ path: join(artifacts, 'basedata-laptop-en.png'), fullPage: true });
  await page.close();
});
