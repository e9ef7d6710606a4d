// Throughput of the count model's hot path: countSampler.sampleRow, per generated row.
//   npx tsx bench/count-sampler.ts [rows]
// Three lines, measured side by side in one run: creating the row's keyed stream alone,
// stream + sampleRow (what generation does per row), and sampleRow on a reused stream.
// Keys are object literals: spreading a shared key object (`{ ...key, row }`) per row makes
// stream creation ~7× slower in V8 and would dominate the measurement.
import { countModelFromParams, countSampler, NOTEBOOK_COUNT_PARAMS } from '../core/counts/index.js';
import { rowStream, Stage } from '../core/rng.js';

const rows = Number(process.argv[2] ?? 1_000_000);
const model = countModelFromParams({
  ...NOTEBOOK_COUNT_PARAMS,
  categories: [...NOTEBOOK_COUNT_PARAMS.categories],
  correlation: NOTEBOOK_COUNT_PARAMS.correlation.map((row) => [...row]),
});
const sampler = countSampler(model);
const out = new Uint8Array(rows * sampler.categories);
const seed = 1;
const stage = Stage.SeededCounts;

function time(label: string, body: () => number): { label: string; rowsPerSecond: number } {
  body(); // warm-up
  const start = process.hrtime.bigint();
  const checksum = body();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (Number.isNaN(checksum)) throw new Error('unreachable');
  return { label, rowsPerSecond: rows / seconds };
}

const results = [
  time('rowStream(key) only', () => {
    let sum = 0;
    for (let i = 0; i < rows; i++)
      sum += rowStream({ seed, stage, temperatureIndex: 0, row: i }).uniform();
    return sum;
  }),
  time('rowStream + sampleRow', () => {
    for (let i = 0; i < rows; i++) {
      sampler.sampleRow(
        rowStream({ seed, stage, temperatureIndex: 0, row: i }),
        out,
        i * sampler.categories,
      );
    }
    return out[rows - 1];
  }),
  time('sampleRow, reused stream', () => {
    const stream = rowStream({ seed, stage, temperatureIndex: 0, row: 0 });
    for (let i = 0; i < rows; i++) sampler.sampleRow(stream, out, i * sampler.categories);
    return out[rows - 1];
  }),
];

const base = results[1].rowsPerSecond;
console.log(`count sampler, ${rows.toLocaleString('en')} rows × ${sampler.categories} categories`);
console.log('| path | rows/s | relative to stream + sampleRow |');
console.log('| --- | ---: | ---: |');
for (const { label, rowsPerSecond } of results) {
  console.log(
    `| ${label} | ${Math.round(rowsPerSecond).toLocaleString('en')} | ${(rowsPerSecond / base).toFixed(2)}× |`,
  );
}
