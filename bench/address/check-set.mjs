#!/usr/bin/env node
// Validates an address evaluation set against the gazetteer: every expected code exists at its
// level, the settled levels form one chain (village's town = town, town's county = county, …),
// components are ASCII digit strings, the deepest expected division is named in the input, and
// the road and door number are there too (undoing traditional/full-width forms). Prints the
// counts per noise kind and per region; exits 1 on the first 20 problems.
//
//   node bench/address/check-set.mjs FILE
import { readFileSync } from 'node:fs';
import { COMPONENTS, FIELDS, LEVELS, loadGazetteer } from './gazetteer.mjs';
import { KINDS } from './generate.mjs';
import { ROAD_TYPOS, TRADITIONAL, cnNumber } from './noise.mjs';

const file = process.argv[2];
if (!file) {
  console.error('usage: node check-set.mjs FILE');
  process.exit(2);
}
const g = loadGazetteer();
const simplified = new Map([...TRADITIONAL].map(([s, t]) => [t, s]));
const normalise = (text) => [...text]
  .map((c) => simplified.get(c) || c)
  .join('')
  .replace(/[\uff01-\uff5e]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));

const oldNames = new Map(); // county code → its old names
for (const o of g.oldCounties) {
  const list = oldNames.get(o.to) || [];
  list.push(...[o.old, o.short, o.alt].filter(Boolean));
  oldNames.set(o.to, list);
}
function forms(level, code) {
  if (level === 'province') { const p = g.provinces.get(code); return [p.name, p.short]; }
  if (level === 'city') { const c = g.cities.get(code); return [c.name, c.short]; }
  if (level === 'county') { const k = g.counties.get(code); return [k.name, k.short, ...(oldNames.get(code) || [])]; }
  if (level === 'town') { const t = g.towns.get(code); return [t.name, t.short]; }
  const v = g.villages.get(code);
  return [v.name, v.spoken];
}
const table = { province: g.provinces, city: g.cities, county: g.counties, town: g.towns, village: g.villages };
const parentOf = {
  city: (c) => c.province, county: (k) => k.city, town: (t) => t.county, village: (v) => v.town,
};

const problems = [];
const problem = (id, msg) => { if (problems.length < 20) problems.push(`${id}: ${msg}`); };
const counts = new Map(KINDS.map((k) => [k, 0]));
const regions = { qiantang: 0, zhejiang: 0, china: 0, none: 0 };
const deepestCount = new Map(LEVELS.map((l) => [l, 0]));
let clean = 0;
const ids = new Set();
const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
lines.forEach((text, i) => {
  let line;
  try { line = JSON.parse(text); } catch (e) { problem(`line ${i + 1}`, `bad JSON: ${e.message}`); return; }
  const { id, input, noise, expected } = line;
  if (Object.keys(line).join() !== 'id,input,noise,expected') problem(id, `keys ${Object.keys(line)}`);
  if (id !== 'a' + String(i + 1).padStart(6, '0')) problem(id, `id out of sequence at line ${i + 1}`);
  if (ids.has(id)) problem(id, 'duplicate id');
  ids.add(id);
  if (typeof input !== 'string' || input.length === 0) problem(id, 'empty input');
  if (!Array.isArray(noise) || noise.some((k) => !KINDS.includes(k))) problem(id, `noise ${noise}`);
  if (noise.length === 0) clean++;
  for (const k of noise) counts.set(k, counts.get(k) + 1);
  if (Object.keys(expected).join() !== FIELDS.join()) problem(id, `expected keys ${Object.keys(expected)}`);

  if (noise.includes('not_address')) {
    if (FIELDS.some((f) => expected[f] !== null)) problem(id, 'not_address with a value');
    regions.none++;
    return;
  }
  // the levels: a prefix of non-null codes, each the parent of the next
  let deepest = null;
  let ended = false;
  for (const l of LEVELS) {
    const code = expected[l];
    if (code === null) { ended = true; continue; }
    if (ended) problem(id, `${l} ${code} below a null level`);
    const e = table[l].get(code);
    if (!e) { problem(id, `${l} ${code} not in the gazetteer`); continue; }
    if (l !== 'province') {
      const up = LEVELS[LEVELS.indexOf(l) - 1];
      if (parentOf[l](e) !== expected[up]) problem(id, `${l} ${code}'s parent is ${parentOf[l](e)}, not ${expected[up]}`);
    }
    deepest = l;
  }
  if (deepest) {
    deepestCount.set(deepest, deepestCount.get(deepest) + 1);
    const norm = normalise(input);
    if (!noise.includes('unsettled') && !forms(deepest, expected[deepest]).some((f) => f && norm.includes(normalise(f)))) {
      problem(id, `the ${deepest} ${expected[deepest]} (${forms(deepest, expected[deepest]).filter(Boolean).join('/')}) is not named in ${input}`);
    }
  } else if (!noise.includes('unsettled')) problem(id, 'no level settled but not marked unsettled');
  if (noise.includes('unsettled') && !noise.includes('shared_names')) problem(id, 'unsettled without shared_names');
  const code = expected.province === null ? null : (expected.county || expected.city || expected.province);
  if (code === null) regions.none++;
  else if (code.startsWith('330114')) regions.qiantang++;
  else if (code.startsWith('33')) regions.zhejiang++;
  else regions.china++;

  // components
  if (typeof expected.road !== 'string' || !/(路|街|大道)$/.test(expected.road)) problem(id, `road ${expected.road}`);
  for (const c of COMPONENTS.slice(1)) {
    const v = expected[c];
    if (v !== null && !/^[1-9][0-9]*$/.test(v)) problem(id, `${c} ${v} is not an ASCII number`);
  }
  if (expected.number === null) problem(id, 'no door number');
  if (expected.unit !== null && expected.building === null) problem(id, 'unit without building');
  const norm = normalise(input);
  const numbered = expected.road.match(/^(\d+)号大街$/);
  const roadSeen = noise.includes('road_typo') || norm.includes(expected.road)
    || (numbered && norm.includes(cnNumber(Number(numbered[1])) + '号大街'));
  if (!roadSeen) problem(id, `road ${expected.road} not in ${input}`);
  if (!noise.includes('chinese_numerals') && !norm.includes(expected.number + '号')) problem(id, `number ${expected.number} not in ${input}`);
  if (noise.includes('road_typo')) {
    const typoSeen = Object.values(ROAD_TYPOS).some((t) => ['', '东', '西', '南', '北', '中']
      .some((d) => norm.includes(d ? t.slice(0, -1) + d + t.slice(-1) : t)));
    if (!typoSeen) problem(id, `road_typo but no typo in ${input}`);
  }
});

console.log(`${file}: ${lines.length} lines, ${ids.size} ids; no noise: ${clean}`);
console.log(`regions (by expected county, else city/province): Qiantang 330114 ${regions.qiantang}, rest of Zhejiang ${regions.zhejiang}, rest of China ${regions.china}, none settled ${regions.none}`);
console.log(`deepest settled level: ${[...deepestCount].map(([l, n]) => `${l} ${n}`).join(', ')}`);
for (const [k, n] of counts) console.log(`  ${k.padEnd(22)} ${n}`);
if (problems.length > 0) {
  console.log(`PROBLEMS:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('ok');
