// The BetaVAE's formulas evaluated directly in TypeScript (float64), as the reference that
// ONNX model packs are checked against, and deterministic random weights for test models.
import { rowStream, Stage } from '../../core/rng.js';
import {
  expectedTensorShapes,
  type Tensor,
  type VaeDimensions,
  type VaeWeights,
} from '../../models/vae-weights.js';

/** Random weights of the given dimensions; batch-norm statistics are made clearly non-trivial. */
export function randomVaeWeights(dims: VaeDimensions, seed = 1, batchNormEps = 1e-5): VaeWeights {
  const tensors: Record<string, Tensor> = {};
  let row = 0;
  for (const [name, shape] of Object.entries(expectedTensorShapes(dims))) {
    const stream = rowStream({ seed, stage: Stage.Train, temperatureIndex: 99, row: row++ });
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) {
      const u = stream.uniform();
      if (name.endsWith('running_var')) data[i] = 0.2 + 2 * u;
      else if (name.endsWith('running_mean')) data[i] = 2 * u - 1;
      else if (name.startsWith('bn') && name.endsWith('weight')) data[i] = 0.5 + u;
      else data[i] = (2 * u - 1) * 0.6;
    }
    tensors[name] = { shape, data };
  }
  return { ...dims, tensors, batchNormEps };
}

function linear(w: VaeWeights, layer: string, x: Float64Array): Float64Array {
  const weight = w.tensors[`${layer}.weight`];
  const bias = w.tensors[`${layer}.bias`];
  const [out, inp] = weight.shape;
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let s = bias.data[o];
    for (let i = 0; i < inp; i++) s += weight.data[o * inp + i] * x[i];
    y[o] = s;
  }
  return y;
}

function hidden(w: VaeWeights, layer: string, bn: string, x: Float64Array): Float64Array {
  const h = linear(w, layer, x);
  for (let j = 0; j < h.length; j++) {
    let v = h[j];
    if (w.batchNorm) {
      const t = (name: string) => w.tensors[`${bn}.${name}`].data[j];
      v =
        ((v - t('running_mean')) / Math.sqrt(t('running_var') + w.batchNormEps)) * t('weight') +
        t('bias');
    }
    h[j] = Math.max(0, v);
  }
  return h;
}

/** mu and logvar of one input row. */
export function encodeRow(
  w: VaeWeights,
  x: ArrayLike<number>,
): { mu: Float64Array; logvar: Float64Array } {
  const h = hidden(w, 'fc1', 'bn1', Float64Array.from(x));
  return { mu: linear(w, 'fc2_mu', h), logvar: linear(w, 'fc2_logvar', h) };
}

/** sigmoid(fc4(g) / temperature) of one latent row. */
export function decodeRow(w: VaeWeights, z: ArrayLike<number>, temperature: number): Float64Array {
  const logits = linear(w, 'fc4', hidden(w, 'fc3', 'bn2', Float64Array.from(z)));
  return logits.map((v) => 1 / (1 + Math.exp(-v / temperature)));
}

/** Largest |a[i] - b[i]|. */
export function maxAbsError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
