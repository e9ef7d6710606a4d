// Trains the ConceptCaps BetaVAE on a corpus of tag sets with TensorFlow.js (WASM backend by
// default, offline), and returns its weights in PyTorch layout (`VaeWeights`) for the model-pack
// builder.
//
// Model (training mode):
//   h      = relu(fc1(dropout(x)))           dropout on the input only, inverted scaling
//   mu     = fc2_mu(h);  logvar = fc2_logvar(h)
//   z      = mu + exp(½·logvar)·ε,  ε ~ N(0, I)
//   logits = fc4(relu(fc3(z)));  probs = sigmoid(logits)
// Loss per mini-batch:
//   recon  = Σ_tags BCE(x, sigmoid(logits)), averaged over the batch's rows
//            (computed from the logits, max(l, 0) − l·x + log(1 + e^−|l|): PyTorch's
//            binary_cross_entropy on sigmoid outputs without its float saturation)
//   kl     = −½·Σ_latent (1 + logvar − mu² − exp(logvar)), averaged over the batch's rows
//   loss   = recon + β·kl
// Adam (β₁ 0.9, β₂ 0.999, ε 1e-8), PyTorch's default Linear initialisation
// (U(±1/√fan_in) for weights and biases), mini-batches in a fresh seeded order each epoch
// (the last one may be short), early stopping on the validation loss of `train-metrics.ts`
// (no dropout, z sampled with ε fixed per row by the run seed); the weights of the best epoch
// are returned.
//
// Determinism: the split and the epoch orders come from core/rng.ts streams, initialisation,
// dropout masks and ε from tfjs's seeded ops with seeds drawn from core/rng.ts streams (see
// train-streams.ts): the same rows, config and seed give identical weights on the same backend.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { ValidationError } from '../core/errors.js';
import type { Taxonomy } from '../core/inputs/index.js';
import { evaluateVae, multiHot, type SyncVaeRunner, type VaeLosses } from './train-metrics.js';
import { tfjsSeed, trainStream } from './train-streams.js';
import type { Tensor, VaeWeights } from './vae-weights.js';

export {
  evaluateVae,
  klDivergence,
  reconstructionLoss,
  type SyncVaeRunner,
  type VaeLosses,
  type VaeRunner,
} from './train-metrics.js';

export type TrainBackend = 'wasm' | 'cpu';

export interface TrainConfig {
  hiddenDim: number;
  latentDim: number;
  /** Dropout rate on the input during training. */
  dropout: number;
  /** Weight of the KL term. */
  beta: number;
  learningRate: number;
  batchSize: number;
  maxEpochs: number;
  /** Stop after this many epochs without a better validation loss. */
  patience: number;
  /** Share of the rows held out for validation (at least one row each side). */
  validationFraction: number;
  seed: number;
  /** tfjs backend; WASM is several times faster than the plain-JS CPU backend. */
  backend?: TrainBackend;
}

/** ConceptCaps' settings (seed notebook: hidden 512, latent 128, dropout 0.25, β 0.25). */
export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  hiddenDim: 512,
  latentDim: 128,
  dropout: 0.25,
  beta: 0.25,
  learningRate: 5e-4,
  batchSize: 32,
  maxEpochs: 200,
  patience: 10,
  validationFraction: 0.1,
  seed: 42,
  backend: 'wasm',
};

export interface TrainProgress {
  /** 1-based. */
  epoch: number;
  maxEpochs: number;
  /** Mean mini-batch loss of the epoch (with dropout and sampled z). */
  trainLoss: number;
  valLoss: number;
  valReconstruction: number;
  valKl: number;
  /** Epoch with the lowest validation loss so far. */
  bestEpoch: number;
  elapsedMs: number;
  /** Time left if training runs to `maxEpochs` (early stopping may end it sooner). */
  etaMs: number;
}

export interface TrainBatchProgress {
  epoch: number;
  /** 1-based, within the epoch. */
  batch: number;
  batches: number;
}

export interface TrainResult {
  /** The weights of the best epoch, PyTorch layout. */
  weights: VaeWeights;
  /** The config used, defaults filled in. */
  config: Required<TrainConfig>;
  /** Epochs run. */
  epochs: number;
  bestEpoch: number;
  /** Losses of the best epoch (the returned weights). */
  finalLosses: {
    train: number;
    validation: number;
    validationReconstruction: number;
    validationKl: number;
  };
  history: TrainProgress[];
  split: { trainRows: number; validationRows: number };
  stoppedEarly: boolean;
  tfjsVersion: string;
}

const LAYERS = ['fc1', 'fc2_mu', 'fc2_logvar', 'fc3', 'fc4'] as const;
type Layer = (typeof LAYERS)[number];

/** Kernels [in, out] (tfjs's layout) and biases [out]. */
type Params = Record<Layer, { kernel: tf.Tensor2D; bias: tf.Tensor1D }>;

let wasmPathsSet = false;

/** Selects a tfjs backend, loading the WASM binary from node_modules (no network). */
export async function useTfjsBackend(backend: TrainBackend): Promise<void> {
  if (backend === 'wasm' && !wasmPathsSet) {
    const require = createRequire(import.meta.url);
    const wasm = require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');
    setWasmPaths(`${dirname(wasm)}/`);
    wasmPathsSet = true;
  }
  if (tf.getBackend() !== backend) {
    if (!(await tf.setBackend(backend))) {
      throw new Error(`tfjs backend "${backend}" failed to initialise`);
    }
  }
  await tf.ready();
}

function encodeGraph(p: Params, x: tf.Tensor2D) {
  const h = tf.fused.matMul({ a: x, b: p.fc1.kernel, bias: p.fc1.bias, activation: 'relu' });
  const mu = tf.fused.matMul({ a: h, b: p.fc2_mu.kernel, bias: p.fc2_mu.bias });
  const logvar = tf.fused.matMul({ a: h, b: p.fc2_logvar.kernel, bias: p.fc2_logvar.bias });
  return { mu, logvar };
}

function decodeLogits(p: Params, z: tf.Tensor2D): tf.Tensor2D {
  const g = tf.fused.matMul({ a: z, b: p.fc3.kernel, bias: p.fc3.bias, activation: 'relu' });
  return tf.fused.matMul({ a: g, b: p.fc4.kernel, bias: p.fc4.bias }) as tf.Tensor2D;
}

function checkConfig(config: Required<TrainConfig>) {
  const positiveInt = (name: keyof TrainConfig, value: number) => {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new ValidationError(`train config: ${name} must be a positive integer, got ${value}`);
    }
  };
  positiveInt('hiddenDim', config.hiddenDim);
  positiveInt('latentDim', config.latentDim);
  positiveInt('batchSize', config.batchSize);
  positiveInt('maxEpochs', config.maxEpochs);
  positiveInt('patience', config.patience);
  if (!(config.dropout >= 0 && config.dropout < 1)) {
    throw new ValidationError(`train config: dropout must be in [0, 1), got ${config.dropout}`);
  }
  if (!(config.beta >= 0 && Number.isFinite(config.beta))) {
    throw new ValidationError(`train config: beta must be ≥ 0, got ${config.beta}`);
  }
  if (!(config.learningRate > 0 && Number.isFinite(config.learningRate))) {
    throw new ValidationError(`train config: learningRate must be > 0, got ${config.learningRate}`);
  }
  if (!(config.validationFraction > 0 && config.validationFraction < 1)) {
    throw new ValidationError(
      `train config: validationFraction must be in (0, 1), got ${config.validationFraction}`,
    );
  }
  if (!Number.isSafeInteger(config.seed) || config.seed < 0) {
    throw new ValidationError(
      `train config: seed must be a non-negative integer, got ${config.seed}`,
    );
  }
  if (config.backend !== 'wasm' && config.backend !== 'cpu') {
    throw new ValidationError(
      `train config: backend must be "wasm" or "cpu", got ${config.backend}`,
    );
  }
}

function checkRows(rows: readonly ArrayLike<number>[], inputDim: number) {
  if (rows.length < 2) {
    throw new ValidationError(
      `training needs at least 2 rows (one to train on, one to validate), got ${rows.length}`,
    );
  }
  rows.forEach((row, r) => {
    for (let j = 0; j < row.length; j++) {
      const id = row[j];
      if (!Number.isInteger(id) || id < 0 || id >= inputDim) {
        throw new ValidationError(
          `training row ${r}: tag id ${id} is outside the taxonomy's ${inputDim} tags`,
        );
      }
    }
  });
}

/**
 * The seeded train/validation split: each row draws one uniform from its own stream and the
 * `round(rows · validationFraction)` lowest draws (at least one, at most rows − 1) are held
 * out. A row's draw does not depend on the others, so a grown corpus keeps most assignments.
 * Both index lists are ascending.
 */
export function splitTrainValidation(params: {
  rows: number;
  validationFraction: number;
  seed: number;
}): { train: Uint32Array; validation: Uint32Array } {
  const { rows, validationFraction, seed } = params;
  const keys = new Float64Array(rows);
  for (let i = 0; i < rows; i++) keys[i] = trainStream(seed, 'split', i).uniform();
  const order = Array.from({ length: rows }, (_, i) => i).sort(
    (a, b) => keys[a] - keys[b] || a - b,
  );
  const validationRows = Math.min(rows - 1, Math.max(1, Math.round(rows * validationFraction)));
  const validation = Uint32Array.from(order.slice(0, validationRows)).sort();
  const train = Uint32Array.from(order.slice(validationRows)).sort();
  return { train, validation };
}

/** Fisher–Yates over a copy of `indices`, from the epoch's shuffle stream. */
function shuffled(indices: Uint32Array, seed: number, epoch: number): Uint32Array {
  const out = indices.slice();
  const stream = trainStream(seed, 'shuffle', epoch);
  for (let i = out.length - 1; i > 0; i--) {
    const j = stream.int(i + 1);
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

function layerShapes(inputDim: number, hidden: number, latent: number) {
  return {
    fc1: [inputDim, hidden],
    fc2_mu: [hidden, latent],
    fc2_logvar: [hidden, latent],
    fc3: [latent, hidden],
    fc4: [hidden, inputDim],
  } as Record<Layer, [number, number]>;
}

/** PyTorch's default nn.Linear initialisation, from seeded tfjs draws. */
function initialParams(inputDim: number, hidden: number, latent: number, seed: number): Params {
  const stream = trainStream(seed, 'init', 0);
  const shapes = layerShapes(inputDim, hidden, latent);
  const params = {} as Params;
  for (const layer of LAYERS) {
    const [fanIn, out] = shapes[layer];
    const bound = 1 / Math.sqrt(fanIn);
    params[layer] = {
      kernel: tf.variable(
        tf.randomUniform([fanIn, out], -bound, bound, 'float32', tfjsSeed(stream)),
      ),
      bias: tf.variable(tf.randomUniform([out], -bound, bound, 'float32', tfjsSeed(stream))),
    };
  }
  return params;
}

/** tfjs [in, out] kernels → PyTorch [out, in] weights. */
function toVaeWeights(
  snapshot: Record<string, Float32Array>,
  inputDim: number,
  hidden: number,
  latent: number,
): VaeWeights {
  const shapes = layerShapes(inputDim, hidden, latent);
  const tensors: Record<string, Tensor> = {};
  for (const layer of LAYERS) {
    const [fanIn, out] = shapes[layer];
    const kernel = snapshot[`${layer}.kernel`];
    const weight = new Float32Array(out * fanIn);
    for (let i = 0; i < fanIn; i++) {
      for (let o = 0; o < out; o++) weight[o * fanIn + i] = kernel[i * out + o];
    }
    tensors[`${layer}.weight`] = { shape: [out, fanIn], data: weight };
    tensors[`${layer}.bias`] = { shape: [out], data: snapshot[`${layer}.bias`].slice() };
  }
  return {
    inputDim,
    hiddenDim: hidden,
    latentDim: latent,
    batchNorm: false,
    batchNormEps: 1e-5,
    tensors,
  };
}

/** PyTorch [out, in] weights → tfjs tensors (kernels [in, out]). */
function paramsFromWeights(weights: VaeWeights): Params {
  if (weights.batchNorm) {
    throw new ValidationError('the tfjs forward pass supports BetaVAEs without batch norm only');
  }
  const params = {} as Params;
  for (const layer of LAYERS) {
    const w = weights.tensors[`${layer}.weight`];
    const b = weights.tensors[`${layer}.bias`];
    if (!w || !b) throw new ValidationError(`VaeWeights: missing ${layer}.weight or ${layer}.bias`);
    const [out, fanIn] = w.shape;
    params[layer] = {
      kernel: tf.tidy(() => tf.transpose(tf.tensor2d(w.data, [out, fanIn]))) as tf.Tensor2D,
      bias: tf.tensor1d(b.data),
    };
  }
  return params;
}

function snapshotParams(p: Params): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const layer of LAYERS) {
    out[`${layer}.kernel`] = p[layer].kernel.dataSync() as Float32Array;
    out[`${layer}.bias`] = p[layer].bias.dataSync() as Float32Array;
  }
  return out;
}

function disposeParams(p: Params) {
  for (const layer of LAYERS) tf.dispose([p[layer].kernel, p[layer].bias]);
}

/** encode/decode (eval mode) over tfjs tensors of `p`, as plain arrays. */
function tfjsRunner(p: Params, inputDim: number, latentDim: number): SyncVaeRunner {
  return {
    encode(x, n) {
      return tf.tidy(() => {
        const { mu, logvar } = encodeGraph(p, tf.tensor2d(x, [n, inputDim]));
        return { mu: mu.dataSync() as Float32Array, logvar: logvar.dataSync() as Float32Array };
      });
    },
    decode(z, temperature, n) {
      return tf.tidy(() => {
        const logits = decodeLogits(p, tf.tensor2d(z, [n, latentDim]));
        const probs = tf.sigmoid(tf.div(logits, tf.tensor2d(temperature, [n, 1])));
        return probs.dataSync() as Float32Array;
      });
    },
  };
}

/**
 * The trainer's own forward pass (its tfjs graph, eval mode) over `weights`, for parity checks
 * against exported packs. Call `dispose()` when done.
 */
export async function tfjsVae(params: {
  weights: VaeWeights;
  backend?: TrainBackend;
}): Promise<SyncVaeRunner & { dispose(): void }> {
  await useTfjsBackend(params.backend ?? 'wasm');
  const p = paramsFromWeights(params.weights);
  return {
    ...tfjsRunner(p, params.weights.inputDim, params.weights.latentDim),
    dispose: () => disposeParams(p),
  };
}

function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  if (reason instanceof Error) return reason;
  const err = new Error(`training aborted${reason === undefined ? '' : `: ${String(reason)}`}`);
  err.name = 'AbortError';
  return err;
}

const YIELD_EVERY_MS = 50;

/**
 * Trains a BetaVAE on `rows` (each a list of global tag ids of `taxonomy`). Aborting `signal`
 * stops at the next mini-batch and rejects with the signal's reason.
 */
export async function trainVae(params: {
  taxonomy: Taxonomy;
  rows: readonly ArrayLike<number>[];
  config?: Partial<TrainConfig>;
  onProgress?: (p: TrainProgress) => void;
  /** Called after every mini-batch (for progress bars and heartbeats). */
  onBatch?: (b: TrainBatchProgress) => void;
  signal?: AbortSignal;
}): Promise<TrainResult> {
  const { taxonomy, rows, onProgress, onBatch, signal } = params;
  const config = { ...DEFAULT_TRAIN_CONFIG, ...params.config } as Required<TrainConfig>;
  checkConfig(config);
  const inputDim = taxonomy.size;
  checkRows(rows, inputDim);
  const { hiddenDim, latentDim, batchSize, beta, dropout, seed } = config;

  if (signal?.aborted) throw abortError(signal);
  await useTfjsBackend(config.backend);
  const split = splitTrainValidation({
    rows: rows.length,
    validationFraction: config.validationFraction,
    seed,
  });

  const p = initialParams(inputDim, hiddenDim, latentDim, seed);
  const variables = LAYERS.flatMap((l) => [p[l].kernel, p[l].bias]) as tf.Variable[];
  const optimizer = tf.train.adam(config.learningRate, 0.9, 0.999, 1e-8);
  const batchBuffer = new Float32Array(batchSize * inputDim);
  const runner = tfjsRunner(p, inputDim, latentDim);

  const history: TrainProgress[] = [];
  let best: { progress: TrainProgress; snapshot: Record<string, Float32Array> } | undefined;
  const started = performance.now();
  let lastYield = started;
  let step = 0;
  let stoppedEarly = false;

  try {
    for (let epoch = 1; epoch <= config.maxEpochs; epoch++) {
      const order = shuffled(split.train, seed, epoch);
      const batches = Math.ceil(order.length / batchSize);
      let lossSum = 0;
      for (let b = 0; b < batches; b++) {
        const start = b * batchSize;
        const count = Math.min(batchSize, order.length - start);
        const x = multiHot({ rows, inputDim, indices: order, start, count, out: batchBuffer });
        const stepStream = trainStream(seed, 'step', step++);
        const dropoutSeed = tfjsSeed(stepStream);
        const epsilonSeed = tfjsSeed(stepStream);
        // minimize() runs the loss under its own tape and tidies the intermediates.
        const cost = optimizer.minimize(
          () => {
            const target = tf.tensor2d(x.subarray(0, count * inputDim), [count, inputDim]);
            const input =
              dropout > 0 ? tf.dropout(target, dropout, undefined, dropoutSeed) : target;
            const { mu, logvar } = encodeGraph(p, input as tf.Tensor2D);
            const epsilon = tf.randomNormal([count, latentDim], 0, 1, 'float32', epsilonSeed);
            const z = tf.add(mu, tf.mul(epsilon, tf.exp(tf.mul(logvar, 0.5)))) as tf.Tensor2D;
            const logits = decodeLogits(p, z);
            const bce = tf.add(
              tf.sub(tf.relu(logits), tf.mul(logits, target)),
              tf.log1p(tf.exp(tf.neg(tf.abs(logits)))),
            );
            const recon = tf.mean(tf.sum(bce, 1));
            const klTerms = tf.sub(tf.sub(tf.add(logvar, 1), tf.square(mu)), tf.exp(logvar));
            const kl = tf.mean(tf.mul(tf.sum(klTerms, 1), -0.5));
            return tf.add(recon, tf.mul(kl, beta)) as tf.Scalar;
          },
          true,
          variables,
        )!;
        lossSum += cost.dataSync()[0] * count;
        cost.dispose();
        onBatch?.({ epoch, batch: b + 1, batches });
        // tfjs-wasm runs synchronously: yield now and then so timers, heartbeats and
        // cancellation get through.
        if (performance.now() - lastYield > YIELD_EVERY_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          lastYield = performance.now();
        }
        if (signal?.aborted) throw abortError(signal);
      }

      const val: VaeLosses = await evaluateVae({
        model: runner,
        rows,
        indices: split.validation,
        inputDim,
        latentDim,
        beta,
        epsilonSeed: seed,
      });
      const improved = !best || val.total < best.progress.valLoss;
      const elapsedMs = performance.now() - started;
      const progress: TrainProgress = {
        epoch,
        maxEpochs: config.maxEpochs,
        trainLoss: lossSum / order.length,
        valLoss: val.total,
        valReconstruction: val.reconstruction,
        valKl: val.kl,
        bestEpoch: improved ? epoch : best!.progress.bestEpoch,
        elapsedMs,
        etaMs: (elapsedMs / epoch) * (config.maxEpochs - epoch),
      };
      history.push(progress);
      if (improved) best = { progress, snapshot: snapshotParams(p) };
      onProgress?.(progress);
      if (epoch - progress.bestEpoch >= config.patience && epoch < config.maxEpochs) {
        stoppedEarly = true;
        break;
      }
    }
  } finally {
    disposeParams(p);
    optimizer.dispose();
  }

  const bestProgress = best!.progress;
  return {
    weights: toVaeWeights(best!.snapshot, inputDim, hiddenDim, latentDim),
    config,
    epochs: history.length,
    bestEpoch: bestProgress.epoch,
    finalLosses: {
      train: bestProgress.trainLoss,
      validation: bestProgress.valLoss,
      validationReconstruction: bestProgress.valReconstruction,
      validationKl: bestProgress.valKl,
    },
    history,
    split: { trainRows: split.train.length, validationRows: split.validation.length },
    stoppedEarly,
    tfjsVersion: tf.version_core,
  };
}
