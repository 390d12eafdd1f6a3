// The lottery's two verifiers against each other (docs/lottery.md, "Verification"): zhizhi's
// `lottery verify` and the independent JavaScript one, tools/lottery-verify.mjs. Records drawn by
// `zhizhi lottery demo` verify in both, in-process and from the command line; tampered records
// fail in both, at the same first place; records sealed here with unusual inputs (items left
// without a candidate, absent optional fields, non-ASCII ids, odd entropy) verify in both. Known
// answers pin SHA-256, ChaCha20 (RFC 8439) and below() so that neither can drift silently.
//
//   ZHIZHI_BINARY=build/zhizhi node --test web/e2e/lottery-verify.test.mjs
// No browser and no server: only ZHIZHI_BINARY is needed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  RandomStream, canonical, checkInputs, draw, sha256Hex, verifyRecord,
} from '../../tools/lottery-verify.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const verifier = join(repo, 'tools', 'lottery-verify.mjs');
const binary = process.env.ZHIZHI_BINARY;
const SECRET = '5a1e'.repeat(16);
const ENTROPY = '07 23 41 15 09 33';

let dir;
const records = {}; // households → the demo's record

// `zhizhi lottery verify FILE`: { status, out }.
function zhizhiVerify(file) {
  const run = spawnSync(binary, ['lottery', 'verify', file], { encoding: 'utf8' });
  return { status: run.status, out: run.stdout.trim() };
}

// The place a difference names: what comes before its first ':' (after "differs: ").
const placeOf = (difference) => difference.replace(/^differs: /, '').split(':')[0];

let files = 0;
function write(record) {
  const file = join(dir, `record-${++files}.json`);
  writeFileSync(file, JSON.stringify(record, null, 1));
  return file;
}

// Both verifiers refuse `record`, and both name `place` first.
function bothRefuse(record, place, what) {
  const js = verifyRecord(record);
  assert.equal(js.ok, false, `${what}: the JS verifier accepted it`);
  const cpp = zhizhiVerify(write(record));
  assert.equal(cpp.status, 1, `${what}: zhizhi lottery verify answered ${cpp.status}: ${cpp.out}`);
  assert.match(cpp.out, /^differs: /, what);
  assert.equal(placeOf(js.difference), place, `${what}: JS says ${js.difference}`);
  assert.equal(placeOf(cpp.out), place, `${what}: zhizhi says ${cpp.out}`);
}

// Both verifiers accept `record` with `count` results.
function bothAccept(record, count, what) {
  assert.deepEqual(verifyRecord(record), { ok: true, count }, what);
  const cpp = zhizhiVerify(write(record));
  assert.equal(cpp.status, 0, `${what}: ${cpp.out}`);
  assert.match(cpp.out, new RegExp(`^verified: ${count} results`), what);
}

before(() => {
  if (!binary || !existsSync(binary)) throw new Error('prerequisite missing: ZHIZHI_BINARY (the zhizhi binary)');
  dir = mkdtempSync(join(tmpdir(), 'zhizhi-lottery-'));
  for (const households of [300, 1544]) {
    const out = join(dir, `demo-${households}.json`);
    execFileSync(binary, ['lottery', 'demo', '--households', String(households), '--out', out,
      '--secret', SECRET, '--entropy', ENTROPY], { stdio: ['ignore', 'pipe', 'inherit'] });
    records[households] = { file: out, record: JSON.parse(readFileSync(out, 'utf8')) };
  }
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('known answers: SHA-256, canonical JSON, ChaCha20 (RFC 8439 A.1 #1) and below()', () => {
  assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(sha256Hex('安置房'), createHashHex('安置房')); // UTF-8, as coreutils sees it
  assert.equal(canonical({ b: 1, a: ['x\n"\u0001é', -2], B: {} }), '{"B":{},"a":["x\\n\\"\\u0001é",-2],"b":1}');
  assert.throws(() => canonical({ a: 1.5 }));

  // The key stream for the zero key, zero nonce, counter 0: 76 b8 e0 ad a0 f1 3d 90 40 5d 6a e5 53 86 bd 28 …
  const zero = '00'.repeat(32);
  const words = new RandomStream(zero);
  assert.deepEqual([words.word(), words.word(), words.word(), words.word()],
    [0xade0b876, 0x903df1a0, 0xe56a5d40, 0x28bd8653]);
  // Block 1 follows block 0 (RFC 8439 A.1 #2 is key 0, counter 1: 9f 07 e7 be …).
  const stream = new RandomStream(zero);
  for (let i = 0; i < 16; i++) stream.word();
  assert.equal(stream.word(), 0xbee7079f);

  // below(): one word even for n = 1; w mod n when w < 2^32 − (2^32 mod n); else the next word.
  const one = new RandomStream(zero);
  assert.equal(one.below(1), 0);
  assert.equal(one.word(), 0x903df1a0);
  assert.equal(new RandomStream(zero).below(3), 2917185654 % 3);
  assert.equal(new RandomStream(zero).below(2 ** 32 - 1), 0xade0b876);
  // n = 2^31 + 1 accepts only w < 2^31 + 1: the first three words are rejected, the fourth is taken.
  assert.equal(new RandomStream(zero).below(2 ** 31 + 1), 0x28bd8653);
});

// SHA-256 by coreutils, as docs/lottery.md suggests for the commitment.
function createHashHex(text) {
  return execFileSync('sha256sum', { input: Buffer.from(text, 'utf8'), encoding: 'utf8' }).split(' ')[0];
}

test('the demo records verify in both verifiers, in-process and from the command line', () => {
  for (const households of [300, 1544]) {
    const { file, record } = records[households];
    assert.equal(record.results.length, households);
    assert.deepEqual(verifyRecord(record), { ok: true, count: households });
    const cli = spawnSync(process.execPath, [verifier, file], { encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stdout + cli.stderr);
    assert.equal(cli.stdout.trim(), `verified: ${households} results`);
    const cpp = zhizhiVerify(file);
    assert.equal(cpp.status, 0, cpp.out);
    assert.match(cpp.out, new RegExp(`^verified: ${households} results`));
    // The commitment by the shell recipe of docs/lottery.md.
    const recipe = `zhizhi-lottery/1|commit|${record.inputs_hash}|${record.seed.secret}`;
    assert.equal(createHashHex(recipe), record.commitment);
  }
});

test('the command line: differs exits 1, an unreadable file exits 1', () => {
  const record = structuredClone(records[300].record);
  record.results[5].flat = record.results[6].flat;
  const cli = spawnSync(process.execPath, [verifier, write(record)], { encoding: 'utf8' });
  assert.equal(cli.status, 1);
  assert.match(cli.stdout, /^differs: results\[5\] \(order 6\): flat is /);
  const notJson = join(dir, 'not.json');
  writeFileSync(notJson, '{"algorithm":');
  for (const file of [notJson, join(dir, 'absent.json')]) {
    const bad = spawnSync(process.execPath, [verifier, file], { encoding: 'utf8' });
    assert.equal(bad.status, 1, file);
    assert.match(bad.stderr, /cannot read/);
  }
});

const flip = (hex) => (hex[0] === '0' ? '1' : '0') + hex.slice(1);
const tamperings = [
  ['one result\'s flat', 'results[5] (order 6)', (r) => { r.results[5].flat = r.results[6].flat; }],
  ['two results\' households swapped', 'results[3] (order 4)', (r) => {
    [r.results[3].household, r.results[9].household] = [r.results[9].household, r.results[3].household];
  }],
  ['one character of the entropy', 'seed.value', (r) => { r.seed.entropy = r.seed.entropy.replace('4', '5'); }],
  ['one household\'s parking in the inputs', 'inputs_hash', (r) => { r.inputs.households[4].parking ^= 1; }],
  ['the commitment', 'commitment', (r) => { r.commitment = flip(r.commitment); }],
  ['the secret', 'commitment', (r) => { r.seed.secret = flip(r.seed.secret); }],
  ['the last result dropped', 'results', (r) => { r.results.pop(); }],
  ['the algorithm\'s version', 'algorithm', (r) => { r.algorithm.version = 2; }],
  ['an unknown field in the inputs', 'inputs.households[2].phone', (r) => { r.inputs.households[2].phone = '1'; }],
  ['a duplicate household id', 'inputs.households[3].id', (r) => { r.inputs.households[3].id = r.inputs.households[2].id; }],
  ['a flat type not in the pool', 'inputs.households[3].flats[0]', (r) => { r.inputs.households[3].flats = ['Z']; }],
  ['a fractional number', 'inputs.households[3].parking', (r) => { r.inputs.households[3].parking = 0.5; }],
  ['a seed withheld', 'seed.secret', (r) => { r.seed.secret = null; }],
  ['the inputs hash dropped', 'inputs_hash', (r) => { delete r.inputs_hash; }],
  ['a notary\'s sign-off of another record', 'notary.record_hash', (r) => {
    r.notary = { name: '公证员', record_hash: '0'.repeat(64) };
  }],
  ['nesting a hostile verifier would recurse into', 'the record is nested deeper than a record can be', (r) => {
    let deep = [];
    for (let i = 0; i < 100; i++) deep = [deep];
    r.algorithm = deep;
  }],
];

// The notary signs SHA-256 of the canonical signed fields: computed here, accepted by zhizhi.
test('a notary\'s record hash computed by the JS side verifies in zhizhi', () => {
  const record = structuredClone(records[300].record);
  const signed = {};
  for (const f of ['algorithm', 'title', 'inputs_hash', 'commitment', 'seed', 'inputs', 'results']) signed[f] = record[f];
  record.notary = { name: '公证员', record_hash: sha256Hex(canonical(signed)) };
  bothAccept(record, 300, 'signed record');
  record.notary.record_hash = flip(record.notary.record_hash);
  bothRefuse(record, 'notary.record_hash', 'signed record, hash flipped');
});

for (const [what, place, mutate] of tamperings) {
  test(`tampered (${what}): both verifiers refuse at ${place}`, () => {
    for (const households of [300, 1544]) {
      const record = structuredClone(records[households].record);
      mutate(record);
      bothRefuse(record, place, `${what}, ${households} households`);
    }
  });
}

// A record sealed here: hashes, seed and results computed by the JS side from `inputs`.
function seal(inputs, secret, entropy) {
  const inputsHash = sha256Hex(canonical(inputs));
  const commitment = sha256Hex(`zhizhi-lottery/1|commit|${inputsHash}|${secret}`);
  const value = sha256Hex(`zhizhi-lottery/1|seed|${commitment}|${secret}|${entropy}`);
  return {
    algorithm: { name: 'zhizhi-lottery', version: 1 }, title: inputs.title, inputs_hash: inputsHash,
    commitment, seed: { secret, entropy, value }, inputs, results: draw(checkInputs(inputs), value),
  };
}

const nulls = (record) => record.results.flatMap((r) => [...r.flat, ...r.parking, ...r.farm_room]).filter((x) => x === null).length;

test('records sealed with unusual inputs verify in both verifiers', () => {
  const cases = [
    ['items without a candidate are null and read no word', (i) => {
      i.pools.parking.splice(0, 150);
      i.pools.flat = i.pools.flat.filter((f, k) => f.type !== 'C' || k % 3);
    }],
    ['absent optional fields', (i) => {
      delete i.rules;
      delete i.pools.farm_room;
      i.households.forEach((h, k) => {
        if (k % 2) { delete h.parking; delete h.farm_room; }
        if (k % 7 === 0) delete h.flats;
      });
    }],
    // UTF-16 order would put U+1F600 (a surrogate pair) before U+FF01; UTF-8 order puts it after.
    ['ids sorted by UTF-8 bytes', (i) => {
      [i.households[0].id, i.households[1].id, i.households[2].id] = ['H\uFF01', 'H\u{1F600}', 'Hé'];
      [i.pools.parking[0].id, i.pools.parking[1].id] = ['P\u{1F600}', 'P\uFF01'];
    }],
    ['three tiers, several rules per household', (i) => {
      i.rules.push({ tag: 't5', name: '五级', tier: 5 });
      i.households.forEach((h, k) => {
        if (k % 5 === 0) h.tags = ['t5', ...(k % 10 === 0 ? ['disabled', 'elderly'] : [])];
      });
    }],
    ['a single household', (i) => { i.households = i.households.slice(0, 1); }],
  ];
  const base = records[300].record.inputs;
  for (const [what, change] of cases) {
    const inputs = structuredClone(base);
    change(inputs);
    const record = seal(inputs, SECRET, '公证 07\t"23"\\\u0001\u2028 ✓');
    bothAccept(record, inputs.households.length, what);
    if (what.startsWith('items without')) {
      assert.ok(nulls(record) > 100, `${what}: ${nulls(record)} nulls`);
      // A null where the draw gives one, and an id where it gives null, are both named.
      const at = record.results.findIndex((r) => r.parking.includes(null));
      const taken = structuredClone(record);
      taken.results[at].parking = taken.results[at].parking.map(() => 'P-9999');
      bothRefuse(taken, `results[${at}] (order ${at + 1})`, `${what}: an id for a null`);
    }
  }
});
