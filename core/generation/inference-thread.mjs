// An inference thread: owns one model pack's onnxruntime sessions and runs them for the main
// thread (core/generation/inference-pool.ts, `inferenceThreads`). onnxruntime-node's `run` is synchronous on the
// calling thread, so on the main thread it blocks every other step of generation (normals,
// top-k, Arrow building, files) for the whole model call; here those steps go on meanwhile.
//
// Plain JavaScript on purpose: it imports nothing of ours, so the thread needs no TypeScript
// loader whether it was started from tsx, vitest or compiled code.
//
// Messages in:  { id, op: 'open', encoder, decoder, options, kernels }
//                 (ONNX bytes, session options, batch-kernels.mjs' compiled modules and tables)
//               { id, op: 'run', session: 'encoder' | 'decoder', feeds: { name: { data, dims } } }
//               { id, op: 'generate', maxRows, request }   (batch-kernels.mjs' generateBatch)
//               { id, op: 'release' }
// Messages out: { id, ok: true, outputs?: { name: typed array } } | { id, ok: false, message }
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { generateBatch, openKernels } from './batch-kernels.mjs';

/** @type {{ encoder?: ort.InferenceSession, decoder?: ort.InferenceSession }} */
const sessions = {};
let kernels;

async function open(message) {
  kernels = openKernels(message.kernels);
  const encoder = await ort.InferenceSession.create(message.encoder, message.options);
  try {
    sessions.decoder = await ort.InferenceSession.create(message.decoder, message.options);
  } catch (err) {
    await encoder.release();
    throw err;
  }
  sessions.encoder = encoder;
}

async function runModel(model, modelFeeds) {
  const session = sessions[model];
  if (!session) throw new Error(`inference thread: no ${model} session is open`);
  const feeds = {};
  for (const [name, { data, dims }] of Object.entries(modelFeeds)) {
    feeds[name] = new ort.Tensor('float32', data, dims);
  }
  const results = await session.run(feeds);
  const outputs = {};
  for (const [name, tensor] of Object.entries(results)) {
    const data = /** @type {Float32Array} */ (tensor.data);
    // A view on a larger or shared buffer cannot be handed over whole: copy it first.
    outputs[name] =
      data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
  }
  return outputs;
}

async function release() {
  for (const key of ['encoder', 'decoder']) {
    await sessions[key]?.release();
    delete sessions[key];
  }
}

parentPort.on('message', async (message) => {
  try {
    if (message.op === 'open') {
      await open(message);
      parentPort.postMessage({ id: message.id, ok: true });
    } else if (message.op === 'run' || message.op === 'generate') {
      const outputs =
        message.op === 'run'
          ? await runModel(message.session, message.feeds)
          : await generateBatch(kernels, runModel, message.maxRows, message.request);
      try {
        parentPort.postMessage(
          { id: message.id, ok: true, outputs },
          Object.values(outputs).map((data) => data.buffer),
        );
      } catch {
        // Buffers onnxruntime does not let go of (external memory) are copied instead.
        parentPort.postMessage({ id: message.id, ok: true, outputs });
      }
    } else if (message.op === 'release') {
      await release();
      parentPort.postMessage({ id: message.id, ok: true });
    } else {
      throw new Error(`inference thread: unknown op ${message.op}`);
    }
  } catch (err) {
    parentPort.postMessage({
      id: message.id,
      ok: false,
      message: err instanceof Error ? err.message : String(err),
    });
  }
});
