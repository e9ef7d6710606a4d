// Fits a temperature's tag bias on a calibration sample: the first `rows` latent rows of that
// temperature, drawn from exactly the streams generation uses, decoded once, then selected
// again at every fixed-point step (tag-calibration.ts).
import { yieldBudget } from '../event-loop.js';
import type { Taxonomy } from '../inputs/index.js';
import { RowStream } from '../rng.js';
import { Mode } from '../rows/index.js';
import { BatchSelector } from './batch-selector.js';
import type { CoupledCountSampler } from './count-coupling.js';
import type { VaeRunner } from './generation.js';
import {
  LatentInputs,
  type LatentPrior,
  type RowCountSampler,
  type TemperatureMode,
} from './latent-inputs.js';
import type { SelectionPolicy } from './selection.js';
import { fitTagBias, type TagCalibration } from './tag-calibration.js';

export interface CalibrateTagsParams {
  runner: VaeRunner;
  latentDim: number;
  taxonomy: Taxonomy;
  seed: number;
  temperatureIndex: number;
  temperature: number;
  temperatureMode: TemperatureMode;
  prior?: LatentPrior;
  counts: RowCountSampler;
  coupledCounts?: CoupledCountSampler;
  selection: SelectionPolicy;
  /** The corpus's tag shares (categoryShares). */
  target: Float64Array;
  steps: number;
  rows: number;
  batchSize: number;
}

export async function calibrateTags(params: CalibrateTagsParams): Promise<TagCalibration> {
  const { taxonomy, seed, temperatureIndex, temperature, rows, coupledCounts } = params;
  const C = taxonomy.categories.length;
  const D = taxonomy.size;
  const inputs = new LatentInputs({ ...params, bias: undefined });
  const probs = new Float32Array(rows * D);
  const requests = new Uint8Array(rows * C);
  const buffers = inputs.buffers(Math.min(rows, params.batchSize));
  for (let first = 0; first < rows; first += params.batchSize) {
    const n = Math.min(params.batchSize, rows - first);
    const generated = await params.runner.generate(
      inputs.fill(first, n, buffers, coupledCounts ? undefined : params.counts),
    );
    if (!('probs' in generated)) throw new Error('calibration: expected probabilities');
    probs.set(generated.probs, first * D);
    if (!coupledCounts) requests.set(buffers.requests.subarray(0, n * C), first * C);
  }
  const selector = new BatchSelector(
    taxonomy,
    params.selection,
    seed,
    { temperatureIndex },
    Mode.latent,
  );
  const stream = new RowStream();
  const picked = new Float64Array(D);
  // The steps run on the event loop's thread (the runner's queue lives there): they yield.
  const pause = yieldBudget();
  const { bias, meanJs } = await fitTagBias({
    taxonomy,
    probs,
    n: rows,
    target: params.target,
    steps: params.steps,
    pause,
    select: async (biased, n) => {
      if (coupledCounts) {
        for (let i = 0; i < n; i++) {
          coupledCounts.sampleRow(biased, i, inputs.countStreams.seek(stream, i), requests, i * C);
          if (i % 1024 === 1023) await pause();
        }
      }
      picked.fill(0);
      // Selection in slices: `sample` keeps per-row scratch of n × D tags.
      for (let first = 0; first < n; first += params.batchSize) {
        const m = Math.min(params.batchSize, n - first);
        const batch = {
          probs: biased.subarray(first * D, (first + m) * D),
          n: m,
          requests: requests.subarray(first * C, (first + m) * C),
        };
        const { tags, counts, packed } = selector.select(batch, first);
        let at = 0;
        for (let i = 0; i < m; i++) {
          const from = packed ? at : i * D;
          for (let k = 0; k < counts[i]; k++) picked[tags[from + k]]++;
          at += counts[i];
        }
        await pause();
      }
      return picked;
    },
  });
  return { temperatureIndex, temperature, bias: Array.from(bias), meanJs, rows };
}
