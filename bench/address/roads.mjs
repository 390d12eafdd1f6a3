#!/usr/bin/env node
// Writes the register of roads (街路巷) of the generator's world for the counties of a set, as the
// CSV that `zhizhi address import` and POST /api/v1/addresses/imports take (kind road). An address
// office loads the county's road names from the place-name register (地名库); in the generator's
// world every county has the same roads: Qiantang 1号大街 … 29号大街 and its named roads, every other
// county the common roads with each direction (人民路, 人民东路 … 人民中路). The register does not
// depend on which lines were typo'd: it is the world, not the answers.
//
//   node bench/address/roads.mjs --set FILE --out FILE
import { readFileSync, writeFileSync } from 'node:fs';
import { UNWRITTEN_CITY, loadGazetteer } from './gazetteer.mjs';
import { COMMON_ROADS, DIRECTIONS, QIANTANG_ROADS, withDir } from './generate.mjs';

const USAGE = 'usage: node roads.mjs --set FILE --out FILE';
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  if (i < 0 || i + 1 >= args.length) {
    console.error(`${name} is required\n${USAGE}`);
    process.exit(2);
  }
  return args[i + 1];
};
const setFile = opt('--set');
const outFile = opt('--out');

export function roadsOf(county) {
  if (county === '330114') {
    const numbered = Array.from({ length: 29 }, (_, i) => `${i + 1}号大街`);
    return [...numbered, ...QIANTANG_ROADS];
  }
  const roads = [];
  for (const base of COMMON_ROADS) {
    roads.push(base);
    if (!base.endsWith('大道')) for (const d of DIRECTIONS) roads.push(withDir(base, d));
  }
  return roads;
}

const g = loadGazetteer({ villages: false });
const counties = new Set();
for (const text of readFileSync(setFile, 'utf8').split('\n')) {
  if (text.trim() === '') continue;
  const county = JSON.parse(text).expected.county;
  if (county) counties.add(county);
}
const rows = ['code,kind,address'];
for (const code of [...counties].sort()) {
  const k = g.counties.get(code);
  const c = g.cities.get(k.city);
  const p = g.provinces.get(k.province);
  // The county's written chain: province, city (unless nobody writes it, or it is the county), county.
  const prefix = p.name + (UNWRITTEN_CITY.has(c.name) || c.name === k.name ? '' : c.name) + k.name;
  roadsOf(code).forEach((road, i) => rows.push(`R${code}${String(i + 1).padStart(4, '0')},road,${prefix}${road}`));
}
writeFileSync(outFile, rows.join('\n') + '\n');
console.error(`${outFile}: ${rows.length - 1} roads of ${counties.size} counties`);
