#!/usr/bin/env node
// An independent verifier of zhizhi lottery records (安置房抽号分房), written from docs/lottery.md
// alone ("The algorithm: zhizhi-lottery, version 1" and "Verification"), not from src/lottery/.
// It re-runs the draw from the record and names the first difference, as `zhizhi lottery verify`
// does. Node.js 20, no dependencies.
//
//   node tools/lottery-verify.mjs RECORD.json    → "verified: N results" (exit 0)
//                                                  or "differs: <first difference>" (exit 1)
import { createCipheriv, createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const TWO_32 = 2 ** 32;

// A difference found: `place` is what the message starts with (`commitment`, `results[5] (order 6)`…).
class Difference extends Error {
  constructor(place, what) {
    super(what === undefined ? place : `${place}: ${what}`);
    this.place = place;
  }
}
const differ = (place, what) => {
  throw new Difference(place, what);
};
const show = (value) => (value === undefined ? 'missing' : JSON.stringify(value));

// --- Canonical JSON and hashes -------------------------------------------------------------------

const byUtf8 = (a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

export function canonical(value) {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Number.isSafeInteger(value)) return String(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort(byUtf8);
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  throw new Error(`no canonical form for ${JSON.stringify(value)}`);
}

export const sha256Hex = (text) => createHash('sha256').update(text, 'utf8').digest('hex');

// --- Random stream: ChaCha20 (RFC 8439), zero nonce, counter from 0, u32 little-endian words ------

export class RandomStream {
  constructor(seedHex) {
    // OpenSSL's chacha20 IV: 4-byte little-endian block counter, then the 12-byte nonce.
    this.cipher = createCipheriv('chacha20', Buffer.from(seedHex, 'hex'), Buffer.alloc(16));
    this.block = Buffer.alloc(0);
    this.at = 0;
  }
  word() {
    if (this.at === this.block.length) {
      this.block = this.cipher.update(Buffer.alloc(4096)); // key stream = encryption of zeros
      this.at = 0;
    }
    const w = this.block.readUInt32LE(this.at);
    this.at += 4;
    return w;
  }
  // Unbiased index in [0, n): reject w ≥ 2^32 − (2^32 mod n). Plain numbers, no signed bit ops.
  below(n) {
    const limit = TWO_32 - (TWO_32 % n);
    for (;;) {
      const w = this.word();
      if (w < limit) return w % n;
    }
  }
}

// --- Inputs, checked strictly -----------------------------------------------------------------

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const text = (v, p) => typeof v === 'string' || differ(p, `${show(v)} is not a string`);
const nonEmpty = (v, p) => (text(v, p), v !== '' || differ(p, 'is empty'));
const id = (v, p) =>
  (nonEmpty(v, p), Buffer.byteLength(v, 'utf8') <= 64 || differ(p, `${show(v)} is longer than 64 bytes`));
const int = (lo, hi) => (v, p) => {
  if (!Number.isSafeInteger(v)) differ(p, `${show(v)} is not an integer`);
  if (v < lo || v > hi) differ(p, hi === Infinity ? `${v} is below ${lo}` : `${v} is not within ${lo}–${hi}`);
};
const anyInt = int(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
const area = (v, p) => (text(v, p), /^[0-9]+(\.[0-9]+)?$/.test(v) || differ(p, `${show(v)} is not a decimal string`));
const list = (item) => (v, p) => {
  if (!Array.isArray(v)) differ(p, `${show(v)} is not a list`);
  v.forEach((x, i) => item(x, `${p}[${i}]`));
};
// fields: name → [check, required]. Unknown fields are refused.
const object = (fields) => (v, p) => {
  if (!isObject(v)) differ(p, `${show(v)} is not an object`);
  for (const k of Object.keys(v)) if (!Object.hasOwn(fields, k)) differ(`${p}.${k}`, `unknown field ${k}`);
  for (const [k, [check, required]] of Object.entries(fields)) {
    if (Object.hasOwn(v, k)) check(v[k], `${p}.${k}`);
    else if (required) differ(`${p}.${k}`, 'missing');
  }
};
// Every number anywhere in the inputs is an integer (areas are strings).
const wholeNumbers = (v) =>
  typeof v === 'number'
    ? Number.isSafeInteger(v)
    : v === null || typeof v !== 'object' || Object.values(v).every(wholeNumbers);

// Which fields are required the spec does not say; these are the ones `zhizhi lottery verify` requires.
const rule = object({ tag: [nonEmpty, true], name: [text, true], tier: [int(0, Infinity), false], max_floor: [anyInt, false] });
const household = object({
  id: [id, true], name: [text, false], flats: [list(nonEmpty), false], parking: [int(0, 10), false],
  farm_room: [int(0, 10), false], tags: [list(text), false], area_quota_m2: [area, false],
});
const flat = object({
  id: [id, true], type: [nonEmpty, true], building: [text, false], unit: [text, false],
  floor: [anyInt, true], room: [text, false], area_m2: [area, false],
});
const space = object({ id: [id, true], location: [text, false] });
const inputsShape = object({
  title: [text, true], rules: [list(rule), false], households: [list(household), true],
  pools: [object({ flat: [list(flat), true], parking: [list(space), false], farm_room: [list(space), false] }), true],
});

export function checkInputs(inputs) {
  inputsShape(inputs, 'inputs');
  // Every field is known by now: any number left that is not whole is one the fields let through.
  if (!wholeNumbers(inputs)) differ('inputs', 'numbers must be integers (areas are decimal strings)');
  // Absent lists and counts are empty.
  const rules = inputs.rules ?? [];
  const pools = { flat: [], parking: [], farm_room: [], ...inputs.pools };
  const households = inputs.households.map((h) => ({ flats: [], parking: 0, farm_room: 0, tags: [], ...h }));
  const unique = (items, p) => {
    const seen = new Set();
    items.forEach((x, i) => seen.has(x.id) ? differ(`${p}[${i}].id`, `${show(x.id)} is not unique`) : seen.add(x.id));
  };
  unique(households, 'inputs.households');
  for (const pool of ['flat', 'parking', 'farm_room']) unique(pools[pool], `inputs.pools.${pool}`);
  const types = new Set(pools.flat.map((f) => f.type));
  households.forEach((h, i) =>
    h.flats.forEach((t, j) =>
      types.has(t) || differ(`inputs.households[${i}].flats[${j}]`, `no flat of type ${show(t)} in the pool`)));
  rules.forEach((r, i) => {
    if (Object.hasOwn(r, 'max_floor') && !(r.tier > 0)) {
      differ(`inputs.rules[${i}].tier`, 'a rule with a max_floor needs a tier above 0');
    }
  });
  return { rules, households, pools };
}

// --- The draw ------------------------------------------------------------------------------------

// `inputs` as checkInputs answers them: { rules, households, pools } with nothing absent.
export function draw({ rules, households: all, pools: given }, seedHex) {
  const random = new RandomStream(seedHex);
  const byId = (a, b) => byUtf8(a.id, b.id);

  // Tier = highest tier of the household's rules (0 without any); floor limit = lowest max_floor.
  const households = [...all].sort(byId).map((h) => {
    const own = rules.filter((r) => h.tags.includes(r.tag));
    const limits = own.filter((r) => Object.hasOwn(r, 'max_floor')).map((r) => r.max_floor);
    return { h, tier: Math.max(0, ...own.map((r) => r.tier)), limit: limits.length ? Math.min(...limits) : null };
  });

  // Groups by tier, highest first, each in id order, then Fisher–Yates from the highest tier down.
  const tiers = [...new Set(households.map((x) => x.tier))].sort((a, b) => b - a);
  const order = [];
  for (const tier of tiers) {
    const group = households.filter((x) => x.tier === tier);
    for (let i = group.length - 1; i >= 1; i--) {
      const j = random.below(i + 1);
      [group[i], group[j]] = [group[j], group[i]];
    }
    order.push(...group);
  }

  // Pools in id order; a drawn item leaves its pool.
  const pools = {
    flat: [...given.flat].sort(byId),
    parking: [...given.parking].sort(byId),
    farm_room: [...given.farm_room].sort(byId),
  };
  const take = (pool, candidates) => {
    if (candidates.length === 0) return null; // no word is read
    const item = candidates[random.below(candidates.length)];
    pool.splice(pool.indexOf(item), 1);
    return item.id;
  };
  return order.map(({ h, limit }, index) => ({
    order: index + 1,
    household: h.id,
    flat: h.flats.map((type) =>
      take(pools.flat, pools.flat.filter((f) => f.type === type && (limit === null || f.floor <= limit)))),
    parking: Array.from({ length: h.parking }, () => take(pools.parking, pools.parking)),
    farm_room: Array.from({ length: h.farm_room }, () => take(pools.farm_room, pools.farm_room)),
  }));
}

// --- Verification --------------------------------------------------------------------------------

const HEX64 = /^[0-9a-f]{64}$/;

// Levels of nesting, counted without recursion (a hostile record may be a million deep).
function depth(value) {
  let deepest = 0;
  const stack = [[value, 1]];
  while (stack.length > 0) {
    const [node, level] = stack.pop();
    deepest = Math.max(deepest, level);
    if (level > 16) return level;
    if (node !== null && typeof node === 'object') for (const child of Object.values(node)) stack.push([child, level + 1]);
  }
  return deepest;
}

function verify(record) {
  if (!isObject(record)) differ('the record is not a JSON object');
  if (depth(record) > 16) differ('the record is nested deeper than a record can be');
  // 1. The algorithm.
  const algorithm = record.algorithm;
  if (!isObject(algorithm) || algorithm.name !== 'zhizhi-lottery' || algorithm.version !== 1) {
    differ('algorithm', `${show(algorithm)} in the record, this verifier knows {"name":"zhizhi-lottery","version":1}`);
  }
  // 2. The inputs.
  if (!Object.hasOwn(record, 'inputs')) differ('inputs', 'missing');
  const inputs = checkInputs(record.inputs);
  // 3. inputs_hash.
  const inputsHash = sha256Hex(canonical(record.inputs));
  if (record.inputs_hash !== inputsHash) {
    differ('inputs_hash', `${show(record.inputs_hash)} in the record, recomputed "${inputsHash}"`);
  }
  // 4. commitment, from the inputs and the secret.
  const seed = record.seed;
  if (!isObject(seed)) differ('seed', `${show(seed)} is not an object (the draw is not over?)`);
  if (typeof seed.secret !== 'string' || !HEX64.test(seed.secret)) {
    differ('seed.secret', `${show(seed.secret)} is not 64 lowercase hex digits (revealed when the draw is over)`);
  }
  const commitment = sha256Hex(`zhizhi-lottery/1|commit|${inputsHash}|${seed.secret}`);
  if (record.commitment !== commitment) {
    differ('commitment', `${show(record.commitment)} in the record, recomputed "${commitment}": ` +
      'the inputs or the secret changed after the commitment');
  }
  // 5. seed.value.
  if (typeof seed.entropy !== 'string') differ('seed.entropy', `${show(seed.entropy)} is not a string`);
  const value = sha256Hex(`zhizhi-lottery/1|seed|${commitment}|${seed.secret}|${seed.entropy}`);
  if (seed.value !== value) differ('seed.value', `${show(seed.value)} in the record, recomputed "${value}"`);
  // 6. Every result, field by field, then their number.
  const results = record.results;
  if (!Array.isArray(results)) differ('results', `${show(results)} is not a list`);
  const expected = draw(inputs, value);
  const fields = ['order', 'household', 'flat', 'parking', 'farm_room'];
  for (let i = 0; i < Math.min(results.length, expected.length); i++) {
    const place = `results[${i}] (order ${i + 1})`;
    const got = results[i];
    if (!isObject(got)) differ(place, `${show(got)} is not an object`);
    for (const f of fields) {
      const [was, is] = [show(got[f]), show(expected[i][f])];
      if (was !== is) differ(place, `${f} is ${was} in the record, the draw gives ${is}`);
    }
    for (const k of Object.keys(got)) if (!fields.includes(k)) differ(place, `unknown field "${k}"`);
  }
  if (results.length !== expected.length) differ('results', `${results.length} in the record, the draw gives ${expected.length}`);
  // 7. A notary's sign-off, when there is one, is of exactly this record: SHA-256 of the canonical
  // JSON of the signed fields (absent ones as null).
  if (isObject(record.notary) && Object.hasOwn(record.notary, 'record_hash')) {
    const signed = {};
    for (const f of ['algorithm', 'title', 'inputs_hash', 'commitment', 'seed', 'inputs', 'results']) {
      signed[f] = Object.hasOwn(record, f) ? record[f] : null;
    }
    const hash = sha256Hex(canonical(signed));
    if (record.notary.record_hash !== hash) {
      differ('notary.record_hash', `${show(record.notary.record_hash)} in the record, recomputed "${hash}"`);
    }
  }
  return expected.length;
}

// { ok: true, count } or { ok: false, difference, place }.
export function verifyRecord(record) {
  try {
    return { ok: true, count: verify(record) };
  } catch (e) {
    if (e instanceof Difference) return { ok: false, difference: e.message, place: e.place };
    throw e;
  }
}

// --- Command line --------------------------------------------------------------------------------

function main(argv) {
  if (argv.length !== 1) {
    console.error('usage: node tools/lottery-verify.mjs RECORD.json');
    return 2;
  }
  let record;
  try {
    record = JSON.parse(readFileSync(argv[0], 'utf8'));
  } catch (e) {
    console.error(`cannot read ${argv[0]}: ${e.message}`);
    return 1;
  }
  const answer = verifyRecord(record);
  console.log(answer.ok ? `verified: ${answer.count} results` : `differs: ${answer.difference}`);
  return answer.ok ? 0 : 1;
}

if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  process.exitCode = main(process.argv.slice(2));
}
