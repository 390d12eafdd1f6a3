// Command screen benchmark: the district overview's first render and the API calls behind it,
// against a running zhizhi server with the demo district (scripts/bench step 5).
//
//   node bench/screen_overview.mjs http://127.0.0.1:PORT DATA_DIR [RUNS]
//
// 1. Each API call the overview makes, 30 times one after the other on a warm server: median,
//    p95 and max of the whole exchange (fetch on loopback).
// 2. The overview in Debian's Chromium (playwright-core), RUNS fresh pages: from navigation
//    start to the page marked ready (every number, chart, list drawn), and the longest API
//    request of that load (Resource Timing).
// Prints a Markdown table. Bounded: RUNS (default 5) page loads, 30 × 9 requests.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(join(process.cwd(), 'web', 'package.json'));
const { chromium } = require('playwright-core');

const [base, data, runsArg] = process.argv.slice(2);
if (!base || !data) {
  console.error('usage: node bench/screen_overview.mjs http://127.0.0.1:PORT DATA_DIR [RUNS]');
  process.exit(2);
}
if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\]):\d+$/.test(base)) {
  console.error('loopback only');
  process.exit(2);
}
const runs = Number(runsArg ?? 5);
const token = readFileSync(join(data, 'admin.token'), 'utf8').trim();
const today = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);

const calls = [
  '/api/v1/stats/overview',
  '/api/v1/onsite',
  '/api/v1/projects?limit=1000',
  `/api/v1/stats/passes?date=${today}`,
  '/api/v1/stats/daily?days=30',
  '/api/v1/gate/events?decision=deny&limit=14',
  '/api/v1/alerts?status=active&limit=8',
  '/api/v1/residence-registrations?status=draft&limit=1000',
];

const q = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
console.log('| API call (30 sequential requests, warm) | status | median ms | p95 ms | max ms | bytes |');
console.log('|---|---|---|---|---|---|');
for (const path of calls) {
  const times = [];
  let status = 0;
  let bytes = 0;
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    const r = await fetch(base + path, { headers: { Authorization: `Bearer ${token}` } });
    const body = await r.arrayBuffer();
    times.push(performance.now() - t0);
    status = r.status;
    bytes = body.byteLength;
  }
  times.sort((a, b) => a - b);
  console.log(
    `| \`GET ${path}\` | ${status} | ${q(times, 0.5).toFixed(1)} | ${q(times, 0.95).toFixed(1)} | ${times.at(-1).toFixed(1)} | ${bytes} |`,
  );
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
const renders = [];
const slowest = [];
for (let i = 0; i < runs; i++) {
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  await context.addInitScript((t) => sessionStorage.setItem('zhizhi.token', t), token);
  const page = await context.newPage();
  const t0 = Date.now();
  await page.goto(base + '/');
  await page.waitForSelector('main.page[data-ready="1"]', { timeout: 30000 });
  const elapsed = await page.evaluate(() => performance.now());
  renders.push(elapsed);
  const api = await page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .filter((e) => e.name.includes('/api/v1/'))
      .map((e) => ({ name: e.name.replace(/^https?:\/\/[^/]+/, ''), duration: e.duration, wait: e.responseStart - e.requestStart, queued: e.requestStart - e.startTime })),
  );
  const worst = api.reduce((a, b) => (b.duration > a.duration ? b : a), api[0]);
  slowest.push(worst.duration);
  if (process.env.VERBOSE) console.error(JSON.stringify(api));
  void t0;
  await context.close();
}
await browser.close();
renders.sort((a, b) => a - b);
slowest.sort((a, b) => a - b);
console.log('');
console.log(`| overview in Chromium, ${runs} fresh loads at 1920×1080 | median ms | max ms |`);
console.log('|---|---|---|');
console.log(`| navigation start → every number, chart and list drawn | ${q(renders, 0.5).toFixed(0)} | ${renders.at(-1).toFixed(0)} |`);
console.log(`| slowest API request of the load (Resource Timing) | ${q(slowest, 0.5).toFixed(1)} | ${slowest.at(-1).toFixed(1)} |`);
