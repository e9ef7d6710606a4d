// How unique can N rows be when they match the corpus's tag frequencies and tag counts?
//
//   npx tsx bench/uniqueness-ceiling.ts [--rows 14000,100000,1000000] [--seed 42]
//        [--tagflow <run folder>...]
//
// The generator measured here has no co-occurrence at all, which only spreads rows out: each
// row takes a random corpus row's tag count per category (counts exactly as the corpus has
// them, W1 = 0) and draws that many tags of each category without replacement, in proportion
// to the corpus frequency raised to α (α = 1: the corpus's own frequencies; α < 1 flattens
// them). Its unique ratio is what independence buys; a generator that also keeps the corpus's
// co-occurrence (r ≥ 0.9) concentrates rows more, so it sits below this line. Each line reports
// the mean Jensen–Shannon distance of the drawn tag frequencies to the corpus, scored by
// core/evaluation as the run report does.
//
// --tagflow prints, for each run folder given (an artifact store's runs/<id>), the unique ratio
// its dedupe stage recorded (dedupe/report.json), for the table beside the ceiling.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  categoryShares,
  jensenShannonDistance,
  KeySet64,
  tagSetKey,
} from '../core/evaluation/index.js';
import { loadTaxonomy, readTagCorpus } from '../core/inputs/index.js';
import { rowStream, Stage } from '../core/rng.js';
import { conceptcaps } from '../test/helpers/conceptcaps.js';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '14000,100000,1000000' },
    alphas: { type: 'string', default: '1,0.85,0.7' },
    seed: { type: 'string', default: '42' },
    tagflow: { type: 'string', multiple: true, default: [] },
  },
});
const sizes = args.rows.split(',').map(Number);
const alphas = args.alphas.split(',').map(Number);
const seed = Number(args.seed);
if (sizes.some((n) => !Number.isSafeInteger(n) || n <= 0))
  throw new Error('--rows: whole numbers > 0');
if (alphas.some((a) => !(a > 0 && a <= 1))) throw new Error('--alphas: numbers in (0, 1]');

const taxonomy = loadTaxonomy(conceptcaps('concepts_to_tags.json'));
const corpus = await readTagCorpus({ path: conceptcaps('musiccaps_distilled.csv'), taxonomy });
const C = taxonomy.ranges.length;
const corpusCounts = new Float64Array(taxonomy.size);
for (const row of corpus.tags) for (const t of row) corpusCounts[t]++;
const corpusShares = categoryShares(taxonomy, corpusCounts);

const corpusKeys = new KeySet64(corpus.rows * 2);
for (const row of corpus.tags) corpusKeys.add(...tagSetKey(Uint16Array.from(row).sort()));
console.log(
  `corpus: ${corpus.rows} rows, ${corpusKeys.size} distinct tag sets (${(corpusKeys.size / corpus.rows).toFixed(3)}), ` +
    `${(corpus.counts.reduce((n, k) => n + k, 0) / corpus.rows).toFixed(2)} tags a row`,
);

function meanJs(drawn: Float64Array): number {
  const shares = categoryShares(taxonomy, drawn);
  let sum = 0;
  for (const { start, end } of taxonomy.ranges)
    sum += jensenShannonDistance(corpusShares.subarray(start, end), shares.subarray(start, end));
  return sum / C;
}

/** Unique ratio and mean JS of `n` independent rows with frequencies ∝ corpus frequency^α. */
function independentRows(n: number, alpha: number): { unique: number; js: number } {
  const weights = corpusCounts.map((c) => c ** alpha);
  const stream = rowStream({ seed, stage: Stage.CountSample, temperatureIndex: 0, row: 0 });
  const keys = new KeySet64(1 << 16);
  const drawn = new Float64Array(taxonomy.size);
  const row: number[] = [];
  const taken = new Uint8Array(taxonomy.size);
  for (let i = 0; i < n; i++) {
    const source = stream.int(corpus.rows);
    row.length = 0;
    for (let c = 0; c < C; c++) {
      const { start, end } = taxonomy.ranges[c];
      const k = corpus.counts[source * C + c];
      let total = 0;
      for (let j = start; j < end; j++) total += weights[j];
      // Without replacement: draw in proportion to what is left.
      for (let picked = 0; picked < k; picked++) {
        let u = stream.uniform() * total;
        let j = start;
        for (; j < end - 1; j++) {
          if (taken[j]) continue;
          u -= weights[j];
          if (u < 0) break;
        }
        while (taken[j]) j--; // float slack at the end lands on a taken tag: step back
        taken[j] = 1;
        total -= weights[j];
        row.push(j);
        drawn[j]++;
      }
    }
    for (const j of row) taken[j] = 0;
    keys.add(...tagSetKey(Uint16Array.from(row).sort()));
  }
  return { unique: keys.size / n, js: meanJs(drawn) };
}

console.log('\n| rows | α | unique ratio | mean JS of tag frequencies |');
console.log('|---:|---:|---:|---:|');
for (const n of sizes) {
  for (const alpha of alphas) {
    const { unique, js } = independentRows(n, alpha);
    console.log(
      `| ${n.toLocaleString('en')} | ${alpha} | ${unique.toFixed(3)} | ${js.toFixed(3)} |`,
    );
  }
}

for (const folder of args.tagflow) {
  const report = JSON.parse(readFileSync(join(folder, 'dedupe', 'report.json'), 'utf8')) as {
    rowsIn: number;
    rowsOut: number;
  };
  console.log(
    `tagflow ${folder}: ${report.rowsOut.toLocaleString('en')} of ${report.rowsIn.toLocaleString('en')} rows unique (${(report.rowsOut / report.rowsIn).toFixed(3)})`,
  );
}
