// The session a model pack gives generation (VaeSession): its calls checked against the pack and
// cut into batches of at most `batchSize` rows, run on a ModelBackend (model-backend.ts).
import type { ModelPackMeta } from '../../models/model-pack.js';
import { ValidationError } from '../errors.js';
import type { GeneratedBatch, GenerateRequest } from './batch-kernels.mjs';
import type { ModelBackend } from './model-backend.js';

export type Device = 'cpu' | 'cuda';

export interface VaeSession {
  readonly meta: ModelPackMeta;
  /** The device actually used (`cpu` when CUDA was asked for but is unavailable). */
  readonly device: Device;
  /** `x`: n×D row-major (multi-hot); returns n×L `mu` and `logvar`. */
  encode(x: Float32Array, n: number): Promise<{ mu: Float32Array; logvar: Float32Array }>;
  /** `z`: n×L row-major, `temperature`: n values > 0; returns n×D probabilities. */
  decode(z: Float32Array, temperature: Float32Array, n: number): Promise<Float32Array>;
  /**
   * One batch of generation where the model runs (batch-kernels.mjs: z or ε, the model calls,
   * with `select` the `topk` tags): only stream states go over, only tags come back.
   */
  generate(request: GenerateRequest): Promise<GeneratedBatch>;
}

function checkRows(n: number, what: string, length: number, width: number): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new ValidationError(`${what}: row count must be a non-negative integer, got ${n}`);
  }
  if (length !== n * width) {
    throw new ValidationError(
      `${what}: expected ${n} rows × ${width} = ${n * width} values, got ${length}`,
    );
  }
}

function checkTemperatures(what: string, temperature: Float32Array, n: number): void {
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
}

/** A pack's session over `backend`: checked calls, model runs of at most `batchSize` rows. */
export function batchedSession(
  meta: ModelPackMeta,
  device: Device,
  backend: ModelBackend,
  batchSize: number,
): VaeSession {
  const { inputDim: D, latentDim: L } = meta;
  return {
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
      const { spread, bias } = request;
      if (spread !== undefined && !(spread > 0 && Number.isFinite(spread))) {
        throw new ValidationError(`generate: spread must be a finite number > 0, got ${spread}`);
      }
      if (bias && (bias.length !== D || !bias.every(Number.isFinite))) {
        throw new ValidationError(`generate: bias must be ${D} finite values, got ${bias.length}`);
      }
      return backend.generate(batchSize, request);
    },
  };
}

/** Runs one model call of a pack (ModelBackend.run's shape). */
export type RunModel = (
  model: 'encoder' | 'decoder',
  feeds: Record<string, { data: Float32Array; dims: number[] }>,
) => Promise<Record<string, Float32Array>>;

/** Collapses onnxruntime's multi-line messages into one line (at most 400 characters). */
export function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 400 ? `${line.slice(0, 399)}…` : line;
}

/**
 * The one-row probe of a pack: `x` of inputDim zeros through the encoder, `z` of latentDim
 * zeros at temperature 1 through the decoder, and what comes back checked against model.json —
 * `mu` and `logvar` of latentDim finite values, `probs` of inputDim values in [0, 1]. A model
 * call that fails or gives other shapes is a ValidationError naming the pack and the file.
 */
export async function probeModelRuns(
  packDir: string,
  meta: ModelPackMeta,
  files: { encoder: string; decoder: string },
  run: RunModel,
): Promise<void> {
  const { inputDim: D, latentDim: L } = meta;
  const where = `model pack ${packDir}`;
  const call = async (
    model: 'encoder' | 'decoder',
    feeds: Parameters<RunModel>[1],
  ): Promise<Record<string, Float32Array>> => {
    try {
      return await run(model, feeds);
    } catch (err) {
      const shapes = Object.entries(feeds)
        .map(([name, { dims }]) => `${name} ${dims.join('×')}`)
        .join(', ');
      throw new ValidationError(
        `${where}: ${files[model]} fails a one-row probe with ${shapes} (model.json: inputDim ${D}, latentDim ${L}): ${oneLine((err as Error).message)}`,
      );
    }
  };
  const expect = (
    model: 'encoder' | 'decoder',
    out: Record<string, Float32Array>,
    name: string,
    width: number,
    what: string,
    inRange: (v: number) => boolean,
  ) => {
    const values = out[name];
    if (!values) {
      throw new ValidationError(
        `${where}: ${files[model]} gives no "${name}" output (it gives ${Object.keys(out).join(', ') || 'nothing'})`,
      );
    }
    if (values.length !== width) {
      throw new ValidationError(
        `${where}: ${files[model]} gives ${name} of ${values.length} values for one row, but model.json's ${what} is ${width}`,
      );
    }
    const bad = values.findIndex((v) => !inRange(v));
    if (bad >= 0) {
      throw new ValidationError(
        `${where}: ${files[model]} gives ${name}[${bad}] = ${values[bad]} for an all-zero row`,
      );
    }
  };
  const finite = (v: number) => Number.isFinite(v);
  const encoded = await call('encoder', { x: { data: new Float32Array(D), dims: [1, D] } });
  expect('encoder', encoded, 'mu', L, 'latentDim', finite);
  expect('encoder', encoded, 'logvar', L, 'latentDim', finite);
  const decoded = await call('decoder', {
    z: { data: new Float32Array(L), dims: [1, L] },
    temperature: { data: Float32Array.of(1), dims: [1, 1] },
  });
  expect(
    'decoder',
    decoded,
    'probs',
    D,
    'inputDim (tags in the taxonomy)',
    (v) => v >= 0 && v <= 1,
  );
}
