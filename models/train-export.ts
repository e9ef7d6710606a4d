// A trained BetaVAE → a model pack whose model.json says how it was made: the training
// config, the corpus it saw (name, sha256, rows), the split, the epochs and the final losses.
// No timestamps: the same training run always gives byte-identical packs.
import type { Taxonomy } from '../core/inputs/index.js';
import { type ModelPackMeta, writeModelPack } from './model-pack.js';
import type { TrainResult } from './train-config.js';

/** What model.json's `provenance` holds for a trained pack. */
export interface TrainedProvenance {
  kind: 'trained';
  trainer: string;
  config: TrainResult['config'];
  corpus: { source: string; sha256: string; rows: number };
  split: TrainResult['split'];
  epochs: number;
  bestEpoch: number;
  stoppedEarly: boolean;
  finalLosses: TrainResult['finalLosses'];
  /** How the losses are defined (see models/train-metrics.ts). */
  losses: string;
  [k: string]: unknown;
}

export const LOSS_DEFINITION =
  'per row: BCE summed over tags + beta * KL summed over latent dims, averaged over rows; ' +
  'train = epoch mean over mini-batches (input dropout, sampled z); validation = no dropout, ' +
  'z = mu + sigma * eps with eps fixed per corpus row by the seed; BCE logs clamped at -100';

export function trainedProvenance(params: {
  result: TrainResult;
  corpus: { source: string; sha256: string; rows: number };
}): TrainedProvenance {
  const { result, corpus } = params;
  return {
    kind: 'trained',
    trainer: `tagflow BetaVAE trainer (TensorFlow.js ${result.tfjsVersion}, ${result.config.backend} backend)`,
    config: result.config,
    corpus,
    split: result.split,
    epochs: result.epochs,
    bestEpoch: result.bestEpoch,
    stoppedEarly: result.stoppedEarly,
    finalLosses: result.finalLosses,
    losses: LOSS_DEFINITION,
  };
}

/** Writes `result`'s weights as a model pack in `outDir` (atomically; see writeModelPack). */
export function writeTrainedPack(params: {
  result: TrainResult;
  taxonomy: Taxonomy;
  corpus: { source: string; sha256: string; rows: number };
  outDir: string;
}): Promise<ModelPackMeta> {
  return writeModelPack({
    weights: params.result.weights,
    taxonomy: params.taxonomy,
    provenance: trainedProvenance(params),
    outDir: params.outDir,
  });
}
