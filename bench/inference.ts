// Encode and decode throughput of the imported ConceptCaps model pack on this machine, per
// onnxruntime batch size. Run: npx tsx bench/inference.ts [--device cpu|cuda] [--threads n]
//
// Imports vae_final.pth into a temp folder, then for each batch size runs the same 65,536
// rows through encode and decode (one warm-up pass, then several timed ones) and reports the
// median rows/s. Timings on a shared machine are noisy: compare rows within one run.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { clearVaeSessionCache, type Device, loadVaeSession } from '../core/generation/index.js';
import { loadTaxonomy } from '../core/inputs/index.js';
import { rowStream, Stage } from '../core/rng.js';
import { importCheckpoint } from '../models/import-checkpoint.js';
import { conceptcaps } from '../test/helpers/conceptcaps.js';

const BATCH_SIZES = [256, 2048, 8192];
const ROWS = 65_536;
const REPETITIONS = 5;

const { values: args } = parseArgs({
  options: {
    device: { type: 'string', default: 'cpu' },
    threads: { type: 'string', default: '0' },
  },
});
const device = args.device as Device;
const threads = Number(args.threads);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timeRowsPerSecond(run: () => Promise<unknown>): Promise<number> {
  await run(); // warm-up: first-run allocations, thread-pool start
  const rates: number[] = [];
  for (let i = 0; i < REPETITIONS; i++) {
    const start = process.hrtime.bigint();
    await run();
    rates.push(ROWS / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  return median(rates);
}

const dir = mkdtempSync(join(tmpdir(), 'tagflow-bench-inference-'));
try {
  const taxonomy = loadTaxonomy(conceptcaps('concepts_to_tags.json'));
  const packDir = join(dir, 'conceptcaps');
  const meta = await importCheckpoint({
    checkpointPath: conceptcaps('vae_final.pth'),
    taxonomy,
    outDir: packDir,
  });
  const { inputDim: D, latentDim: L } = meta;

  // Inputs shaped like the pipeline's: multi-hot rows of ~8 tags, standard-normal z.
  const x = new Float32Array(ROWS * D);
  const z = new Float32Array(ROWS * L);
  const temperature = new Float32Array(ROWS);
  for (let row = 0; row < ROWS; row++) {
    const stream = rowStream({ seed: 1, stage: Stage.Latent, temperatureIndex: 0, row });
    for (let k = 0; k < 8; k++) x[row * D + stream.int(D)] = 1;
    stream.fillNormal(z, row * L, L);
    temperature[row] = [0.5, 1, 2][row % 3];
  }

  const results: { batch: number; encode: number; decode: number; device: Device }[] = [];
  for (const batchSize of BATCH_SIZES) {
    const session = await loadVaeSession({ packDir, taxonomy, device, threads, batchSize });
    const encode = await timeRowsPerSecond(() => session.encode(x, ROWS));
    const decode = await timeRowsPerSecond(() => session.decode(z, temperature, ROWS));
    results.push({ batch: batchSize, encode, decode, device: session.device });
  }

  const k = (v: number) => `${(v / 1000).toFixed(0)}k`;
  console.log(
    `ConceptCaps model pack (D=${D}, H=${meta.hiddenDim}, L=${L}), ${ROWS} rows per pass, median of ${REPETITIONS}; ` +
      `device ${results[0].device}, threads ${threads || `default (${availableParallelism()} cores)`}`,
  );
  console.log('| batch | encode rows/s | decode rows/s |');
  console.log('| ----: | ------------: | ------------: |');
  for (const r of results) {
    console.log(
      `| ${String(r.batch).padStart(5)} | ${k(r.encode).padStart(13)} | ${k(r.decode).padStart(13)} |`,
    );
  }
} finally {
  await clearVaeSessionCache();
  rmSync(dir, { recursive: true, force: true });
}
