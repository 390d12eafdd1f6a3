#!/usr/bin/env node
// Scores `zhizhi address standardize` (and, with --address-parse, the npm package address-parse)
// on a labelled set made by generate.mjs. See README.md.
//
//   node bench/address/evaluate.mjs --set FILE --zhizhi BINARY [--threads N] [--address-parse]
//                                   [--roads FILE] [--json FILE] [--show-errors [N]] [--startup-runs N]
//
// With --roads (a register of roads written by roads.mjs) the register is imported into a
// throw-away data directory (`zhizhi address import`) and the binary runs with `--data` on it, as an
// address office runs it: roads typed one character off a registered road are corrected.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { COMPONENTS, FIELDS, LEVELS, cityShort, countyShort, loadGazetteer, provinceShort } from './gazetteer.mjs';

const USAGE = 'usage: node evaluate.mjs --set FILE [--zhizhi BINARY] [--threads N] [--address-parse] '
  + '[--roads FILE] [--json FILE] [--show-errors [N]] [--startup-runs N] [--min FIELD[/-KIND]=RATE ...]';

function parseArgs(argv) {
  const o = { set: null, zhizhi: null, threads: 1, addressParse: false, roads: null, data: null, json: null, showErrors: 0, startupRuns: 3, min: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value\n${USAGE}`);
      return argv[++i];
    };
    if (a === '--set') o.set = val();
    else if (a === '--zhizhi') o.zhizhi = val();
    else if (a === '--threads') o.threads = Number(val());
    else if (a === '--address-parse') o.addressParse = true;
    else if (a === '--roads') o.roads = val();
    else if (a === '--json') o.json = val();
    else if (a === '--min') {
      // FIELD=RATE or FIELD/-KIND=RATE (over the lines without that noise kind): the run fails
      // (exit 3) when zhizhi's accuracy is below — the quality bar as a test.
      const m = /^([a-z]+)(?:\/-([a-z_]+))?=(0(?:\.\d+)?|1(?:\.0+)?)$/.exec(val());
      if (!m) throw new Error('--min FIELD=RATE or FIELD/-KIND=RATE, RATE from 0 to 1');
      o.min.push({ field: m[1], without: m[2] || null, rate: Number(m[3]) });
    }
    else if (a === '--startup-runs') o.startupRuns = Number(val());
    else if (a === '--show-errors') o.showErrors = /^\d+$/.test(argv[i + 1] || '') ? Number(argv[++i]) : 20;
    else if (a === '-h' || a === '--help') { console.log(USAGE); process.exit(0); } else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  if (!o.set) throw new Error(`--set is required\n${USAGE}`);
  if (!o.zhizhi && !o.addressParse) throw new Error(`give --zhizhi BINARY (and/or --address-parse)\n${USAGE}`);
  if (!Number.isInteger(o.threads) || o.threads < 1) throw new Error('--threads: a positive integer');
  if (!Number.isInteger(o.startupRuns) || o.startupRuns < 1) throw new Error('--startup-runs: a positive integer');
  return o;
}

const now = () => Number(process.hrtime.bigint()) / 1e9;
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

// ---- running the binary ----------------------------------------------------------------------
function run(binary, threads, stdinText, data = null) {
  return new Promise((resolvePromise, reject) => {
    const t0 = now();
    const args = ['address', 'standardize', '--threads', String(threads)];
    if (data) args.push('--data', data);
    const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', reject);
    child.stdin.on('error', () => {}); // a binary that exits early: reported by its exit code
    child.on('close', (code, signal) => {
      const wall = now() - t0;
      resolvePromise({ code, signal, wall, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.end(stdinText);
  });
}

function parseOutput(stdout) {
  const rows = [];
  let bad = 0;
  for (const text of stdout.split('\n')) {
    if (text.trim() === '') continue;
    try { rows.push(JSON.parse(text)); } catch { rows.push(null); bad++; }
  }
  return { rows, bad };
}

// Pairs the binary's output rows with the set's lines: by id when the ids are there, else by order.
function pairOutput(lines, rows) {
  const byId = new Map();
  for (const r of rows) if (r && r.id !== undefined && !byId.has(String(r.id))) byId.set(String(r.id), r);
  let outOfOrder = 0;
  const got = lines.map((l, i) => {
    const r = byId.get(l.id);
    if (rows[i] && String(rows[i].id) !== l.id) outOfOrder++;
    return r || null;
  });
  return { got, outOfOrder };
}

// ---- address-parse ---------------------------------------------------------------------------
// Maps address-parse's province/city/area names to gazetteer codes: the exact name (or its short
// form) under the parent already mapped; a municipality's city (北京市) and the provinces'
// "directly administered" cities (省直辖县) come from the county. Ancestors of the deepest mapped
// code are filled in, as the standardiser does.
export function addressParseMapper(g) {
  const provinces = [...g.provinces.values()];
  const cities = [...g.cities.values()];
  const counties = [...g.counties.values()];
  // the one entry named `name`: by full name first, then by short name (临夏县 is not 临夏市)
  const find = (xs, name, shortOf) => {
    if (!name) return null;
    const full = xs.filter((x) => x.name === name);
    if (full.length > 0) return full.length === 1 ? full[0] : null;
    const short = shortOf(name) || name;
    const byShort = xs.filter((x) => x.short && x.short === short);
    return byShort.length === 1 ? byShort[0] : null;
  };
  return (res) => {
    const out = { province: null, city: null, county: null };
    if (!res) return out;
    let p = find(provinces, res.province, provinceShort);
    if (res.province && !p) return out; // 台湾省, 香港特别行政区: not in the gazetteer
    let c = find(cities.filter((x) => !p || x.province === p.code), res.city, cityShort);
    let k = null;
    if (res.area) {
      k = find(counties.filter((x) => (c ? x.city === c.code : !p || x.province === p.code)), res.area, countyShort);
      if (!k && c) k = find(counties.filter((x) => x.province === c.province), res.area, countyShort);
    }
    if (k) { c = g.cities.get(k.city); p = g.provinces.get(k.province); }
    if (!c && p && res.city) { // 北京市 for Beijing: the province's only city
      const own = cities.filter((x) => x.province === p.code);
      if (own.length === 1 && (res.city === p.name || res.city === p.short || res.city === p.short + '市')) c = own[0];
    }
    if (c) p = g.provinces.get(c.province);
    out.province = p ? p.code : null;
    out.city = c ? c.code : null;
    out.county = k ? k.code : null;
    return out;
  };
}

function runAddressParse(lines, g) {
  const require = createRequire(import.meta.url);
  const t0 = now();
  const mod = require('address-parse');
  const AP = mod.default || mod;
  const loadTime = now() - t0;
  const version = require('address-parse/package.json').version;
  const map = addressParseMapper(g);
  const raw = new Array(lines.length);
  const t1 = now();
  for (let i = 0; i < lines.length; i++) {
    const [r] = AP.parse(lines[i].input);
    raw[i] = r;
  }
  const wall = now() - t1;
  const got = raw.map((r) => map(r));
  return { version, loadTime, wall, got, raw };
}

// ---- scoring ---------------------------------------------------------------------------------
const AP_FIELDS = ['province', 'city', 'county'];

function score(lines, got, fields) {
  const right = Object.fromEntries(fields.map((f) => [f, 0]));
  let exact = 0;
  let pcc = 0; // province, city and county all right
  const kinds = new Map(); // kind → { lines, county, town, village, components, exact }
  const mistakes = [];
  const perLine = []; // { noise, r }: for --min over the lines without a kind
  const addKind = (k, line, r) => {
    let s = kinds.get(k);
    if (!s) kinds.set(k, (s = { lines: 0, county: 0, town: 0, village: 0, components: 0, exact: 0 }));
    s.lines++;
    for (const f of ['county', 'town', 'village']) if (r[f]) s[f]++;
    if (r.components) s.components++;
    if (r.exact) s.exact++;
  };
  lines.forEach((line, i) => {
    const g = got[i];
    const r = {};
    let all = true;
    const wrong = [];
    for (const f of fields) {
      // A line that is no address may be answered with the error not_an_address (api-v1.md: a
      // line that cannot be read gets an error): right where every field is expected null.
      const refused = !!g && !!g.error && g.error.code === 'not_an_address' && line.expected[f] === null
        && Object.values(line.expected).every((v) => v === null);
      const ok = refused || (!!g && !g.error && Object.prototype.hasOwnProperty.call(g, f) && g[f] === line.expected[f]);
      r[f] = ok;
      if (ok) right[f]++;
      else { all = false; wrong.push(f); }
    }
    r.components = COMPONENTS.every((f) => r[f]);
    r.exact = all;
    if (all) exact++;
    if (AP_FIELDS.every((f) => r[f])) pcc++;
    perLine.push({ noise: line.noise, r });
    for (const k of line.noise.length > 0 ? line.noise : ['(none)']) addKind(k, line, r);
    addKind('(all)', line, r);
    const e = line.expected;
    if (e.county === '330114') addKind('(region) Qiantang 330114', line, r);
    else if (e.province === '33') addKind('(region) rest of Zhejiang', line, r);
    else if (e.province !== null) addKind('(region) rest of China', line, r);
    if (!all) mistakes.push({ id: line.id, input: line.input, noise: line.noise, wrong, expected: line.expected, got: g });
  });
  return { right, exact, pcc, kinds, mistakes, perLine, total: lines.length };
}

// ---- report ----------------------------------------------------------------------------------
const pct = (n, d) => (d === 0 ? '—' : `${(100 * n / d).toFixed(1)} %`);
const cell = (n, d) => (d === 0 ? '—' : `${pct(n, d)} (${n})`);
const fmt = (x, digits = 3) => (x === null || x === undefined || Number.isNaN(x) ? '—' : x.toFixed(digits));

function table(header, rows) {
  const out = [`| ${header.join(' | ')} |`, `|${header.map((h, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const r of rows) out.push(`| ${r.join(' | ')} |`);
  return out.join('\n');
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const lines = readFileSync(o.set, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l, i) => {
    const x = JSON.parse(l);
    if (!x.id || typeof x.input !== 'string' || !x.expected) throw new Error(`${o.set}:${i + 1}: not a set line`);
    return x;
  });
  const stdinText = lines.map((l) => JSON.stringify({ id: l.id, input: l.input })).join('\n') + '\n';
  const report = { set: o.set, lines: lines.length };
  const md = [];
  md.push('# Address standardiser evaluation', '');
  md.push(`- set: \`${o.set}\` — ${lines.length} lines`);

  let zz = null;
  if (o.zhizhi && o.roads) {
    // The register of roads into a throw-away data directory, as an address office loads it.
    o.data = mkdtempSync(join(tmpdir(), 'zhizhi-roads-'));
    const t0 = now();
    const imported = spawnSync(o.zhizhi, ['address', 'import', '--data', o.data, '--file', o.roads], { encoding: 'utf8' });
    if (imported.status !== 0) throw new Error(`zhizhi address import --file ${o.roads}: ${imported.stderr.slice(-2000)}`);
    md.push(`- register of roads: \`${o.roads}\` imported in ${fmt(now() - t0, 1)} s (${imported.stdout.trim()}); zhizhi runs with \`--data\``);
  }
  if (o.zhizhi) {
    // startup: the binary on a single line, a few times (median)
    const single = JSON.stringify({ id: lines[0].id, input: lines[0].input }) + '\n';
    const startups = [];
    for (let i = 0; i < o.startupRuns; i++) {
      const r = await run(o.zhizhi, o.threads, single, o.data);
      if (r.code !== 0) throw new Error(`${o.zhizhi} exited with ${r.code ?? r.signal} on a single line:\n${r.stderr.slice(-2000)}`);
      startups.push(r.wall);
    }
    const startup = median(startups);
    const r = await run(o.zhizhi, o.threads, stdinText, o.data);
    if (r.code !== 0) {
      process.stderr.write(r.stderr.slice(-4000));
      throw new Error(`${o.zhizhi} exited with ${r.code ?? r.signal}`);
    }
    const { rows, bad } = parseOutput(r.stdout);
    const { got, outOfOrder } = pairOutput(lines, rows);
    const errors = rows.filter((x) => x && x.error).length;
    const missingFields = got.filter((x) => x && !x.error && FIELDS.some((f) => !Object.prototype.hasOwnProperty.call(x, f))).length;
    const s = score(lines, got, FIELDS);
    const net = r.wall - startup;
    zz = {
      binary: o.zhizhi, threads: o.threads, startup_s: startup, startup_runs_s: startups, wall_s: r.wall,
      addresses_per_s: lines.length / r.wall, addresses_per_s_net: net > 0 ? lines.length / net : null,
      output_lines: rows.length, unparsable_lines: bad, error_lines: errors, missing_lines: got.filter((x) => !x).length,
      out_of_order: outOfOrder, lines_missing_fields: missingFields, score: s,
    };
    md.push(`- zhizhi: \`${o.zhizhi} address standardize --threads ${o.threads}${o.data ? ' --data DIR' : ''}\` — ${rows.length} output lines, `
      + `${errors} error lines, ${bad} unparsable, ${zz.missing_lines} inputs without an answer, ${outOfOrder} out of order`
      + (missingFields ? `, ${missingFields} answers missing a field` : ''));
  }
  let ap = null;
  if (o.addressParse) {
    const g = loadGazetteer({ villages: false });
    const a = runAddressParse(lines, g);
    const s = score(lines, a.got, AP_FIELDS);
    ap = { version: a.version, load_s: a.loadTime, wall_s: a.wall, addresses_per_s: lines.length / a.wall, score: s, raw: a.raw };
    md.push(`- address-parse ${a.version}: in-process, one thread; its province/city/area names mapped to gazetteer codes`);
  }
  md.push('', 'A field is right when the answer equals the expected value exactly (null = null); an error line or a missing field is wrong — except the error not_an_address on a line whose every expected field is null.', '');

  // per field
  const cols = ['field'];
  if (zz) cols.push('zhizhi');
  if (ap) cols.push('address-parse');
  const rows = [];
  for (const f of FIELDS) {
    const r = [f];
    if (zz) r.push(cell(zz.score.right[f], lines.length));
    if (ap) r.push(AP_FIELDS.includes(f) ? cell(ap.score.right[f], lines.length) : '—');
    rows.push(r);
  }
  const pccRow = ['province+city+county'];
  if (zz) pccRow.push(cell(zz.score.pcc, lines.length));
  if (ap) pccRow.push(cell(ap.score.pcc, lines.length));
  rows.push(pccRow);
  const exactRow = ['**whole line**'];
  if (zz) exactRow.push(`**${cell(zz.score.exact, lines.length)}**`);
  if (ap) exactRow.push('—');
  rows.push(exactRow);
  md.push('## Accuracy per field', '', table(cols, rows), '');

  // per noise kind
  const zs = zz ? zz.score : null;
  const kindNames = [...(zs || ap.score).kinds.keys()].sort((a, b) => {
    const rank = (k) => (k === '(all)' ? 0 : k.startsWith('(region)') ? 1 : k === '(none)' ? 2 : 3);
    return rank(a) - rank(b) || a.localeCompare(b);
  });
  const kcols = ['noise kind', 'lines'];
  if (zz) kcols.push('county', 'town', 'village', 'components', 'whole line');
  if (ap) kcols.push('address-parse county');
  const krows = kindNames.map((k) => {
    const z = zs ? zs.kinds.get(k) : null;
    const a = ap ? ap.score.kinds.get(k) : null;
    const n = (z || a).lines;
    const r = [k, String(n)];
    if (zz) r.push(pct(z.county, n), pct(z.town, n), pct(z.village, n), pct(z.components, n), pct(z.exact, n));
    if (ap) r.push(pct(a.county, n));
    return r;
  });
  md.push('## Per noise kind', '', '(all) = every line; (region) = lines whose expected county is 330114, or province 33, or another province; '
    + '(none) = lines without noise; components = road, number, building, unit and room all right.', '');
  md.push(table(kcols, krows), '');

  // throughput
  const tcols = [''];
  if (zz) tcols.push('zhizhi');
  if (ap) tcols.push('address-parse');
  const trow = (label, z, a) => { const r = [label]; if (zz) r.push(z); if (ap) r.push(a); return r; };
  md.push('## Throughput', '');
  md.push(table(tcols, [
    trow('threads', String(zz?.threads ?? ''), '1 (in-process)'),
    trow('startup (s)', zz ? `${fmt(zz.startup_s)} (median of ${zz.startup_runs_s.length} single-line runs)` : '', ap ? `${fmt(ap.load_s)} (require)` : ''),
    trow('wall time, all lines (s)', zz ? fmt(zz.wall_s) : '', ap ? fmt(ap.wall_s) : ''),
    trow('addresses/s (lines ÷ wall time)', zz ? fmt(zz.addresses_per_s, 0) : '', ap ? fmt(ap.addresses_per_s, 0) : ''),
    trow('addresses/s (lines ÷ (wall time − startup))', zz ? fmt(zz.addresses_per_s_net, 0) : '', ap ? fmt(ap.addresses_per_s, 0) : ''),
  ]), '');

  // mistakes
  if (o.showErrors > 0) {
    const show = (name, s, withRaw) => {
      md.push(`## First ${Math.min(o.showErrors, s.mistakes.length)} of ${s.mistakes.length} mistakes: ${name}`, '');
      for (const m of s.mistakes.slice(0, o.showErrors)) {
        md.push(`- \`${m.id}\` ${m.input}  [${m.noise.join(', ')}]`);
        if (m.got && m.got.error) md.push(`  - error: ${JSON.stringify(m.got.error)}`);
        else if (!m.got) md.push('  - no answer');
        for (const f of m.wrong) {
          if (!m.got || m.got.error) break;
          md.push(`  - ${f}: expected ${JSON.stringify(m.expected[f])}, got ${JSON.stringify(m.got[f])}`);
        }
        if (withRaw) md.push(`  - address-parse said: ${JSON.stringify(withRaw[lines.findIndex((l) => l.id === m.id)], ['province', 'city', 'area', 'details'])}`);
      }
      md.push('');
    };
    if (zz) show('zhizhi', zz.score, null);
    if (ap) show('address-parse', ap.score, ap.raw);
  }
  process.stdout.write(md.join('\n') + '\n');

  if (zz && o.min.length > 0) {
    const failed = [];
    for (const { field, without, rate } of o.min) {
      if (!FIELDS.includes(field)) throw new Error(`--min: unknown field ${field}`);
      const rows = zz.score.perLine.filter((x) => !without || !x.noise.includes(without));
      const got = rows.filter((x) => x.r[field]).length / Math.max(1, rows.length);
      const what = `${field}${without ? ` (lines without ${without})` : ''}`;
      const line = `quality: ${what} ${(100 * got).toFixed(2)} % (minimum ${(100 * rate).toFixed(1)} %)`;
      if (got < rate) failed.push(line);
      else console.error(line);
    }
    for (const f of failed) console.error(`${f} — BELOW`);
    if (failed.length > 0) process.exitCode = 3;
  }

  if (o.json) {
    const pack = (s, fields) => ({
      fields: Object.fromEntries(fields.map((f) => [f, { right: s.right[f], rate: s.right[f] / s.total }])),
      province_city_county: { right: s.pcc, rate: s.pcc / s.total },
      whole_line: fields === FIELDS ? { right: s.exact, rate: s.exact / s.total } : null,
      kinds: Object.fromEntries([...s.kinds].map(([k, v]) => [k, v])),
    });
    const j = { ...report };
    if (zz) {
      const { score: { perLine, ...s }, ...rest } = zz;
      j.zhizhi = { ...rest, ...pack(s, FIELDS) };
    }
    if (ap) j.address_parse = { version: ap.version, load_s: ap.load_s, wall_s: ap.wall_s, addresses_per_s: ap.addresses_per_s, ...pack(ap.score, AP_FIELDS) };
    writeFileSync(o.json, JSON.stringify(j, null, 2) + '\n');
  }
  if (o.data) rmSync(o.data, { recursive: true, force: true });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    console.error(e.message);
    process.exit(1);
  });
}
