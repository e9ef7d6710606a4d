// `tagflow model import`: a PyTorch BetaVAE checkpoint (state_dict) → a model pack.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { ValidationError } from '../core/errors.js';
import type { Taxonomy } from '../core/inputs/index.js';
import { type ModelPackMeta, writeModelPack } from './model-pack.js';
import { readTorchStateDict } from './torch-checkpoint.js';
import {
  BATCH_NORM_LAYERS,
  expectedTensorShapes,
  type Tensor,
  type VaeDimensions,
  type VaeWeights,
} from './vae-weights.js';

/** PyTorch's BatchNorm1d default; a state_dict does not record eps. */
export const TORCH_BATCH_NORM_EPS = 1e-5;

const shapeText = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/**
 * Checks a state_dict against the BetaVAE layout and the run's taxonomy and returns its
 * weights. `where` prefixes error messages (e.g. `checkpoint vae.pth`).
 */
export function vaeWeightsFromStateDict(params: {
  tensors: Record<string, Tensor>;
  taxonomy: Taxonomy;
  where: string;
  batchNormEps?: number;
}): VaeWeights {
  const { tensors, taxonomy, where } = params;
  const present = Object.keys(tensors);
  const batchNorm = present.some((name) =>
    BATCH_NORM_LAYERS.some((layer) => name.startsWith(`${layer}.`)),
  );
  // Dimensions come from the first tensor that carries each; every shape is checked below.
  const dim = (candidates: [string, number][]): number | undefined => {
    for (const [name, axis] of candidates) {
      const shape = tensors[name]?.shape;
      if (shape && shape.length > axis) return shape[axis];
    }
    return undefined;
  };
  const inputDim = dim([
    ['fc1.weight', 1],
    ['fc4.weight', 0],
    ['fc4.bias', 0],
  ]);
  const hiddenDim = dim([
    ['fc1.weight', 0],
    ['fc1.bias', 0],
    ['fc3.weight', 0],
    ['fc3.bias', 0],
  ]);
  const latentDim = dim([
    ['fc2_mu.weight', 0],
    ['fc2_mu.bias', 0],
    ['fc3.weight', 1],
  ]);

  const expectedNames = Object.keys(
    expectedTensorShapes({ inputDim: 1, hiddenDim: 1, latentDim: 1, batchNorm }),
  );
  const missing = expectedNames.filter((name) => !(name in tensors));
  const extra = present.filter((name) => !expectedNames.includes(name));
  if (missing.length > 0 || extra.length > 0) {
    const parts = [];
    if (missing.length > 0) parts.push(`missing tensors: ${missing.join(', ')}`);
    if (extra.length > 0) parts.push(`unexpected tensors: ${extra.join(', ')}`);
    throw new ValidationError(
      `${where}: not a BetaVAE state_dict of the expected layout (${parts.join('; ')}); expected ${expectedNames.join(', ')}`,
    );
  }
  const dims: VaeDimensions = {
    inputDim: inputDim!,
    hiddenDim: hiddenDim!,
    latentDim: latentDim!,
    batchNorm,
  };
  if (dims.inputDim !== taxonomy.size) {
    throw new ValidationError(
      `${where}: the model's input dimension is ${dims.inputDim} (fc1.weight ${shapeText(tensors['fc1.weight'].shape)}), but the taxonomy has ${taxonomy.size} tags; expected fc1.weight [${dims.hiddenDim}, ${taxonomy.size}] and fc4.weight [${taxonomy.size}, ${dims.hiddenDim}]`,
    );
  }
  for (const [name, shape] of Object.entries(expectedTensorShapes(dims))) {
    const found = tensors[name].shape;
    if (shapeText(found) !== shapeText(shape)) {
      throw new ValidationError(
        `${where}: tensor "${name}" has shape ${shapeText(found)}, expected ${shapeText(shape)} (input ${dims.inputDim}, hidden ${dims.hiddenDim}, latent ${dims.latentDim})`,
      );
    }
  }
  return { ...dims, tensors, batchNormEps: params.batchNormEps ?? TORCH_BATCH_NORM_EPS };
}

/**
 * Imports a PyTorch BetaVAE checkpoint (a state_dict saved with torch.save) as a model pack
 * in `outDir` for `taxonomy`. Dimensions are read from the tensors' shapes; batch-norm layers
 * bn1/bn2 are used (in eval mode) when present.
 */
export async function importCheckpoint(params: {
  checkpointPath: string;
  taxonomy: Taxonomy;
  outDir: string;
  /** BatchNorm epsilon (not stored in a state_dict); PyTorch's default 1e-5. */
  batchNormEps?: number;
}): Promise<ModelPackMeta> {
  const { checkpointPath, taxonomy, outDir } = params;
  const source = basename(checkpointPath);
  const where = `checkpoint ${checkpointPath}`;
  let bytes: Uint8Array;
  try {
    if (!statSync(checkpointPath).isFile()) throw new Error('not a file');
    bytes = readFileSync(checkpointPath);
  } catch (err) {
    throw new ValidationError(`${where}: cannot read it (${(err as Error).message})`);
  }
  const tensors = readTorchStateDict(bytes, checkpointPath);
  const weights = vaeWeightsFromStateDict({
    tensors,
    taxonomy,
    where,
    batchNormEps: params.batchNormEps,
  });
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return writeModelPack({
    weights,
    taxonomy,
    provenance: { kind: 'imported', source, sha256 },
    outDir,
  });
}
