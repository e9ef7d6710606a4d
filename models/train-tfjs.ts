// The BetaVAE as a tfjs graph: backend selection, parameters (seeded PyTorch-style init,
// conversion to and from `VaeWeights`), the encode/decode graph and an eval-mode runner.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { ValidationError } from '../core/errors.js';
import type { TrainBackend } from './train-config.js';
import type { SyncVaeRunner } from './train-metrics.js';
import { tfjsSeed, trainStream } from './train-streams.js';
import type { Tensor, VaeWeights } from './vae-weights.js';

export const LAYERS = ['fc1', 'fc2_mu', 'fc2_logvar', 'fc3', 'fc4'] as const;
type Layer = (typeof LAYERS)[number];

/** Kernels [in, out] (tfjs's layout) and biases [out]. */
export type Params = Record<Layer, { kernel: tf.Tensor2D; bias: tf.Tensor1D }>;

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

export function encodeGraph(p: Params, x: tf.Tensor2D) {
  const h = tf.fused.matMul({ a: x, b: p.fc1.kernel, bias: p.fc1.bias, activation: 'relu' });
  const mu = tf.fused.matMul({ a: h, b: p.fc2_mu.kernel, bias: p.fc2_mu.bias });
  const logvar = tf.fused.matMul({ a: h, b: p.fc2_logvar.kernel, bias: p.fc2_logvar.bias });
  return { mu, logvar };
}

export function decodeLogits(p: Params, z: tf.Tensor2D): tf.Tensor2D {
  const g = tf.fused.matMul({ a: z, b: p.fc3.kernel, bias: p.fc3.bias, activation: 'relu' });
  return tf.fused.matMul({ a: g, b: p.fc4.kernel, bias: p.fc4.bias }) as tf.Tensor2D;
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
export function initialParams(
  inputDim: number,
  hidden: number,
  latent: number,
  seed: number,
): Params {
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
export function toVaeWeights(
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

export function snapshotParams(p: Params): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const layer of LAYERS) {
    out[`${layer}.kernel`] = p[layer].kernel.dataSync() as Float32Array;
    out[`${layer}.bias`] = p[layer].bias.dataSync() as Float32Array;
  }
  return out;
}

export function disposeParams(p: Params) {
  for (const layer of LAYERS) tf.dispose([p[layer].kernel, p[layer].bias]);
}

/** encode/decode (eval mode) over tfjs tensors of `p`, as plain arrays. */
export function tfjsRunner(p: Params, inputDim: number, latentDim: number): SyncVaeRunner {
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
