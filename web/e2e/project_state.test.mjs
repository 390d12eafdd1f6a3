// Browser test of a project's status on its page (PATCH /api/v1/projects/{code}): a district
// admin suspends an active project from a given day, a day in the future is refused with the
// API's message, the project completes, and a completed project offers no further change.
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
  district = await startDistrict([
    '--projects', '4', '--persons', '100', '--history-days', '0', '--seed', '5', '--no-faces',
    '--base-data-scale', '0', '--lottery-households', '0',
  ]);
  api = apiOf(district);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await district?.stop();
});

const ready = (page) => page.waitForSelector('main.page[data-ready="1"]', { timeout: 15000 });

// China dates, as the server counts them.
const chinaDay = (offsetDays) => new Date(Date.now() + 8 * 3600e3 + offsetDays * 86400e3).toISOString().slice(0, 10);

test('a district admin suspends and completes a project on its page; the page shows what the API keeps', async () => {
  const projects = await api('GET', '/api/v1/projects?status=active');
  assert.equal(projects.status, 200);
  const project = projects.json.items.find((p) => !p.start_date || p.start_date <= chinaDay(-3));
  assert.ok(project, 'an active project that started at least three days ago');
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  await login(page, district);
  await page.goto(`${district.base}/projects/${encodeURIComponent(project.code)}`);
  await ready(page);
  const status = page.locator('[data-testid=project-status]');
  await page.waitForSelector('[data-testid=project-status-form]');
  assert.equal(await status.getAttribute('data-status'), 'active');
  const options = await page.locator('[data-testid=project-next-status] option').evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(options, ['suspended', 'completed']);

  // A day in the future: the API refuses, the page says why, nothing changes.
  await page.selectOption('[data-testid=project-next-status]', 'suspended');
  await page.evaluate((day) => {
    const input = document.querySelector('[data-testid=project-status-day]');
    input.removeAttribute('max');
    input.value = day;
  }, chinaDay(2));
  await page.click('[data-testid=project-status-submit]');
  await page.waitForFunction(() => document.querySelector('[data-testid=project-status-error]')?.textContent?.length > 0);
  assert.match(await page.textContent('[data-testid=project-status-error]'), /future/);
  assert.equal((await api('GET', `/api/v1/projects/${encodeURIComponent(project.code)}`)).json.status, 'active');

  // Suspended two days ago.
  await page.fill('[data-testid=project-status-day]', chinaDay(-2));
  await page.click('[data-testid=project-status-submit]');
  await page.waitForSelector('[data-testid=project-status][data-status=suspended]');
  assert.match(await status.textContent(), new RegExp(chinaDay(-2)));
  const suspended = (await api('GET', `/api/v1/projects/${encodeURIComponent(project.code)}`)).json;
  assert.equal(suspended.status, 'suspended');
  assert.equal(suspended.suspended_on, chinaDay(-2));

  // Completed yesterday: no further change is offered.
  await page.selectOption('[data-testid=project-next-status]', 'completed');
  await page.fill('[data-testid=project-status-day]', chinaDay(-1));
  await page.click('[data-testid=project-status-submit]');
  await page.waitForSelector('[data-testid=project-status][data-status=completed]');
  assert.equal(await page.locator('[data-testid=project-status-form]').count(), 0);
  const completed = (await api('GET', `/api/v1/projects/${encodeURIComponent(project.code)}`)).json;
  assert.equal(completed.completed_on, chinaDay(-1));
  await page.screenshot({ path: join(artifacts, 'project-state.png') });
  await page.close();
});
