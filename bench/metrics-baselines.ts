// Reference points for the evaluation metrics, measured on the real reference corpus
// (musiccaps_distilled.csv), plus the evaluator's streaming throughput.
//
//   npx tsx bench/metrics-baselines.ts [--seeds 5] [--rows 1000000]
//
// Baselines (co-occurrence r / mean JS distance, each against the reference):
// - half vs half: a seeded shuffle splits the corpus into two halves (~945 rows each); one is
//   evaluated against the other. The noise ceiling: no generator can expect to beat it at
//   this sample size.
// - random, uniform: each reference row keeps its per-category tag counts; that many tags are
//   drawn uniformly without replacement from each category.
// - random, tempered frequencies: as above, but tags are drawn without replacement with
//   probability ∝ (reference count)^(1/T), T = 1 + 2v, v ~ U(0.2, 0.8) per row: the
//   ConceptCaps project's own "random tags" generator (unseen tags count 1); and the same with
//   one fixed T = 2.25.
import { parseArgs } from 'node:util';
import {
  compareTagSetStats,
  evaluateTagSets,
  referenceTagSetStats,
  TagSetStats,
} from '../core/evaluation/index.js';
import type { Taxonomy } from '../core/inputs/index.js';
import { type RowStream, rowStream, Stage } from '../core/rng.js';
import { conceptcapsTaxonomy, readMusiccapsTagSets } from '../test/helpers/reference-corpus.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '5' },
    rows: { type: 'string', default: '1000000' },
  },
});
const seeds = Number(values.seeds);
const throughputRows = Number(values.rows);

const taxonomy = conceptcapsTaxonomy();
const corpus = readMusiccapsTagSets(taxonomy);
const reference = corpus.tags;

function statsOf(rows: ArrayLike<number>[]): TagSetStats {
  const stats = new TagSetStats(taxonomy);
  for (const row of rows) stats.add(row);
  return stats;
}

function shuffled<T>(items: readonly T[], stream: RowStream): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = stream.int(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function perCategoryCounts(tags: ArrayLike<number>, tax: Taxonomy): number[] {
  const counts = tax.categories.map(() => 0);
  for (let i = 0; i < tags.length; i++) counts[tax.tagCategory[tags[i]]]++;
  return counts;
}

/** Draws `k` distinct indices of `weights` without replacement, each step ∝ weight. */
function drawWeighted(weights: number[], k: number, stream: RowStream): number[] {
  const w = [...weights];
  const picked: number[] = [];
  for (let n = 0; n < k; n++) {
    let total = 0;
    for (const x of w) total += x;
    let u = stream.uniform() * total;
    let i = 0;
    while (i < w.length - 1 && (u >= w[i] || w[i] === 0)) {
      u -= w[i];
      i++;
    }
    picked.push(i);
    w[i] = 0;
  }
  return picked;
}

/** `temperature`: null = uniform; 'conceptcaps' = 1 + 2·U(0.2, 0.8) per row; or a fixed T. */
function randomSets(seed: number, temperature: null | 'conceptcaps' | number): number[][] {
  const referenceCounts = new Float64Array(taxonomy.size);
  for (const row of reference) for (const id of row) referenceCounts[id]++;
  return reference.map((row, r) => {
    const stream = rowStream({ seed, stage: Stage.Selection, temperatureIndex: 0, row: r });
    const counts = perCategoryCounts(row, taxonomy);
    const t = temperature === 'conceptcaps' ? 1 + 2 * (0.2 + 0.6 * stream.uniform()) : temperature;
    const out: number[] = [];
    taxonomy.ranges.forEach((range, c) => {
      const weights: number[] = [];
      for (let i = range.start; i < range.end; i++) {
        weights.push(t === null ? 1 : Math.max(1, referenceCounts[i]) ** (1 / t));
      }
      for (const j of drawWeighted(weights, counts[c], stream)) out.push(range.start + j);
    });
    return out;
  });
}

interface Measured {
  r: number;
  js: number;
  jsDivergence: number;
  w1: number;
}

function measure(generated: ArrayLike<number>[], against: ArrayLike<number>[]): Measured {
  const m = compareTagSetStats(statsOf(generated), statsOf(against));
  const js = Object.values(m.jsByCategory);
  return {
    r: m.cooccurrenceR ?? Number.NaN,
    js: m.meanJs,
    jsDivergence: js.reduce((s, d) => s + d * d, 0) / js.length,
    w1: m.maxW1,
  };
}

function summary(runs: Measured[], key: keyof Measured): string {
  const xs = runs.map((m) => m[key]);
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  return `${mean.toFixed(3)} ± ${sd.toFixed(3)}`;
}

const baselines: { name: string; expected: string; runs: Measured[] }[] = [
  { name: 'half vs half (noise ceiling)', expected: '0.89 / 0.12', runs: [] },
  { name: 'random, uniform in category', expected: '—', runs: [] },
  { name: 'random, tempered frequencies (ConceptCaps)', expected: '0.37 / 0.24', runs: [] },
  { name: 'random, tempered frequencies, T = 2.25', expected: '0.37 / 0.24', runs: [] },
];
for (let s = 0; s < seeds; s++) {
  const seed = 1000 + s;
  const order = shuffled(
    reference,
    rowStream({ seed, stage: Stage.Split, temperatureIndex: 0, row: 0 }),
  );
  const half = Math.floor(order.length / 2);
  baselines[0].runs.push(measure(order.slice(0, half), order.slice(half)));
  baselines[1].runs.push(measure(randomSets(seed, null), reference));
  baselines[2].runs.push(measure(randomSets(seed, 'conceptcaps'), reference));
  baselines[3].runs.push(measure(randomSets(seed, 2.25), reference));
}

console.log(`reference: ${corpus.source}, ${reference.length} rows; ${seeds} seeds (mean ± sd)\n`);
console.log(
  '| baseline | co-occurrence r | mean JS distance | mean JS divergence | max W1 | issue (r / JS) |',
);
console.log('| --- | --- | --- | --- | --- | --- |');
for (const b of baselines) {
  console.log(
    `| ${b.name} | ${summary(b.runs, 'r')} | ${summary(b.runs, 'js')} | ${summary(b.runs, 'jsDivergence')} | ${summary(b.runs, 'w1')} | ${b.expected} |`,
  );
}

// Throughput: reference rows replayed as generated rows over 2 modes × 7 temperature indices.
const temperatures = [0.5, 0.75, 1.0, 1.0, 1.25, 1.5, 2.0];
function* replay(n: number) {
  for (let i = 0; i < n; i++) {
    const t = i % temperatures.length;
    yield {
      mode: i % 2 === 0 ? 'seeded' : 'latent',
      temperatureIndex: t,
      temperature: temperatures[t],
      tags: reference[i % reference.length],
    };
  }
}
const referenceStart = performance.now();
referenceTagSetStats(taxonomy, corpus);
const referenceMs = performance.now() - referenceStart;
const start = performance.now();
const report = evaluateTagSets({ taxonomy, reference: corpus, rows: replay(throughputRows) });
const ms = performance.now() - start;
console.log(
  `\nthroughput: ${throughputRows.toLocaleString('en')} rows into 1 + 2 + 14 accumulators in ${(ms / 1000).toFixed(2)} s ` +
    `(${Math.round(throughputRows / (ms / 1000)).toLocaleString('en')} rows/s; reference alone ${referenceMs.toFixed(0)} ms); ` +
    `overall r = ${report.overall.cooccurrenceR?.toFixed(3)}, heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB`,
);
