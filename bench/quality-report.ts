// How real the generated tag sets look, per selection policy × mode × temperature, on the
// ConceptCaps inputs: the imported vae_final.pth, concepts_to_tags.json, the MTG-Jamendo
// catalogue, counts fitted on musiccaps_distilled.csv, evaluated against that corpus.
//
//   npx tsx bench/quality-report.ts [--latent-rows 10000] [--seed 42]
//       [--policies topk,sample,topk+coupled,sample+coupled] [--out bench/results/quality-report.md]
//   (then `npx biome format --write bench/results/quality-report.md`: biome aligns the tables)
//
// A policy is `<selection>[+coupled[:ρ]]`: the selection rule (core/generation/selection.ts), and with
// `+coupled` z-coupled counts (core/generation/count-coupling.ts, strength ρ, default the module's).
// Generation goes through core/generation/generation.ts exactly as the pipeline's chunk activities do
// (one chunk per temperature and mode; coupling applies to latent rows only), evaluation through core/evaluation/evaluation.ts (seed tags
// plus generated tags, as the evaluate stage does), on every generated row and on the rows
// the dedupe stage keeps (the first of each tag set), which is what a run's report measures.
//
// Reference points: the half-vs-half noise ceiling (the corpus split in two by a seeded
// shuffle, one half measured against the other, mean of 5 splits), and the goal for latent
// rows: co-occurrence r ≥ 0.80, mean JS ≤ 0.18, W1 ≤ 0.10 in every category.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { NOTEBOOK_TEMPERATURES } from '../core/config.js';
import { countSampler, fitCountModel, sampleCounts } from '../core/counts/index.js';
import {
  compareTagSetStats,
  KeySet64,
  type MetricSet,
  normalizeTagSet,
  referenceTagSetStats,
  TagSetEvaluator,
  TagSetStats,
  tagSetKey,
} from '../core/evaluation/index.js';
import type { SelectionPolicy } from '../core/generation/index.js';
import {
  type CountCouplingCalibration,
  calibrateCountCoupling,
  clearVaeSessionCache,
  coupledCountSampler,
  DEFAULT_CALIBRATION_ROWS,
  DEFAULT_COUPLING_STRENGTH,
  generateLatentBatches,
  generateSeededBatches,
  loadVaeSession,
} from '../core/generation/index.js';
import { loadTaxonomy, readCatalogue, readTagCorpus } from '../core/inputs/index.js';
import { rowStream, Stage } from '../core/rng.js';
import { GeneratedRowsView, MODE_NAMES } from '../core/rows/index.js';
import { importCheckpoint } from '../models/import-checkpoint.js';
import { conceptcaps } from '../test/helpers/conceptcaps.js';

const { values: args } = parseArgs({
  options: {
    'latent-rows': { type: 'string', default: '10000' },
    seed: { type: 'string', default: '42' },
    policies: { type: 'string', default: 'topk,sample,topk+coupled,sample+coupled' },
    'calibration-rows': { type: 'string', default: String(DEFAULT_CALIBRATION_ROWS) },
    out: { type: 'string' },
  },
});
const latentRows = Number(args['latent-rows']);
const calibrationRows = Number(args['calibration-rows']);
const seed = Number(args.seed);
const temperatures = NOTEBOOK_TEMPERATURES;
const GOAL = { r: 0.8, meanJs: 0.18, w1: 0.1 };
const BATCH = 2048;

interface Policy {
  name: string;
  selection: SelectionPolicy;
  /** Coupling strength ρ; undefined: counts independent of z. */
  strength?: number;
}

function parsePolicy(spec: string): Policy {
  const [selection, coupling] = spec.split('+');
  if (selection !== 'topk' && selection !== 'sample') {
    throw new Error(`--policies: unknown selection "${selection}" in "${spec}" (topk or sample)`);
  }
  if (coupling === undefined) return { name: spec, selection };
  const [word, rho] = coupling.split(':');
  if (word !== 'coupled') throw new Error(`--policies: expected "+coupled[:ρ]" in "${spec}"`);
  const strength = rho === undefined ? DEFAULT_COUPLING_STRENGTH : Number(rho);
  if (!(strength >= 0 && strength <= 1)) throw new Error(`--policies: ρ must be in [0, 1]`);
  return { name: spec, selection, strength };
}
const policies = args.policies.split(',').map(parsePolicy);

const taxonomy = loadTaxonomy(conceptcaps('concepts_to_tags.json'));
const corpusPath = conceptcaps('musiccaps_distilled.csv');
const corpus = await readTagCorpus({ path: corpusPath, taxonomy });
const catalogue = await readCatalogue({
  path: conceptcaps('mtg_jamendo_top50tags_cleaned.csv'),
  taxonomy,
});
const model = fitCountModel({
  categories: corpus.categories,
  counts: corpus.counts,
  rows: corpus.rows,
});
const seededCounts = sampleCounts(model, { n: catalogue.rows, seed, stage: Stage.SeededCounts });
const independentCounts = countSampler(model);
const reference = { source: 'musiccaps_distilled.csv', tags: corpus.tags };
const seedCategories = ['genre', 'instrument', 'mood'].map((c) => taxonomy.categories.indexOf(c));

const packDir = join(mkdtempSync(join(tmpdir(), 'tagflow-quality-')), 'pack');
await importCheckpoint({ checkpointPath: conceptcaps('vae_final.pth'), taxonomy, outDir: packDir });
const runner = await loadVaeSession({ packDir, taxonomy });
const L = runner.meta.latentDim;

const calibrations = new Map<number, CountCouplingCalibration>();
async function calibration(temperatureIndex: number): Promise<CountCouplingCalibration> {
  let found = calibrations.get(temperatureIndex);
  if (!found) {
    found = await calibrateCountCoupling({
      runner,
      latentDim: L,
      taxonomy,
      seed,
      temperatureIndex,
      temperature: temperatures[temperatureIndex],
      rows: calibrationRows,
    });
    calibrations.set(temperatureIndex, found);
  }
  return found;
}

interface Row {
  policy: string;
  /** `generated`: every row; `deduped`: first occurrences only, what the evaluate stage sees. */
  set: 'generated' | 'deduped';
  mode: string;
  temperature: string;
  metrics: MetricSet;
}
const results: Row[] = [];
const tags = new Uint16Array(taxonomy.size);
const sorted = new Int32Array(taxonomy.size);
const started = performance.now();

for (const policy of policies) {
  const evaluators = {
    generated: new TagSetEvaluator({ taxonomy, reference }),
    deduped: new TagSetEvaluator({ taxonomy, reference }),
  };
  // The dedupe stage's rule: a tag set (seeds ∪ generated) counts once, first in the order
  // (temperature index, mode, row), which is the order rows are produced here.
  const seen = new KeySet64();
  for (let t = 0; t < temperatures.length; t++) {
    const common = {
      runner,
      latentDim: L,
      taxonomy,
      seed,
      batchSize: BATCH,
      selection: policy.selection,
    };
    const coupledCounts =
      policy.strength === undefined
        ? undefined
        : coupledCountSampler({
            model,
            taxonomy,
            calibration: await calibration(t),
            strength: policy.strength,
          });
    const chunk = (rows: number) => ({
      temperatureIndex: t,
      temperature: temperatures[t],
      rowStart: 0,
      rowEnd: rows,
    });
    const sources = [
      generateSeededBatches({
        ...common,
        chunk: chunk(catalogue.rows),
        catalogue,
        counts: seededCounts,
        seedCategories,
      }),
      generateLatentBatches({
        ...common,
        chunk: chunk(latentRows),
        counts: independentCounts,
        coupledCounts,
      }),
    ];
    for (const source of sources) {
      for await (const batch of source) {
        const view = new GeneratedRowsView(batch);
        for (let i = 0; i < view.length; i++) {
          const seeds = view.tags('seed_tags', i);
          const generated = view.tags('generated_tags', i);
          tags.set(seeds, 0);
          tags.set(generated, seeds.length);
          const row = {
            mode: MODE_NAMES[view.mode[i]],
            temperatureIndex: t,
            temperature: temperatures[t],
            tags: tags.subarray(0, seeds.length + generated.length),
          };
          evaluators.generated.add(row);
          const [hi, lo] = tagSetKey(normalizeTagSet(row.tags, taxonomy.size, sorted, 'row'));
          if (seen.add(hi, lo)) evaluators.deduped.add(row);
        }
      }
    }
  }
  for (const set of ['generated', 'deduped'] as const) {
    const report = evaluators[set].report();
    const base = { policy: policy.name, set };
    for (const g of report.byGroup) {
      const label = `${g.temperature}${temperatures.indexOf(g.temperature) !== g.temperatureIndex ? ` (#${g.temperatureIndex + 1})` : ''}`;
      results.push({ ...base, mode: g.mode, temperature: label, metrics: g.metrics });
    }
    for (const [mode, metrics] of Object.entries(report.byMode)) {
      results.push({ ...base, mode, temperature: 'all', metrics });
    }
    results.push({ ...base, mode: 'all', temperature: 'all', metrics: report.overall });
  }
  console.error(`${policy.name}: done at ${((performance.now() - started) / 1000).toFixed(0)} s`);
}
await clearVaeSessionCache();
rmSync(dirname(packDir), { recursive: true, force: true });

// The noise ceiling: one half of the corpus against the other, mean over 5 shuffles.
const ceiling = { r: 0, meanJs: 0, maxW1: 0 };
const SPLITS = 5;
for (let s = 0; s < SPLITS; s++) {
  const order = [...corpus.tags];
  const stream = rowStream({ seed: 1000 + s, stage: Stage.Split, temperatureIndex: 0, row: 0 });
  for (let i = order.length - 1; i > 0; i--) {
    const j = stream.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const half = Math.floor(order.length / 2);
  const a = new TagSetStats(taxonomy);
  for (const row of order.slice(0, half)) a.add(row);
  const m = compareTagSetStats(
    a,
    referenceTagSetStats(taxonomy, { source: 'half', tags: order.slice(half) }),
  );
  ceiling.r += (m.cooccurrenceR ?? Number.NaN) / SPLITS;
  ceiling.meanJs += m.meanJs / SPLITS;
  ceiling.maxW1 += m.maxW1 / SPLITS;
}

// What seeded rows start from: the catalogue's own tag sets against the corpus.
const catalogueStats = new TagSetStats(taxonomy);
for (const row of catalogue.tags) catalogueStats.add(row);
const catalogueMetrics = compareTagSetStats(
  catalogueStats,
  referenceTagSetStats(taxonomy, reference),
);

const meets = (m: MetricSet) =>
  (m.cooccurrenceR ?? 0) >= GOAL.r && m.meanJs <= GOAL.meanJs && m.maxW1 <= GOAL.w1;
const f3 = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));
const line = (r: Row) =>
  `| ${r.policy} | ${r.set} | ${r.metrics.rows} | ${r.mode} | ${r.temperature} | ${f3(r.metrics.cooccurrenceR)} | ${f3(r.metrics.meanJs)} | ${f3(r.metrics.maxW1)} | ${r.metrics.meanTagsPerRow.toFixed(2)} | ${r.metrics.uniqueRatio.toFixed(3)} | ${meets(r.metrics) ? 'yes' : ''} |`;
const header = [
  '| policy | rows | n | mode | temperature | co-occurrence r | mean JS | max W1 | tags/row | unique | goal |',
  '| --- | --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | :---: |',
];

const lines: string[] = [];
lines.push(
  `ConceptCaps: vae_final.pth, ${catalogue.rows} catalogue rows × ${temperatures.length} temperatures seeded, ` +
    `${latentRows} latent rows per temperature, counts fitted on musiccaps_distilled.csv (${corpus.rows} rows), seed ${seed}.`,
  '',
  `Reference points: half vs half (noise ceiling, ~${Math.floor(corpus.rows / 2)} rows each, ${SPLITS} splits): ` +
    `r ${ceiling.r.toFixed(3)}, mean JS ${ceiling.meanJs.toFixed(3)}, max W1 ${ceiling.maxW1.toFixed(3)}. ` +
    `The catalogue's own tags (what seeded rows start from): r ${f3(catalogueMetrics.cooccurrenceR)}, ` +
    `mean JS ${catalogueMetrics.meanJs.toFixed(3)}, max W1 ${catalogueMetrics.maxW1.toFixed(3)}. ` +
    `Goal for latent rows: r ≥ ${GOAL.r}, mean JS ≤ ${GOAL.meanJs}, W1 ≤ ${GOAL.w1} in every category.`,
  '',
  '### Best policy per mode (all temperatures together; ranked by r − mean JS)',
  '',
  ...header,
);
for (const set of ['generated', 'deduped'] as const) {
  for (const mode of [...MODE_NAMES, 'all']) {
    const candidates = results.filter(
      (r) => r.set === set && r.mode === mode && r.temperature === 'all',
    );
    const score = (r: Row) => (r.metrics.cooccurrenceR ?? 0) - r.metrics.meanJs;
    const best = candidates.sort((a, b) => score(b) - score(a))[0];
    if (best) lines.push(line(best));
  }
}
lines.push('', '### Per policy × mode (all temperatures)', '', ...header);
for (const r of results.filter((r) => r.temperature === 'all')) lines.push(line(r));
for (const set of ['generated', 'deduped'] as const) {
  lines.push('', `### Per policy × mode × temperature (${set} rows)`, '', ...header);
  for (const r of results.filter((r) => r.set === set && r.temperature !== 'all'))
    lines.push(line(r));
}
const text = lines.join('\n');
console.log(text);
if (args.out) {
  mkdirSync(dirname(args.out), { recursive: true });
  writeFileSync(
    args.out,
    `# Quality report\n\nGenerated by \`npx tsx bench/quality-report.ts${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}\`.\n\n${text}\n`,
  );
}
