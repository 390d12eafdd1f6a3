// Scores `zhizhi linkage run --out FILE` against the truth that `zhizhi linkage feeds` wrote apart:
// pairwise precision and recall with the confusion counts, and the planted hard negatives (twins,
// namesakes) that were wrongly made one.
//
//   node bench/linkage/evaluate.mjs --feeds DIR --links FILE [--min-precision P --min-recall R]
//                                   [--max-joined-hard-negatives N]
//
// With --min-precision/--min-recall it exits 1 when a figure is below (for ctest).
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
if (!args.feeds || !args.links) {
  console.error('usage: evaluate.mjs --feeds DIR --links FILE [--min-precision P] [--min-recall R]');
  process.exit(2);
}

async function lines(file, fn) {
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of rl) if (line) fn(line);
}

const truth = new Map(); // "source\tsource_id" → true entity
let header = true;
await lines(`${args.feeds}/truth/people.csv`, (line) => {
  if (header) return void (header = false);
  const [source, sourceId, entity] = line.split(',');
  truth.set(`${source}\t${sourceId}`, entity);
});

const cells = new Map(); // "pred\ttrue" → n
const predicted = new Map();
const actual = new Map();
const predictedOf = new Map(); // true entity → set of predicted entities (for the hard negatives)
let records = 0;
let unknown = 0;
await lines(args.links, (line) => {
  const r = JSON.parse(line);
  const t = truth.get(`${r.source}\t${r.source_id}`);
  if (t === undefined) return void ++unknown;
  ++records;
  const p = String(r.entity);
  cells.set(`${p}\t${t}`, (cells.get(`${p}\t${t}`) ?? 0) + 1);
  predicted.set(p, (predicted.get(p) ?? 0) + 1);
  actual.set(t, (actual.get(t) ?? 0) + 1);
  if (!predictedOf.has(t)) predictedOf.set(t, new Set());
  predictedOf.get(t).add(p);
});
const pairs = (n) => (n * (n - 1)) / 2;
const sum = (m) => [...m.values()].reduce((s, n) => s + pairs(n), 0);
const tp = sum(cells);
const fp = sum(predicted) - tp;
const fn = sum(actual) - tp;
const precision = tp / (tp + fp || 1);
const recall = tp / (tp + fn || 1);

// Hard negatives: a pair is wrongly joined when the two people share a predicted entity.
const joined = {};
const planted = {};
header = true;
await lines(`${args.feeds}/truth/hard_negatives.csv`, (line) => {
  if (header) return void (header = false);
  const [kind, a, b] = line.split(',');
  planted[kind] = (planted[kind] ?? 0) + 1;
  const pa = predictedOf.get(a) ?? new Set();
  const pb = predictedOf.get(b) ?? new Set();
  if ([...pa].some((p) => pb.has(p))) joined[kind] = (joined[kind] ?? 0) + 1;
});

const report = {
  records, unknown_records: unknown,
  true_entities: actual.size, predicted_entities: predicted.size,
  pairs: { true_positive: tp, false_positive: fp, false_negative: fn },
  precision: Number(precision.toFixed(5)), recall: Number(recall.toFixed(5)),
  hard_negatives: Object.fromEntries(Object.keys(planted).map((k) => [k, { planted: planted[k], joined: joined[k] ?? 0 }])),
};
console.log(JSON.stringify(report, null, 2));
const maxJoined = args['max-joined-hard-negatives'] !== undefined ? Number(args['max-joined-hard-negatives']) : null;
const joinedTotal = Object.values(joined).reduce((a, b) => a + b, 0);
if (maxJoined !== null && joinedTotal > maxJoined) {
  console.error(`${joinedTotal} planted twin or namesake pairs were made one person`);
  process.exit(1);
}
const minP = args['min-precision'] ? Number(args['min-precision']) : null;
const minR = args['min-recall'] ? Number(args['min-recall']) : null;
if ((minP !== null && precision < minP) || (minR !== null && recall < minR)) {
  console.error(`below the bar: precision ${precision} (min ${minP}), recall ${recall} (min ${minR})`);
  process.exit(1);
}
