// Fits a temperature's tag bias on a calibration sample: the first `rows` latent rows of that
// temperature, drawn from exactly the streams generation uses, decoded once, then selected
// again at every fixed-point step (tag-calibration.ts). The decoding drives the model (on the
// caller's thread); the steps are plain data in and out (`fitCalibrationBias`), so the caller
// may run them elsewhere (`fit`: the worker runs them on a stage thread).
import type { CountModel } from '../counts/index.js';
import type { Taxonomy } from '../inputs/index.js';
import { RowStream, Stage, StreamFamily } from '../rng.js';
import { Mode } from '../rows/index.js';
import { BatchSelector } from './batch-selector.js';
import { type CountCouplingCalibration, coupledCountSampler } from './count-coupling.js';
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
  /** z-coupled counts (count-coupling.ts): drawn from the biased probabilities at every step. */
  coupling?: CountCoupling;
  selection: SelectionPolicy;
  /** The corpus's tag shares (categoryShares). */
  target: Float64Array;
  steps: number;
  rows: number;
  batchSize: number;
  /** Runs the fixed-point steps (default: `fitCalibrationBias` on this thread). */
  fitSteps?: (params: CalibrationFitParams) => Promise<FittedBias>;
}

/** What z-coupled counts are made from: the count model and the temperature's calibration. */
export interface CountCoupling {
  model: CountModel;
  calibration: CountCouplingCalibration;
}

/** The fixed-point steps' inputs, as plain data. */
export interface CalibrationFitParams {
  taxonomy: Taxonomy;
  selection: SelectionPolicy;
  seed: number;
  temperatureIndex: number;
  /** The sample's decoded probabilities, rows × D. */
  probs: Float32Array;
  /** The sample's requested counts, rows × C (independent counts; unused under coupling). */
  requests: Uint8Array;
  rows: number;
  target: Float64Array;
  steps: number;
  batchSize: number;
  coupling?: CountCoupling;
}

export interface FittedBias {
  bias: Float32Array;
  meanJs: number[];
}

export async function calibrateTags(params: CalibrateTagsParams): Promise<TagCalibration> {
  const { taxonomy, seed, temperatureIndex, temperature, rows, coupling } = params;
  const C = taxonomy.categories.length;
  const D = taxonomy.size;
  const inputs = new LatentInputs({ ...params, bias: undefined });
  const probs = new Float32Array(rows * D);
  const requests = new Uint8Array(rows * C);
  const buffers = inputs.buffers(Math.min(rows, params.batchSize));
  for (let first = 0; first < rows; first += params.batchSize) {
    const n = Math.min(params.batchSize, rows - first);
    const generated = await params.runner.generate(
      inputs.fill(first, n, buffers, coupling ? undefined : params.counts),
    );
    if (!('probs' in generated)) throw new Error('calibration: expected probabilities');
    probs.set(generated.probs, first * D);
    if (!coupling) requests.set(buffers.requests.subarray(0, n * C), first * C);
  }
  const fitSteps = params.fitSteps ?? fitCalibrationBias;
  const { bias, meanJs } = await fitSteps({
    taxonomy,
    selection: params.selection,
    seed,
    temperatureIndex,
    probs,
    requests,
    rows,
    target: params.target,
    steps: params.steps,
    batchSize: params.batchSize,
    coupling,
  });
  return { temperatureIndex, temperature, bias: Array.from(bias), meanJs, rows };
}

/** The fixed-point steps over a decoded calibration sample (tag-calibration.ts). */
export async function fitCalibrationBias(params: CalibrationFitParams): Promise<FittedBias> {
  const { taxonomy, seed, temperatureIndex, probs, requests, rows, batchSize } = params;
  const C = taxonomy.categories.length;
  const D = taxonomy.size;
  const coupledCounts = params.coupling && coupledCountSampler({ ...params.coupling, taxonomy });
  // The count streams generation draws the sample's counts from (LatentInputs.countStreams).
  const countStreams = new StreamFamily({ seed, stage: Stage.LatentCounts, temperatureIndex });
  const selector = new BatchSelector(
    taxonomy,
    params.selection,
    seed,
    { temperatureIndex },
    Mode.latent,
  );
  const stream = new RowStream();
  const picked = new Float64Array(D);
  return fitTagBias({
    taxonomy,
    probs,
    n: rows,
    target: params.target,
    steps: params.steps,
    select: (biased, n) => {
      if (coupledCounts) {
        for (let i = 0; i < n; i++)
          coupledCounts.sampleRow(biased, i, countStreams.seek(stream, i), requests, i * C);
      }
      picked.fill(0);
      // Selection in slices: `sample` keeps per-row scratch of n × D tags.
      for (let first = 0; first < n; first += batchSize) {
        const m = Math.min(batchSize, n - first);
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
      }
      return picked;
    },
  });
}
