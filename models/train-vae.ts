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
// This file owns the training loop; config in train-config.ts, rows and split in
// train-data.ts, the tfjs graph and parameters in train-tfjs.ts.
import * as tf from '@tensorflow/tfjs';
import type { Taxonomy } from '../core/inputs/index.js';
import {
  checkConfig,
  DEFAULT_TRAIN_CONFIG,
  type TrainBatchProgress,
  type TrainConfig,
  type TrainProgress,
  type TrainResult,
} from './train-config.js';
import { checkRows, shuffled, splitTrainValidation } from './train-data.js';
import { evaluateVae, multiHot, type VaeLosses } from './train-metrics.js';
import { tfjsSeed, trainStream } from './train-streams.js';
import {
  decodeLogits,
  disposeParams,
  encodeGraph,
  initialParams,
  LAYERS,
  snapshotParams,
  tfjsRunner,
  toVaeWeights,
  useTfjsBackend,
} from './train-tfjs.js';

export {
  DEFAULT_TRAIN_CONFIG,
  type TrainBackend,
  type TrainBatchProgress,
  type TrainConfig,
  type TrainProgress,
  type TrainResult,
} from './train-config.js';
export { splitTrainValidation } from './train-data.js';
export {
  evaluateVae,
  klDivergence,
  reconstructionLoss,
  type SyncVaeRunner,
  type VaeLosses,
  type VaeRunner,
} from './train-metrics.js';

export { tfjsVae, useTfjsBackend } from './train-tfjs.js';

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
