// A plain TypeScript forward pass of the BetaVAE over `VaeWeights` in PyTorch layout
// (Linear weights [out, in]). Slow but independent of tfjs and ONNX: it pins down what the
// layout means, so a transposition slip in the trainer's export cannot hide behind two
// components that agree with each other.

import type { SyncVaeRunner } from './train-metrics.js';
import type { Tensor, VaeWeights } from './vae-weights.js';

function tensor(weights: VaeWeights, name: string): Tensor {
  const t = weights.tensors[name];
  if (!t) throw new Error(`VaeWeights has no tensor "${name}"`);
  return t;
}

/** y[n, out] = x[n, in] · Wᵀ + b, with W [out, in]; accumulates in float64. */
function linear(weights: VaeWeights, layer: string, x: Float32Array, n: number): Float32Array {
  const w = tensor(weights, `${layer}.weight`);
  const b = tensor(weights, `${layer}.bias`).data;
  const [out, inDim] = w.shape;
  const y = new Float32Array(n * out);
  for (let i = 0; i < n; i++) {
    for (let o = 0; o < out; o++) {
      let s = b[o];
      const wRow = o * inDim;
      const xRow = i * inDim;
      for (let k = 0; k < inDim; k++) s += x[xRow + k] * w.data[wRow + k];
      y[i * out + o] = s;
    }
  }
  return y;
}

function batchNormRelu(weights: VaeWeights, layer: string, h: Float32Array, width: number) {
  const bn = weights.batchNorm
    ? {
        weight: tensor(weights, `${layer}.weight`).data,
        bias: tensor(weights, `${layer}.bias`).data,
        mean: tensor(weights, `${layer}.running_mean`).data,
        variance: tensor(weights, `${layer}.running_var`).data,
      }
    : undefined;
  for (let i = 0; i < h.length; i++) {
    let v = h[i];
    if (bn) {
      const c = i % width;
      v = ((v - bn.mean[c]) / Math.sqrt(bn.variance[c] + weights.batchNormEps)) * bn.weight[c];
      v += bn.bias[c];
    }
    h[i] = Math.max(v, 0);
  }
}

/** encode/decode over plain arrays, in eval mode (no dropout; batch norm uses running stats). */
export function typescriptVae(weights: VaeWeights): SyncVaeRunner {
  return {
    encode(x, n) {
      const h = linear(weights, 'fc1', x, n);
      batchNormRelu(weights, 'bn1', h, weights.hiddenDim);
      return {
        mu: linear(weights, 'fc2_mu', h, n),
        logvar: linear(weights, 'fc2_logvar', h, n),
      };
    },
    decode(z, temperature, n) {
      const g = linear(weights, 'fc3', z, n);
      batchNormRelu(weights, 'bn2', g, weights.hiddenDim);
      const logits = linear(weights, 'fc4', g, n);
      const d = weights.inputDim;
      for (let i = 0; i < logits.length; i++) {
        logits[i] = 1 / (1 + Math.exp(-logits[i] / temperature[Math.floor(i / d)]));
      }
      return logits;
    },
  };
}
