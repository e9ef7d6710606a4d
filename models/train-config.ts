// The trainer's config (with ConceptCaps' defaults and its checks), progress reports and result.
import { ValidationError } from '../core/errors.js';
import type { VaeWeights } from './vae-weights.js';

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

export function checkConfig(config: Required<TrainConfig>) {
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
