// Where a session's two models run (ModelBackend), and the in-process backend: onnxruntime-node
// on the caller's thread, which waits for every model call (inference threads: inference-pool.ts).
import * as ort from 'onnxruntime-node';
import { zigguratTables } from '../rng.js';
import {
  type GeneratedBatch,
  type GenerateKernelSpec,
  type GenerateRequest,
  generateBatch,
  type ModelFeeds,
  openKernels,
} from './batch-kernels.mjs';
import { wasmModules } from './wasm.js';

export type ModelName = 'encoder' | 'decoder';

/** Where the two sessions run: in this thread, or on inference threads. */
export interface ModelBackend {
  run(model: ModelName, feeds: ModelFeeds): Promise<Record<string, Float32Array>>;
  /** generateBatch where the sessions are; model calls of at most `maxRows` rows. */
  generate(maxRows: number, request: GenerateRequest): Promise<GeneratedBatch>;
  release(): Promise<void>;
}

/** The kernels' compiled modules and tables, as inference threads receive them. */
export function kernelSpec(): GenerateKernelSpec {
  return { ...wasmModules(), tables: zigguratTables() };
}

export type SessionOptions = ort.InferenceSession.SessionOptions;

export async function openInProcess(
  encoderBytes: Uint8Array,
  decoderBytes: Uint8Array,
  options: SessionOptions,
): Promise<ModelBackend> {
  const encoder = await ort.InferenceSession.create(encoderBytes, options);
  let decoder: ort.InferenceSession;
  try {
    decoder = await ort.InferenceSession.create(decoderBytes, options);
  } catch (err) {
    await encoder.release();
    throw err;
  }
  const sessions = { encoder, decoder };
  const kernels = openKernels(kernelSpec());
  const run = async (model: ModelName, feeds: ModelFeeds) => {
    const tensors: Record<string, ort.Tensor> = {};
    for (const [name, { data, dims }] of Object.entries(feeds))
      tensors[name] = new ort.Tensor('float32', data, dims);
    const results = await sessions[model].run(tensors);
    const outputs: Record<string, Float32Array> = {};
    // A run's output arrays are fresh and ours: no copy.
    for (const [name, tensor] of Object.entries(results))
      outputs[name] = tensor.data as Float32Array;
    return outputs;
  };
  return {
    run,
    generate: (maxRows, request) => generateBatch(kernels, run, maxRows, request),
    async release() {
      await encoder.release();
      await decoder.release();
    },
  };
}
