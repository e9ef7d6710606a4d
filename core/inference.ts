// Runs a model pack's encoder and decoder with onnxruntime-node over typed arrays, in
// batches, on CPU or CUDA. Sessions are cached per process: a worker loads a pack once and
// every activity it runs afterwards reuses the session.
import { realpathSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import {
  DECODER_FILE,
  ENCODER_FILE,
  type ModelPackMeta,
  readModelPackFile,
  readModelPackMeta,
} from '../models/model-pack.js';
import { ValidationError } from './errors.js';
import type { Taxonomy } from './taxonomy.js';

export type Device = 'cpu' | 'cuda';

export const DEFAULT_INFERENCE_BATCH_SIZE = 4096;

export interface VaeSession {
  readonly meta: ModelPackMeta;
  /** The device actually used (`cpu` when CUDA was asked for but is unavailable). */
  readonly device: Device;
  /** `x`: n×D row-major (multi-hot); returns n×L `mu` and `logvar`. */
  encode(x: Float32Array, n: number): Promise<{ mu: Float32Array; logvar: Float32Array }>;
  /** `z`: n×L row-major, `temperature`: n values > 0; returns n×D probabilities. */
  decode(z: Float32Array, temperature: Float32Array, n: number): Promise<Float32Array>;
}

export interface LoadVaeSessionParams {
  packDir: string;
  /** The run's taxonomy: a pack built for another one is refused. */
  taxonomy?: Taxonomy;
  device?: Device;
  /** onnxruntime intra-op threads; default: onnxruntime's choice (all cores). */
  threads?: number;
  /** The most rows per onnxruntime run; larger calls are split. Default 4096. */
  batchSize?: number;
  /** Where warnings go (CUDA fallback); default console.warn. */
  log?: (message: string) => void;
}

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
 * real path and file hashes, device, threads and batch size.
 */
export async function loadVaeSession(params: LoadVaeSessionParams): Promise<VaeSession> {
  const { packDir, taxonomy } = params;
  const device = params.device ?? 'cpu';
  if (device !== 'cpu' && device !== 'cuda') {
    throw new ValidationError(`unknown inference device "${String(device)}"; use cpu or cuda`);
  }
  const threads = params.threads ?? 0;
  if (!Number.isInteger(threads) || threads < 0) {
    throw new ValidationError(`inference threads must be a non-negative integer, got ${threads}`);
  }
  const batchSize = params.batchSize ?? DEFAULT_INFERENCE_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ValidationError(`inference batch size must be a positive integer, got ${batchSize}`);
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
  ]);
  let entry = cache.get(key);
  if (!entry) {
    entry = createSession({ ...params, device, threads, batchSize, meta });
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

async function createSession(params: {
  packDir: string;
  meta: ModelPackMeta;
  device: Device;
  threads: number;
  batchSize: number;
  log?: (message: string) => void;
}): Promise<CachedSession> {
  const { packDir, meta, threads, batchSize } = params;
  const log = params.log ?? ((message: string) => console.warn(message));
  const encoderBytes = readModelPackFile(packDir, meta, ENCODER_FILE);
  const decoderBytes = readModelPackFile(packDir, meta, DECODER_FILE);

  const options = (device: Device): ort.InferenceSession.SessionOptions => ({
    executionProviders: [device],
    graphOptimizationLevel: 'all',
    ...(threads > 0 ? { intraOpNumThreads: threads, interOpNumThreads: 1 } : {}),
    // A missing CUDA provider is reported through `log`; onnxruntime's process-wide logger
    // may still print one line of its own to stderr.
    ...(device === 'cuda' ? { logSeverityLevel: 4 as const } : {}),
  });
  const open = async (device: Device) => {
    const encoder = await ort.InferenceSession.create(encoderBytes, options(device));
    try {
      return { encoder, decoder: await ort.InferenceSession.create(decoderBytes, options(device)) };
    } catch (err) {
      await encoder.release();
      throw err;
    }
  };

  let device = params.device;
  let sessions: { encoder: ort.InferenceSession; decoder: ort.InferenceSession };
  if (device === 'cuda') {
    try {
      sessions = await open('cuda');
    } catch (err) {
      log(
        `CUDA inference is unavailable (${firstLine((err as Error).message)}); running model pack ${packDir} on CPU. See README "Model packs" for installing onnxruntime-node's CUDA binaries.`,
      );
      device = 'cpu';
      sessions = await open('cpu');
    }
  } else {
    sessions = await open('cpu');
  }
  const { encoder, decoder } = sessions;
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

  const session: VaeSession = {
    meta,
    device,
    async encode(x, n) {
      checkRows(n, 'encode', x.length, D);
      const mu = new Float32Array(n * L);
      const logvar = new Float32Array(n * L);
      for (let start = 0; start < n; start += batchSize) {
        const rows = Math.min(batchSize, n - start);
        const out = await encoder.run({
          x: new ort.Tensor('float32', x.subarray(start * D, (start + rows) * D), [rows, D]),
        });
        mu.set(out.mu.data as Float32Array, start * L);
        logvar.set(out.logvar.data as Float32Array, start * L);
        out.mu.dispose();
        out.logvar.dispose();
      }
      return { mu, logvar };
    },
    async decode(z, temperature, n) {
      checkRows(n, 'decode', z.length, L);
      if (temperature.length !== n) {
        throw new ValidationError(`decode: expected ${n} temperatures, got ${temperature.length}`);
      }
      for (let i = 0; i < n; i++) {
        const t = temperature[i];
        if (!(t > 0) || !Number.isFinite(t)) {
          throw new ValidationError(
            `decode: temperature of row ${i} is ${t}; it must be a finite number > 0`,
          );
        }
      }
      const probs = new Float32Array(n * D);
      for (let start = 0; start < n; start += batchSize) {
        const rows = Math.min(batchSize, n - start);
        const out = await decoder.run({
          z: new ort.Tensor('float32', z.subarray(start * L, (start + rows) * L), [rows, L]),
          temperature: new ort.Tensor('float32', temperature.subarray(start, start + rows), [
            rows,
            1,
          ]),
        });
        probs.set(out.probs.data as Float32Array, start * D);
        out.probs.dispose();
      }
      return probs;
    },
  };
  return {
    session,
    async release() {
      await encoder.release();
      await decoder.release();
    },
  };
}

function firstLine(text: string): string {
  return text.split('\n')[0].trim();
}
