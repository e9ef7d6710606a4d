// The BetaVAE's parameters in PyTorch's naming and layout, shared by the checkpoint importer,
// the trainer and the ONNX model-pack builder.
//
// Architecture (ConceptCaps BetaVAE, eval mode):
//   encoder  h  = relu(bn1(fc1(x)))                   (bn1 only when batch norm is on)
//            mu = fc2_mu(h);  logvar = fc2_logvar(h)
//   decoder  g  = relu(bn2(fc3(z)))                   (bn2 only when batch norm is on)
//            probs = sigmoid(fc4(g) / temperature)
// Linear weights are [out, in] row-major (PyTorch's nn.Linear), biases [out].
// Batch norm in eval mode: y = (x - running_mean) / sqrt(running_var + eps) * weight + bias.

export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export const LINEAR_LAYERS = ['fc1', 'fc2_mu', 'fc2_logvar', 'fc3', 'fc4'] as const;
export const BATCH_NORM_LAYERS = ['bn1', 'bn2'] as const;
export const BATCH_NORM_PARAMS = ['weight', 'bias', 'running_mean', 'running_var'] as const;

export interface VaeDimensions {
  inputDim: number;
  hiddenDim: number;
  latentDim: number;
  batchNorm: boolean;
}

export interface VaeWeights extends VaeDimensions {
  /** Tensors by PyTorch state_dict name, e.g. `fc1.weight`, `bn1.running_var`. */
  tensors: Record<string, Tensor>;
  /** Batch-norm epsilon (PyTorch's default 1e-5). */
  batchNormEps: number;
}

/** The tensor names (and shapes) a BetaVAE of these dimensions has. */
export function expectedTensorShapes(dims: VaeDimensions): Record<string, number[]> {
  const { inputDim: d, hiddenDim: h, latentDim: l } = dims;
  const shapes: Record<string, number[]> = {
    'fc1.weight': [h, d],
    'fc1.bias': [h],
    'fc2_mu.weight': [l, h],
    'fc2_mu.bias': [l],
    'fc2_logvar.weight': [l, h],
    'fc2_logvar.bias': [l],
    'fc3.weight': [h, l],
    'fc3.bias': [h],
    'fc4.weight': [d, h],
    'fc4.bias': [d],
  };
  if (dims.batchNorm) {
    for (const layer of BATCH_NORM_LAYERS)
      for (const p of BATCH_NORM_PARAMS) shapes[`${layer}.${p}`] = [h];
  }
  return shapes;
}
