// What the browser tests share: a seeded demo district (or a plain server without the demo)
// served by the real zhizhi binary on a free loopback port (serving web/dist), Debian's Chromium
// through playwright-core, the API as the administrator, and the log-in with the administrator
// token or a user's name and password.
//
// Environment: ZHIZHI_BINARY (required), ZHIZHI_WEB_DIST (default web/dist), CHROMIUM (default
// /usr/bin/chromium), ZHIZHI_ARTIFACTS (screenshots; default build/artifacts).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, mkdirSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const binary = process.env.ZHIZHI_BINARY;
const dist = process.env.ZHIZHI_WEB_DIST ?? join(repo, 'web', 'dist');
const browserPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const artifacts = process.env.ZHIZHI_ARTIFACTS ?? join(repo, 'build', 'artifacts');

function need(condition, what) {
  if (!condition) throw new Error(`prerequisite missing: ${what}`);
}

// Seeds a demo district (`zhizhi demo` with `demoArgs`) into a fresh data directory and serves
// it. Answers { base, token, devices, stop() }; stop() ends the server and removes the data.
// With `police` (as scripts/run does): the reference police receiver runs on the demo's
// DATA/police.json (pass `--police-port` to the demo) with `--reject-every police.rejectEvery`,
// and serve sends the registrations to it.
export async function startDistrict(demoArgs, { police } = {}) {
  need(binary && existsSync(binary), 'ZHIZHI_BINARY (the zhizhi binary)');
  need(existsSync(join(dist, 'index.html')), `${dist}/index.html (npm run build in web/)`);
  need(existsSync(browserPath), `${browserPath} (apt install chromium)`);
  mkdirSync(artifacts, { recursive: true });
  const data = mkdtempSync(join(tmpdir(), 'zhizhi-screen-'));
  let server;
  let receiver;
  const stop = async () => {
    for (const child of [server, receiver]) {
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    }
    rmSync(data, { recursive: true, force: true });
  };
  try {
    // A hundredth of the seed's IoT records unless the test asks (the full 580 K take seconds).
    const iot = demoArgs.includes('--iot-scale') ? [] : ['--iot-scale', '0.01'];
    execFileSync(binary, ['demo', '--data', data, ...demoArgs, ...iot, '--quiet'], { stdio: 'inherit' });
    const token = readFileSync(join(data, 'admin.token'), 'utf8').trim();
    const devices = JSON.parse(readFileSync(join(data, 'demo-devices.json'), 'utf8')).devices;
    const serveArgs = ['serve', '--data', data, '--port', '0', '--web', dist, '--log-level', 'info'];
    if (police) {
      const config = join(data, 'police.json');
      receiver = spawn(binary, ['police-endpoint', '--config', config, '--reject-every', String(police.rejectEvery ?? 0)], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      await new Promise((resolveListening, reject) => {
        let log = '';
        let listening = false;
        const timer = setTimeout(() => reject(new Error(`police receiver did not start:\n${log}`)), 10000);
        receiver.stderr.on('data', (chunk) => {
          if (listening) return; // drained, not kept: it logs every message
          log += chunk;
          if (log.includes('event=police_endpoint_listening')) {
            listening = true;
            clearTimeout(timer);
            resolveListening();
          }
        });
        receiver.on('exit', (code) => reject(new Error(`police receiver exited ${code}:\n${log}`)));
      });
      serveArgs.push('--police-config', config);
    }
    server = spawn(binary, serveArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    const port = await listeningPort(server);
    return { base: `http://127.0.0.1:${port}`, token, devices, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

// The port `server` (a spawned `zhizhi serve --port 0`) says it listens on.
function listeningPort(server) {
  let serverLog = '';
  return new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${serverLog}`)), 20000);
    const onData = (chunk) => {
      serverLog += chunk;
      const m = serverLog.match(/event=listening address=http:\/\/[^:]+:(\d+)/);
      if (m) {
        clearTimeout(timer);
        resolvePort(Number(m[1]));
      }
    };
    server.stdout.on('data', onData);
    server.stderr.on('data', onData);
    server.on('exit', (code) => reject(new Error(`server exited ${code}:\n${serverLog}`)));
  });
}

// A plain server without the demo: `zhizhi serve` on a fresh data directory, without faces
// (`extraArgs` appended). Answers { base, token, data, stop() } like startDistrict; token is the
// administrator token the server writes to DATA/admin.token on its first start.
export async function startServer(extraArgs = []) {
  need(binary && existsSync(binary), 'ZHIZHI_BINARY (the zhizhi binary)');
  need(existsSync(join(dist, 'index.html')), `${dist}/index.html (npm run build in web/)`);
  need(existsSync(browserPath), `${browserPath} (apt install chromium)`);
  mkdirSync(artifacts, { recursive: true });
  const data = mkdtempSync(join(tmpdir(), 'zhizhi-plain-'));
  let server;
  const stop = async () => {
    if (server && server.exitCode === null && server.signalCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
    rmSync(data, { recursive: true, force: true });
  };
  try {
    server = spawn(binary, ['serve', '--data', data, '--port', '0', '--web', dist, '--no-faces', '--log-level', 'info', ...extraArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const port = await listeningPort(server);
    const token = readFileSync(join(data, 'admin.token'), 'utf8').trim();
    return { base: `http://127.0.0.1:${port}`, token, data, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: browserPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}

// The API of `district` as the administrator (or as `auth`): { status, json }.
export function apiOf(district) {
  return async (method, path, body, auth = district.token) => {
    const response = await fetch(district.base + path, {
      method,
      headers: { Authorization: `Bearer ${auth}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : null };
  };
}

// Logs `page` in with the administrator token; it lands on the overview.
export async function login(page, district) {
  await page.goto(district.base + '/');
  await page.waitForURL(/\/login/);
  await page.locator('details.token-box summary').click();
  await page.fill('[data-testid=login-token]', district.token);
  await page.click('[data-testid=login-submit]');
  await page.waitForSelector('main.page[data-ready="1"]', { timeout: 15000 });
}

// Logs `page` in on the screen's log-in page with a user's name and password; it leaves the
// log-in page for the start page of the user's role.
export async function loginAs(page, district, name, password) {
  await page.goto(district.base + '/login');
  await page.fill('[data-testid=login-name]', name);
  await page.fill('[data-testid=login-password]', password);
  await page.click('[data-testid=login-submit]');
  await page.waitForURL((url) => !url.pathname.startsWith('/login'), { timeout: 15000 });
}

// Polls `check` (async, truthy when done) every `every` ms until `ms` have passed; answers its
// last value, or throws saying `what` did not happen.
export async function until(check, what, ms = 15000, every = 250) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

// A free loopback port (for a child that needs its port before it starts).
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}
