// Loads a model pack's encoder and decoder into onnxruntime-node sessions (CPU or CUDA), cached
// per process so a worker loads a pack once. By default they run on inference threads
// (inference-pool.ts): onnxruntime's `run` blocks its thread, and generation's JavaScript goes on.
// A pack is tried first (checkModelPack: load, names and widths, a one-row probe), so one whose
// model.json disagrees with its ONNX files fails once, non-retryable, not in every chunk.
import { realpathSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import {
  DECODER_FILE,
  ENCODER_FILE,
  type ModelPackMeta,
  readModelPackFile,
  readModelPackMeta,
} from '../../models/model-pack.js';
import { ValidationError } from '../errors.js';
import { DEFAULT_INFERENCE_THREADS } from '../inference-defaults.js';
import type { Taxonomy } from '../inputs/index.js';
import { GENERATE_PART_ROWS, openOnThreads } from './inference-pool.js';
import { type ModelBackend, openInProcess, type SessionOptions } from './model-backend.js';
import {
  batchedSession,
  type Device,
  oneLine,
  probeModelRuns,
  type VaeSession,
} from './vae-session.js';

export const DEFAULT_INFERENCE_BATCH_SIZE = 4096;

export { DEFAULT_INFERENCE_THREADS };

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

/** What each model of a pack takes and gives (models/onnx-builder.ts), and its row widths. */
function signatures(meta: ModelPackMeta) {
  const { inputDim: D, latentDim: L } = meta;
  return {
    encoder: {
      file: ENCODER_FILE,
      inputs: { x: [D, 'inputDim'] },
      outputs: { mu: [L, 'latentDim'], logvar: [L, 'latentDim'] },
    },
    decoder: {
      file: DECODER_FILE,
      inputs: { z: [L, 'latentDim'], temperature: [1, 'one temperature a row'] },
      outputs: { probs: [D, 'inputDim'] },
    },
  } as const satisfies Record<
    'encoder' | 'decoder',
    {
      file: string;
      inputs: Record<string, readonly [number, string]>;
      outputs: Record<string, readonly [number, string]>;
    }
  >;
}

const sameNames = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

/** Names and fixed widths of a session's inputs and outputs against model.json. */
function checkSignature(
  where: string,
  session: ort.InferenceSession,
  expected: ReturnType<typeof signatures>['encoder' | 'decoder'],
): void {
  for (const side of ['inputs', 'outputs'] as const) {
    const names = side === 'inputs' ? session.inputNames : session.outputNames;
    const metadata = side === 'inputs' ? session.inputMetadata : session.outputMetadata;
    const wanted = Object.keys(expected[side]);
    if (!sameNames(names, wanted)) {
      throw new ValidationError(
        `${where}: ${expected.file} has ${side} ${names.join(', ') || '(none)'}, expected ${wanted.join(', ')}`,
      );
    }
    for (const value of metadata) {
      const [width, what] = (expected[side] as Record<string, readonly [number, string]>)[
        value.name
      ];
      const shape = value.isTensor ? value.shape : [];
      const declared = shape[shape.length - 1];
      if (shape.length === 2 && typeof declared === 'number' && declared !== width) {
        throw new ValidationError(
          `${where}: ${expected.file} has ${side === 'inputs' ? 'input' : 'output'} ${value.name} of width ${declared}, but model.json's ${what} is ${width}`,
        );
      }
    }
  }
}

/** Packs that passed checkModelPack in this process (path and file hashes). */
const checkedPacks = new Map<string, Promise<void>>();

/**
 * Validates a pack by trying it, before any work depends on it: the taxonomy (when given) is
 * the pack's, both ONNX files load in onnxruntime, their input and output names and widths are
 * what model.json says, and a one-row probe through both gives outputs of the right sizes
 * (probeModelRuns). Every failure is a ValidationError naming the pack and what disagrees:
 * a different latent size, a damaged file, encoder and decoder swapped. Passes are remembered
 * per process (by path and file hashes).
 */
export async function checkModelPack(
  packDir: string,
  meta: ModelPackMeta,
  taxonomy?: Taxonomy,
): Promise<void> {
  if (taxonomy) checkPackTaxonomy(packDir, meta, taxonomy);
  const key = JSON.stringify([
    realpathSync(packDir),
    meta.files[ENCODER_FILE].sha256,
    meta.files[DECODER_FILE].sha256,
    meta.inputDim,
    meta.latentDim,
  ]);
  let check = checkedPacks.get(key);
  if (!check) {
    check = tryModelPack(packDir, meta);
    checkedPacks.set(key, check);
    check.catch(() => checkedPacks.delete(key));
  }
  await check;
}

async function tryModelPack(packDir: string, meta: ModelPackMeta): Promise<void> {
  const where = `model pack ${packDir}`;
  const expected = signatures(meta);
  const sessions: Partial<Record<'encoder' | 'decoder', ort.InferenceSession>> = {};
  try {
    for (const model of ['encoder', 'decoder'] as const) {
      const { file } = expected[model];
      const bytes = readModelPackFile(packDir, meta, file);
      try {
        sessions[model] = await ort.InferenceSession.create(bytes, {
          executionProviders: ['cpu'],
          intraOpNumThreads: 1,
          interOpNumThreads: 1,
        });
      } catch (err) {
        throw new ValidationError(
          `${where}: onnxruntime cannot load ${file} (${oneLine((err as Error).message)})`,
        );
      }
    }
    const { encoder, decoder } = sessions as Record<'encoder' | 'decoder', ort.InferenceSession>;
    if (
      sameNames(encoder.inputNames, Object.keys(expected.decoder.inputs)) &&
      sameNames(decoder.inputNames, Object.keys(expected.encoder.inputs))
    ) {
      throw new ValidationError(
        `${where}: ${ENCODER_FILE} and ${DECODER_FILE} are swapped (${ENCODER_FILE} takes ${encoder.inputNames.join(', ')}, ${DECODER_FILE} takes ${decoder.inputNames.join(', ')})`,
      );
    }
    checkSignature(where, encoder, expected.encoder);
    checkSignature(where, decoder, expected.decoder);
    await probeModelRuns(
      packDir,
      meta,
      { encoder: ENCODER_FILE, decoder: DECODER_FILE },
      async (model, feeds) => {
        const tensors: Record<string, ort.Tensor> = {};
        for (const [name, { data, dims }] of Object.entries(feeds))
          tensors[name] = new ort.Tensor('float32', data, dims);
        const results = await sessions[model]!.run(tensors);
        return Object.fromEntries(
          Object.entries(results).map(([name, tensor]) => [name, tensor.data as Float32Array]),
        );
      },
    );
  } finally {
    for (const session of Object.values(sessions)) await session.release();
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
  // A pack that cannot work fails here, non-retryable, not in every chunk that uses it.
  await checkModelPack(packDir, meta);

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
  return {
    session: batchedSession(meta, device, backend, batchSize),
    release: () => backend.release(),
  };
}

function firstLine(text: string): string {
  return text.split('\n')[0].trim();
}
