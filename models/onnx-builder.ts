// ONNX graphs of the BetaVAE's encoder and decoder, built as ModelProto messages from the
// official ONNX schema (onnx-proto) with the weights as float initialisers.
//
//   encoder  x[n,D] → Gemm(fc1) → [BatchNormalization(bn1)] → Relu → Gemm(fc2_mu) → mu[n,L]
//                                                                   → Gemm(fc2_logvar) → logvar[n,L]
//   decoder  z[n,L] → Gemm(fc3) → [BatchNormalization(bn2)] → Relu → Gemm(fc4) → logits
//            probs[n,D] = Sigmoid(logits / temperature[n,1])
//
// The batch dimension is symbolic (`n`). The bytes depend only on the weights and tagflow's
// version, so building twice gives identical files.
import onnxProto from 'onnx-proto';
import { version } from '../core/version.js';
import type { Tensor, VaeWeights } from './vae-weights.js';

const { onnx } = onnxProto;

export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;

const FLOAT = onnx.TensorProto.DataType.FLOAT;

function initializer(name: string, tensor: Tensor): onnxProto.onnx.ITensorProto {
  // rawData is little-endian by the ONNX spec, whatever this machine's byte order.
  const raw = new Uint8Array(tensor.data.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < tensor.data.length; i++) view.setFloat32(i * 4, tensor.data[i], true);
  return { name, dims: tensor.shape, dataType: FLOAT, rawData: raw };
}

function floatInput(name: string, width: number): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'n' }, { dimValue: width }] } },
    },
  };
}

class GraphBuilder {
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  readonly initializers: onnxProto.onnx.ITensorProto[] = [];

  constructor(private readonly weights: VaeWeights) {}

  private param(name: string): string {
    const tensor = this.weights.tensors[name];
    if (!tensor) throw new Error(`VAE weights lack tensor "${name}"`);
    this.initializers.push(initializer(name, tensor));
    return name;
  }

  /** y = x · Wᵀ + b with PyTorch's [out, in] weight layout. */
  linear(layer: string, input: string, output = `${layer}_out`): string {
    this.nodes.push({
      name: layer,
      opType: 'Gemm',
      input: [input, this.param(`${layer}.weight`), this.param(`${layer}.bias`)],
      output: [output],
      attribute: [{ name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
    });
    return output;
  }

  /** Eval-mode batch norm over the features of a [n, C] input. */
  batchNorm(layer: string, input: string): string {
    const output = `${layer}_out`;
    this.nodes.push({
      name: layer,
      opType: 'BatchNormalization',
      input: [
        input,
        this.param(`${layer}.weight`),
        this.param(`${layer}.bias`),
        this.param(`${layer}.running_mean`),
        this.param(`${layer}.running_var`),
      ],
      output: [output],
      attribute: [
        {
          name: 'epsilon',
          type: onnx.AttributeProto.AttributeType.FLOAT,
          f: this.weights.batchNormEps,
        },
      ],
    });
    return output;
  }

  op(opType: string, inputs: string[], output: string): string {
    this.nodes.push({ name: output, opType, input: inputs, output: [output] });
    return output;
  }

  /** Linear → optional batch norm → ReLU, the hidden layer of both halves. */
  hidden(linearLayer: string, batchNormLayer: string, input: string): string {
    let h = this.linear(linearLayer, input);
    if (this.weights.batchNorm) h = this.batchNorm(batchNormLayer, h);
    return this.op('Relu', [h], `${linearLayer}_relu`);
  }

  encode(
    name: string,
    inputs: onnxProto.onnx.IValueInfoProto[],
    outputs: onnxProto.onnx.IValueInfoProto[],
  ): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: ONNX_IR_VERSION,
      opsetImport: [{ domain: '', version: ONNX_OPSET }],
      producerName: 'tagflow',
      producerVersion: version,
      graph: {
        name,
        node: this.nodes,
        initializer: this.initializers,
        input: inputs,
        output: outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

/** encoder.onnx: `x[n,D]` → `mu[n,L]`, `logvar[n,L]`. */
export function buildEncoderOnnx(weights: VaeWeights): Uint8Array {
  const g = new GraphBuilder(weights);
  const h = g.hidden('fc1', 'bn1', 'x');
  g.linear('fc2_mu', h, 'mu');
  g.linear('fc2_logvar', h, 'logvar');
  return g.encode(
    'tagflow_vae_encoder',
    [floatInput('x', weights.inputDim)],
    [floatInput('mu', weights.latentDim), floatInput('logvar', weights.latentDim)],
  );
}

/** decoder.onnx: `z[n,L]`, `temperature[n,1]` → `probs[n,D]` = sigmoid(logits / temperature). */
export function buildDecoderOnnx(weights: VaeWeights): Uint8Array {
  const g = new GraphBuilder(weights);
  const h = g.hidden('fc3', 'bn2', 'z');
  const logits = g.linear('fc4', h, 'logits');
  const scaled = g.op('Div', [logits, 'temperature'], 'scaled_logits');
  g.op('Sigmoid', [scaled], 'probs');
  return g.encode(
    'tagflow_vae_decoder',
    [floatInput('z', weights.latentDim), floatInput('temperature', 1)],
    [floatInput('probs', weights.inputDim)],
  );
}
