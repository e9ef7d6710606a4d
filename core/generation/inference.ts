// Runs a model pack's encoder and decoder with onnxruntime-node over typed arrays, in
// batches, on CPU or CUDA. Sessions are cached per process: a worker loads a pack once and
// every activity it runs afterwards reuses the session.
//
// By default the sessions live on inference threads of their own (core/generation/inference-thread.mjs):
// onnxruntime-node's `run` is synchronous on its calling thread, so in process every model call
// would stop the rest of generation (requests, Arrow, files) until it returns. With the
// threads, generation prepares and finishes other batches while some are in the model; on CPU
// the threads' onnxruntime shares all cores but one, which is left to that JavaScript.
// `generate` runs a whole batch of generation there (core/generation/batch-kernels.mjs: the z or ε draws,
// the model calls, the top-k selection), so only stream states go to a thread and only the
// selected tags come back.
import { realpathSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import {
  DECODER_FILE,
  ENCODER_FILE,
  type ModelPackMeta,
  readModelPackFile,
  readModelPackMeta,
} from '../../models/model-pack.js';
import { ValidationError } from '../errors.js';
import type { Taxonomy } from '../inputs/index.js';
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

export type Device = 'cpu' | 'cuda';

export const DEFAULT_INFERENCE_BATCH_SIZE = 4096;

/**
 * Inference threads per session. Two: while one runs a batch, the other can run the next one
 * (side by side on two cores, the latent stage ran about 15 % faster than with one).
 */
export const DEFAULT_INFERENCE_THREADS = 2;

export interface VaeSession {
  readonly meta: ModelPackMeta;
  /** The device actually used (`cpu` when CUDA was asked for but is unavailable). */
  readonly device: Device;
  /** `x`: n×D row-major (multi-hot); returns n×L `mu` and `logvar`. */
  encode(x: Float32Array, n: number): Promise<{ mu: Float32Array; logvar: Float32Array }>;
  /** `z`: n×L row-major, `temperature`: n values > 0; returns n×D probabilities. */
  decode(z: Float32Array, temperature: Float32Array, n: number): Promise<Float32Array>;
  /**
   * One batch of generation where the model runs (on an inference thread when there are
   * some): z or ε from the rows' streams, the model calls and, with `select`, the `topk` tags
   * (core/generation/batch-kernels.mjs). Only the streams' states go over and only the tags come back.
   */
  generate(request: GenerateRequest): Promise<GeneratedBatch>;
}

export interface LoadVaeSessionParams {
  packDir: string;
  /** The run's taxonomy: a pack built for another one is refused. */
  taxonomy?: Taxonomy;
  device?: Device;
  /**
   * onnxruntime intra-op threads per session; default: with inference threads, all cores but
   * one shared among them (at least one each); in process, onnxruntime's choice (all cores).
   */
  threads?: number;
  /**
   * Inference threads the model runs on (DEFAULT_INFERENCE_THREADS); 0: on the caller's thread,
   * which then waits for every model call.
   */
  inferenceThreads?: number;
  /** The most rows per onnxruntime run; larger calls are split. Default 4096. */
  batchSize?: number;
  /** Where warnings go (CUDA fallback); default console.warn. */
  log?: (message: string) => void;
}

/** How a worker runs its models: what activities pass on to loadVaeSession. */
export type InferenceSettings = Pick<
  LoadVaeSessionParams,
  'device' | 'threads' | 'inferenceThreads'
>;

interface CachedSession {
  session: VaeSession;
  release(): Promise<void>;
}

const cache = new Map<string, Promise<CachedSession>>();

/** The run's taxonomy must be the pack's: same hash (hence same tags in the same order). */
export function checkPackTaxonomy(packDir: string, meta: ModelPackMeta, taxonomy: Taxonomy): void {
  if (meta.taxonomy.hash !== taxonomy.hash) {
    throw new ValidationError(
      `model pack ${packDir} was built for taxonomy ${meta.taxonomy.hash} (${meta.inputDim} tags), but the run's taxonomy is ${taxonomy.hash} (${taxonomy.size} tags)`,
    );
  }
}

/**
 * Loads (or reuses) the inference session of a model pack. Cached per process by the pack's
 * real path and file hashes, device, threads, inference threads and batch size.
 */
export async function loadVaeSession(params: LoadVaeSessionParams): Promise<VaeSession> {
  const { packDir, taxonomy } = params;
  const device = params.device ?? 'cpu';
  if (device !== 'cpu' && device !== 'cuda') {
    throw new ValidationError(`unknown inference device "${String(device)}"; use cpu or cuda`);
  }
  const threads = params.threads ?? 0;
  if (!Number.isInteger(threads) || threads < 0) {
    throw new ValidationError(
      `onnxruntime threads (threads) must be a non-negative integer, got ${threads}`,
    );
  }
  const batchSize = params.batchSize ?? DEFAULT_INFERENCE_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ValidationError(`inference batch size must be a positive integer, got ${batchSize}`);
  }
  const inferenceThreads = params.inferenceThreads ?? DEFAULT_INFERENCE_THREADS;
  if (!Number.isInteger(inferenceThreads) || inferenceThreads < 0) {
    throw new ValidationError(
      `inference threads (inferenceThreads) must be a non-negative integer, got ${inferenceThreads}`,
    );
  }
  const meta = readModelPackMeta(packDir);
  if (taxonomy) checkPackTaxonomy(packDir, meta, taxonomy);

  // The file hashes are part of the key, so a pack replaced on disk is loaded afresh.
  const key = JSON.stringify([
    realpathSync(packDir),
    meta.files[ENCODER_FILE].sha256,
    meta.files[DECODER_FILE].sha256,
    device,
    threads,
    batchSize,
    inferenceThreads,
  ]);
  let entry = cache.get(key);
  if (!entry) {
    entry = createSession({ ...params, device, threads, batchSize, inferenceThreads, meta });
    cache.set(key, entry);
    entry.catch(() => cache.delete(key));
  }
  return (await entry).session;
}

/** Releases every cached session (tests, worker shutdown). */
export async function clearVaeSessionCache(): Promise<void> {
  const entries = [...cache.values()];
  cache.clear();
  for (const entry of entries) {
    try {
      await (await entry).release();
    } catch {
      // A session that failed to load has nothing to release.
    }
  }
}

type ModelName = 'encoder' | 'decoder';

/** Where the two sessions run: in this thread, or on inference threads. */
interface ModelBackend {
  run(model: ModelName, feeds: ModelFeeds): Promise<Record<string, Float32Array>>;
  /** generateBatch where the sessions are; model calls of at most `maxRows` rows. */
  generate(maxRows: number, request: GenerateRequest): Promise<GeneratedBatch>;
  release(): Promise<void>;
}

/** The kernels' compiled modules and tables, as inference threads receive them. */
function kernelSpec(): GenerateKernelSpec {
  return { ...wasmModules(), tables: zigguratTables() };
}

type SessionOptions = ort.InferenceSession.SessionOptions;

async function openInProcess(
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

type ThreadReply =
  | { id: number; ok: true; outputs?: Record<string, Float32Array | Uint16Array> }
  | { id: number; ok: false; message: string };

/**
 * A typed array whose buffer holds exactly its values: a message copies a view's whole buffer,
 * so a view into a larger one is copied first.
 */
function exact<T extends Float32Array | Int32Array | Uint16Array | Uint8Array>(data: T): T {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
    ? data
    : (data.slice() as T);
}

/** A generate request whose arrays are exact (see `exact`), to be posted to a thread. */
function exactRequest(request: GenerateRequest): GenerateRequest {
  const { temperature, states, seeds, select } = request;
  return {
    ...request,
    temperature: exact(temperature),
    states: exact(states),
    seeds: seeds && { ...seeds, tags: exact(seeds.tags), counts: exact(seeds.counts) },
    select: select && { ...select, requests: exact(select.requests) },
  };
}

/** One inference thread and the calls in flight on it. */
class InferenceThread {
  private readonly worker = new Worker(new URL('./inference-thread.mjs', import.meta.url));
  private readonly pending = new Map<
    number,
    {
      resolve: (outputs: Record<string, Float32Array | Uint16Array>) => void;
      reject: (err: Error) => void;
    }
  >();
  private nextId = 0;
  failure: Error | undefined;

  constructor() {
    this.worker.on('message', (reply: ThreadReply) => {
      const request = this.pending.get(reply.id);
      if (!request) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      if (reply.ok) request.resolve(reply.outputs ?? {});
      else request.reject(new Error(reply.message));
    });
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', (code) =>
      this.failAll(new Error(`the inference thread exited (code ${code})`)),
    );
    // An idle thread must not keep the process alive; one with requests in flight must.
    this.worker.unref();
  }

  /** Calls in flight: where the next one should go. */
  get load(): number {
    return this.pending.size;
  }

  private failAll(err: Error) {
    this.failure ??= err;
    for (const { reject } of this.pending.values()) reject(err);
    this.pending.clear();
  }

  call(message: Record<string, unknown>): Promise<Record<string, Float32Array | Uint16Array>> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ ...message, id });
    });
  }

  async close(): Promise<void> {
    try {
      if (!this.failure) await this.call({ op: 'release' });
    } finally {
      await this.worker.terminate();
    }
  }
}

/**
 * Rows per part when a `generate` call is shared among inference threads (on CPU). Parts are
 * small enough that the last batches of a stage keep every thread busy (whole batches left one
 * thread idle while the other ran the last one), and large enough that onnxruntime runs them
 * as fast per row as whole batches (measured on one core: 512 and 2,048 rows a call both
 * ≈ 2.7–3 µs a row for the ConceptCaps decoder).
 */
export const GENERATE_PART_ROWS = 512;

/** Calls a thread holds at once: one running and one waiting, so it never idles on us. */
const CALLS_PER_THREAD = 2;

/** The rows start … end − 1 of a generate request (views, copied when posted). */
function requestRows(request: GenerateRequest, start: number, end: number): GenerateRequest {
  const { temperature, states, seeds, select } = request;
  const C = select ? select.ranges.length / 2 : 0;
  return {
    ...request,
    n: end - start,
    temperature: temperature.subarray(start, end),
    states: states.subarray(start * 4, end * 4),
    seeds: seeds && {
      ...seeds,
      tags: seeds.tags.subarray(start * seeds.S, end * seeds.S),
      counts: seeds.counts.subarray(start, end),
    },
    select: select && { ...select, requests: select.requests.subarray(start * C, end * C) },
  };
}

/** The parts' results as one batch's, in order. */
function joinParts(parts: GeneratedBatch[]): GeneratedBatch {
  const join = <T extends Float32Array | Uint16Array>(arrays: T[], make: (n: number) => T): T => {
    const joined = make(arrays.reduce((total, array) => total + array.length, 0));
    let at = 0;
    for (const array of arrays) {
      joined.set(array, at);
      at += array.length;
    }
    return joined;
  };
  if (parts.every((part) => 'tags' in part)) {
    return {
      tags: join(
        parts.map((part) => part.tags),
        (n) => new Uint16Array(n),
      ),
      counts: join(
        parts.map((part) => part.counts),
        (n) => new Uint16Array(n),
      ),
    };
  }
  return {
    probs: join(
      parts.map((part) => (part as { probs: Float32Array }).probs),
      (n) => new Float32Array(n),
    ),
  };
}

/**
 * The sessions on `count` inference threads, each with sessions of its own. Calls wait in one
 * queue and go to a thread as soon as it holds fewer than CALLS_PER_THREAD; a `generate` call
 * of more than `partRows` rows is cut into parts that go through the queue one by one, so the
 * threads share every batch's work to the end. Two threads let two parts (of one chunk or of
 * two) be in the model at once, while the main thread prepares and finishes others.
 */
async function openOnThreads(
  count: number,
  partRows: number,
  encoderBytes: Uint8Array,
  decoderBytes: Uint8Array,
  options: SessionOptions,
): Promise<ModelBackend> {
  const threads = Array.from({ length: count }, () => new InferenceThread());
  const open = {
    op: 'open',
    encoder: encoderBytes,
    decoder: decoderBytes,
    options,
    kernels: kernelSpec(),
  };
  const opened = await Promise.allSettled(threads.map((thread) => thread.call(open)));
  const failed = opened.find((result) => result.status === 'rejected');
  if (failed) {
    await Promise.allSettled(threads.map((thread) => thread.close()));
    throw failed.reason;
  }
  type Outputs = Record<string, Float32Array | Uint16Array>;
  const queue: {
    message: Record<string, unknown>;
    resolve: (outputs: Outputs) => void;
    reject: (err: Error) => void;
  }[] = [];
  const dispatch = () => {
    while (queue.length > 0) {
      let thread: InferenceThread | undefined;
      for (const other of threads)
        if (other.load < CALLS_PER_THREAD && (!thread || other.load < thread.load)) thread = other;
      if (!thread) return;
      const { message, resolve, reject } = queue.shift() as (typeof queue)[number];
      thread.call(message).then(resolve, reject).finally(dispatch);
    }
  };
  const call = (message: Record<string, unknown>) =>
    new Promise<Outputs>((resolve, reject) => {
      queue.push({ message, resolve, reject });
      dispatch();
    });
  const generatePart = async (maxRows: number, request: GenerateRequest) =>
    (await call({ op: 'generate', maxRows, request: exactRequest(request) })) as GeneratedBatch;
  return {
    async run(model, feeds) {
      const copied: ModelFeeds = {};
      for (const [name, { data, dims }] of Object.entries(feeds))
        copied[name] = { data: exact(data), dims };
      return (await call({ op: 'run', session: model, feeds: copied })) as Record<
        string,
        Float32Array
      >;
    },
    async generate(maxRows, request) {
      const { n } = request;
      const parts = Math.ceil(n / partRows);
      if (parts <= 1) return generatePart(maxRows, request);
      // Rows spread evenly over the parts; each row's output depends on the row alone.
      const cut = (p: number) => Math.round((p * n) / parts);
      return joinParts(
        await Promise.all(
          Array.from({ length: parts }, (_, p) =>
            generatePart(maxRows, requestRows(request, cut(p), cut(p + 1))),
          ),
        ),
      );
    },
    async release() {
      const closed = await Promise.allSettled(threads.map((thread) => thread.close()));
      const failed = closed.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}

async function createSession(params: {
  packDir: string;
  meta: ModelPackMeta;
  device: Device;
  threads: number;
  batchSize: number;
  inferenceThreads: number;
  log?: (message: string) => void;
}): Promise<CachedSession> {
  const { packDir, meta, batchSize, inferenceThreads } = params;
  const log = params.log ?? ((message: string) => console.warn(message));
  const encoderBytes = readModelPackFile(packDir, meta, ENCODER_FILE);
  const decoderBytes = readModelPackFile(packDir, meta, DECODER_FILE);
  const threads =
    params.threads > 0
      ? params.threads
      : inferenceThreads > 0
        ? Math.max(1, Math.floor((availableParallelism() - 1) / inferenceThreads))
        : 0;

  const options = (device: Device): SessionOptions => ({
    executionProviders: [device],
    graphOptimizationLevel: 'all',
    ...(threads > 0 ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}),
    // On inference threads, onnxruntime's pool threads must not spin between runs: the cores
    // they would spin on are the ones generation's JavaScript runs on meanwhile.
    ...(inferenceThreads > 0 ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
    // A missing CUDA provider is reported through `log`; onnxruntime's process-wide logger
    // may still print one line of its own to stderr.
    ...(device === 'cuda' ? { logSeverityLevel: 4 as const } : {}),
  });
  const open = (device: Device) =>
    inferenceThreads > 0
      ? openOnThreads(
          inferenceThreads,
          // On CUDA a model call wants the whole batch: the GPU runs large batches faster.
          device === 'cpu' && inferenceThreads > 1 ? GENERATE_PART_ROWS : Infinity,
          encoderBytes,
          decoderBytes,
          options(device),
        )
      : openInProcess(encoderBytes, decoderBytes, options(device));

  let device = params.device;
  let backend: ModelBackend;
  if (device === 'cuda') {
    try {
      backend = await open('cuda');
    } catch (err) {
      log(
        `CUDA inference is unavailable (${firstLine((err as Error).message)}); running model pack ${packDir} on CPU. See README "Model packs" for installing onnxruntime-node's CUDA binaries.`,
      );
      device = 'cpu';
      backend = await open('cpu');
    }
  } else {
    backend = await open('cpu');
  }
  const { inputDim: D, latentDim: L } = meta;

  const checkRows = (n: number, what: string, length: number, width: number) => {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new ValidationError(`${what}: row count must be a non-negative integer, got ${n}`);
    }
    if (length !== n * width) {
      throw new ValidationError(
        `${what}: expected ${n} rows × ${width} = ${n * width} values, got ${length}`,
      );
    }
  };

  const checkTemperatures = (what: string, temperature: Float32Array, n: number) => {
    if (temperature.length !== n) {
      throw new ValidationError(`${what}: expected ${n} temperatures, got ${temperature.length}`);
    }
    for (let i = 0; i < n; i++) {
      const t = temperature[i];
      if (!(t > 0) || !Number.isFinite(t)) {
        throw new ValidationError(
          `${what}: temperature of row ${i} is ${t}; it must be a finite number > 0`,
        );
      }
    }
  };

  const session: VaeSession = {
    meta,
    device,
    async encode(x, n) {
      checkRows(n, 'encode', x.length, D);
      const run = (start: number, rows: number) =>
        backend.run('encoder', {
          x: { data: x.subarray(start * D, (start + rows) * D), dims: [rows, D] },
        });
      if (n > 0 && n <= batchSize) {
        const out = await run(0, n);
        return { mu: out.mu, logvar: out.logvar };
      }
      const mu = new Float32Array(n * L);
      const logvar = new Float32Array(n * L);
      for (let start = 0; start < n; start += batchSize) {
        const out = await run(start, Math.min(batchSize, n - start));
        mu.set(out.mu, start * L);
        logvar.set(out.logvar, start * L);
      }
      return { mu, logvar };
    },
    async decode(z, temperature, n) {
      checkRows(n, 'decode', z.length, L);
      checkTemperatures('decode', temperature, n);
      const run = async (start: number, rows: number) =>
        (
          await backend.run('decoder', {
            z: { data: z.subarray(start * L, (start + rows) * L), dims: [rows, L] },
            temperature: { data: temperature.subarray(start, start + rows), dims: [rows, 1] },
          })
        ).probs;
      if (n > 0 && n <= batchSize) return run(0, n);
      const probs = new Float32Array(n * D);
      for (let start = 0; start < n; start += batchSize)
        probs.set(await run(start, Math.min(batchSize, n - start)), start * D);
      return probs;
    },
    async generate(request) {
      const { n, temperature, states, seeds, select } = request;
      if (request.latentDim !== L || request.inputDim !== D) {
        throw new ValidationError(
          `generate: the model pack has ${D} tags and latent size ${L}, the request ${request.inputDim} and ${request.latentDim}`,
        );
      }
      checkRows(n, 'generate: stream states', states.length, 4);
      checkTemperatures('generate', temperature, n);
      if (seeds) {
        checkRows(n, 'generate: seed tags', seeds.tags.length, seeds.S);
        checkRows(n, 'generate: seed counts', seeds.counts.length, 1);
        for (let r = 0; r < n; r++) {
          if (seeds.counts[r] > seeds.S) {
            throw new ValidationError(
              `generate: row ${r} has ${seeds.counts[r]} seed tags, more than its ${seeds.S} slots`,
            );
          }
          for (let s = 0; s < seeds.counts[r]; s++) {
            const tag = seeds.tags[r * seeds.S + s];
            if (tag >= D) {
              throw new ValidationError(
                `generate: seed tag ${tag} of row ${r} is not a tag of the model pack (${D} tags)`,
              );
            }
          }
        }
      }
      if (select) {
        const C = select.ranges.length / 2;
        checkRows(n, 'generate: requests', select.requests.length, C);
      }
      return backend.generate(batchSize, request);
    },
  };
  return { session, release: () => backend.release() };
}

function firstLine(text: string): string {
  return text.split('\n')[0].trim();
}
