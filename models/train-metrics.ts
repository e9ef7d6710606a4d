// The VAE's validation metrics, defined for any model that can encode and decode (the trainer's
// tfjs graph, an ONNX model pack, a TypeScript forward pass), so a trained model and an
// imported checkpoint are compared by one definition on one split.
//
//   reconstruction = mean over rows of Σ_tags BCE(x, p),  p = decode(z, temperature 1)
//   z              = mu + exp(½·logvar)·ε, ε ~ N(0, I) drawn from the row's own stream
//                    (`trainStream(epsilonSeed, 'evaluation', corpus row)`), no dropout
//   BCE(x, p)      = −[x·max(ln p, −100) + (1 − x)·max(ln(1 − p), −100)]
//                    (PyTorch's binary_cross_entropy, which clamps the logarithms at −100)
//   kl             = mean over rows of −½·Σ_latent (1 + logvar − mu² − exp(logvar))
//   total          = reconstruction + β·kl   (the negative ELBO, one-sample estimate)
//
// ε is keyed by the corpus row, not drawn afresh, so the metric is deterministic: the same
// model and rows always score the same, and two models of one latent size scored with one
// seed see the same ε — which early stopping and side-by-side comparisons need. Sampling z
// (rather than decoding mu) scores the model as it is trained and used: a decoder trained on
// sampled z can be poor at z = mu when the posterior is close to the prior (`epsilonSeed:
// null` decodes mu, for comparison).
import { ValidationError } from '../core/errors.js';
import { trainStream } from './train-streams.js';

/** Anything that runs the BetaVAE's two halves on row-major batches (n rows). */
export interface VaeRunner {
  encode(
    x: Float32Array,
    n: number,
  ):
    | { mu: Float32Array; logvar: Float32Array }
    | Promise<{ mu: Float32Array; logvar: Float32Array }>;
  decode(
    z: Float32Array,
    temperature: Float32Array,
    n: number,
  ): Float32Array | Promise<Float32Array>;
}

/** A runner that answers synchronously (the tfjs graph, the TypeScript forward pass). */
export interface SyncVaeRunner extends VaeRunner {
  encode(x: Float32Array, n: number): { mu: Float32Array; logvar: Float32Array };
  decode(z: Float32Array, temperature: Float32Array, n: number): Float32Array;
}

/** Rows `indices[start..start+count)` of a tag-id corpus as a row-major multi-hot matrix. */
export function multiHot(params: {
  rows: readonly ArrayLike<number>[];
  inputDim: number;
  indices?: ArrayLike<number>;
  start?: number;
  count?: number;
  out?: Float32Array;
}): Float32Array {
  const { rows, inputDim, indices } = params;
  const start = params.start ?? 0;
  const count = params.count ?? (indices ? indices.length : rows.length) - start;
  const out = params.out ?? new Float32Array(count * inputDim);
  out.fill(0, 0, count * inputDim);
  for (let i = 0; i < count; i++) {
    const row = rows[indices ? indices[start + i] : start + i];
    const base = i * inputDim;
    for (let j = 0; j < row.length; j++) out[base + row[j]] = 1;
  }
  return out;
}

const LOG_CLAMP = -100;

/**
 * Per-row BCE of decoded probabilities against multi-hot targets, summed over the `inputDim`
 * tags; `mean` averages the rows. `probs` and `targets` are row-major [n, inputDim].
 */
export function reconstructionLoss(params: {
  probs: Float32Array;
  targets: Float32Array;
  inputDim: number;
}): { mean: number; perRow: Float64Array } {
  const { probs, targets, inputDim } = params;
  if (probs.length !== targets.length || probs.length % inputDim !== 0) {
    throw new ValidationError(
      `reconstructionLoss: probs (${probs.length} values) and targets (${targets.length} values) must both be n × ${inputDim}`,
    );
  }
  const n = probs.length / inputDim;
  const perRow = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = i * inputDim, end = j + inputDim; j < end; j++) {
      const p = probs[j];
      const x = targets[j];
      const logP = Math.max(Math.log(p), LOG_CLAMP);
      const log1mP = Math.max(Math.log(1 - p), LOG_CLAMP);
      sum -= x * logP + (1 - x) * log1mP;
    }
    perRow[i] = sum;
    total += sum;
  }
  return { mean: n === 0 ? Number.NaN : total / n, perRow };
}

/** KL(q(z|x) ‖ N(0, I)) per row, summed over the latent dimensions; `mean` averages the rows. */
export function klDivergence(params: {
  mu: Float32Array;
  logvar: Float32Array;
  latentDim: number;
}): { mean: number; perRow: Float64Array } {
  const { mu, logvar, latentDim } = params;
  const n = mu.length / latentDim;
  const perRow = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = i * latentDim, end = j + latentDim; j < end; j++) {
      sum += 1 + logvar[j] - mu[j] * mu[j] - Math.exp(logvar[j]);
    }
    perRow[i] = -0.5 * sum;
    total += perRow[i];
  }
  return { mean: n === 0 ? Number.NaN : total / n, perRow };
}

export interface VaeLosses {
  reconstruction: number;
  kl: number;
  /** reconstruction + β·kl */
  total: number;
  rows: number;
}

/**
 * The validation metrics of `model` on `rows` (or the subset `indices`), in batches; z is
 * sampled with ε from `epsilonSeed`'s per-row streams, or is mu when `epsilonSeed` is null.
 */
export async function evaluateVae(params: {
  model: VaeRunner;
  rows: readonly ArrayLike<number>[];
  indices?: ArrayLike<number>;
  inputDim: number;
  latentDim: number;
  beta: number;
  epsilonSeed: number | null;
  batchSize?: number;
}): Promise<VaeLosses> {
  const { model, rows, indices, inputDim, latentDim, beta, epsilonSeed } = params;
  const batchSize = params.batchSize ?? 1024;
  const n = indices ? indices.length : rows.length;
  let reconstruction = 0;
  let kl = 0;
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    const targets = multiHot({ rows, inputDim, indices, start, count });
    const { mu, logvar } = await model.encode(targets, count);
    const z = mu.slice();
    if (epsilonSeed !== null) {
      const epsilon = new Float64Array(latentDim);
      for (let i = 0; i < count; i++) {
        const row = indices ? indices[start + i] : start + i;
        trainStream(epsilonSeed, 'evaluation', row).fillNormal(epsilon, 0, latentDim);
        for (let j = 0, k = i * latentDim; j < latentDim; j++, k++) {
          z[k] = mu[k] + Math.exp(0.5 * logvar[k]) * epsilon[j];
        }
      }
    }
    const probs = await model.decode(z, new Float32Array(count).fill(1), count);
    reconstruction += sumOf(reconstructionLoss({ probs, targets, inputDim }).perRow);
    kl += sumOf(klDivergence({ mu, logvar, latentDim }).perRow);
  }
  reconstruction /= n;
  kl /= n;
  return { reconstruction, kl, total: reconstruction + beta * kl, rows: n };
}

function sumOf(values: Float64Array): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}
