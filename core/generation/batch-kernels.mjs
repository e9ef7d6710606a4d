// Generation's work on a batch around the model: a batch's standard normals from its rows'
// streams (core/generation/ziggurat.wat), the seeded reparameterisation, the model calls and the `topk`
// selection (core/generation/topk.wat), in one place for both backends: in process (model-backend.ts)
// and on inference threads (inference-pool.ts), where all of it runs beside the model, off the
// thread that builds rows and writes files.
//
// Plain JavaScript on purpose (like core/generation/inference-thread.mjs, which imports it): an inference
// thread needs no TypeScript loader. The WebAssembly modules arrive compiled (core/generation/wasm.ts
// compiles them from their committed bytes); types: batch-kernels.d.mts.

const PAGE = 65_536;
/** Where NormalKernel's row states start (below: the ziggurat's tables, 3 × 128 f64). */
const STATES = 4096;

/**
 * Grows `memory` until it holds at least `bytes`, and returns its buffer (growing detaches the
 * old one, so views must be made after this call).
 */
export function reserveWasmMemory(memory, bytes) {
  if (bytes > memory.buffer.byteLength) {
    memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
  }
  return memory.buffer;
}

const align8 = (x) => (x + 7) & ~7;

/**
 * Standard normals for many rows, each from its own xoroshiro128+ stream (ziggurat.wat). exp
 * and log are JavaScript's own, so the rare wedge and tail cases compute what RowStream does.
 */
export class NormalKernel {
  constructor(module, tables) {
    const instance = new WebAssembly.Instance(module, { math: { exp: Math.exp, log: Math.log } });
    this.memory = instance.exports.memory;
    this.fillRows = instance.exports.fillRows;
    new Float64Array(this.memory.buffer, 0, tables.length).set(tables);
    instance.exports.init();
  }

  /** out[r·count + i] = normal i of the stream whose state is states[4r … 4r + 3]. */
  fill(states, rows, count, out) {
    const output = STATES + rows * 16;
    const buffer = reserveWasmMemory(this.memory, output + rows * count * 4);
    new Int32Array(buffer, STATES, rows * 4).set(states.subarray(0, rows * 4));
    this.fillRows(rows, count, output);
    out.set(new Float32Array(buffer, output, rows * count));
  }
}

/** The `topk` policy for whole batches of rows (topk.wat). */
export class TopkKernel {
  constructor(module) {
    const instance = new WebAssembly.Instance(module, {});
    this.memory = instance.exports.memory;
    this.topk = instance.exports.topk;
  }

  /**
   * The top tags per category of every row of the batch, packed: row r's counts[r] tags follow
   * those of rows 0 … r − 1. `ranges`: per category its first and end tag, as i32 pairs; D:
   * the number of tags. The result's arrays are views into the module's memory, valid until
   * the next call.
   */
  select({ probs, n, requests, seeds, seedCounts, S: slots }, ranges, D) {
    const S = seeds && seedCounts ? (slots ?? 0) : 0;
    const C = ranges.length / 2;
    // The block's layout, as topk.wat computes it.
    const at = 0;
    const candidates = align8(at + C * 8);
    const probsAt = align8(candidates + (D + 8) * 4);
    const requestsAt = align8(probsAt + n * D * 4);
    const seedsAt = align8(requestsAt + n * C);
    const seedCountsAt = align8(seedsAt + n * S * 2);
    const out = align8(seedCountsAt + n);
    const outCounts = align8(out + n * D * 2);
    // topk.wat reads pairs of 4 lanes: up to 7 values past the last row's probabilities.
    const end = Math.max(outCounts + n * 2, probsAt + n * D * 4 + 32);
    const buffer = reserveWasmMemory(this.memory, end);
    new Int32Array(buffer, at, C * 2).set(ranges);
    new Float32Array(buffer, probsAt, n * D).set(probs.subarray(0, n * D));
    new Uint8Array(buffer, requestsAt, n * C).set(requests.subarray(0, n * C));
    const counts = new Uint8Array(buffer, seedCountsAt, n);
    if (S > 0) {
      new Uint16Array(buffer, seedsAt, n * S).set(seeds.subarray(0, n * S));
      counts.set(seedCounts.subarray(0, n));
    } else {
      counts.fill(0);
    }
    const total = this.topk(n, D, C, S, at);
    return {
      tags: new Uint16Array(buffer, out, total),
      counts: new Uint16Array(buffer, outCounts, n),
    };
  }
}

/**
 * A logit bias on an n×D matrix of probabilities, in place: σ(logit(p) + b) computed as
 * p·e^b / (p·e^b + 1 − p), finite at p = 0 and 1 (core/generation/tag-calibration.ts fits b).
 */
export function applyTagBias(probs, n, bias) {
  const D = bias.length;
  const weight = Float64Array.from(bias, (b) => Math.exp(b));
  for (let r = 0; r < n; r++) {
    const base = r * D;
    for (let j = 0; j < D; j++) {
      const pw = probs[base + j] * weight[j];
      probs[base + j] = pw / (pw + 1 - probs[base + j]);
    }
  }
}

/** A session's kernels, from their compiled modules (see GenerateKernelSpec). */
export function openKernels(spec) {
  return { normals: new NormalKernel(spec.ziggurat, spec.tables), topk: new TopkKernel(spec.topk) };
}

/**
 * One batch of generation around the model (see GenerateRequest in batch-kernels.d.mts):
 * z (or ε) from the rows' streams; seeded, z = mu + exp(logvar / 2)·ε with mu, logvar the
 * encoder's; probabilities from the decoder; with `select`, the `topk` tags, packed: row r's
 * tags follow those of rows 0 … r − 1. `run(model, feeds)` runs one model call of at most
 * `maxRows` rows.
 */
export async function generateBatch(kernels, run, maxRows, request) {
  const { n, latentDim: L, inputDim: D, temperature, states, seeds, select, bias } = request;
  const spread = request.spread ?? 1;
  const z = new Float32Array(n * L);
  kernels.normals.fill(states, n, L, z);
  if (spread !== 1 && !seeds) for (let j = 0; j < n * L; j++) z[j] *= spread;
  const probs = n <= maxRows ? undefined : new Float32Array(n * D);
  let last;
  for (let start = 0; start < n; start += maxRows) {
    const rows = Math.min(maxRows, n - start);
    const zPart = z.subarray(start * L, (start + rows) * L);
    if (seeds) {
      const x = new Float32Array(rows * D);
      for (let i = 0; i < rows; i++) {
        const r = start + i;
        for (let s = 0; s < seeds.counts[r]; s++) x[i * D + seeds.tags[r * seeds.S + s]] = 1;
      }
      const { mu, logvar } = await run('encoder', { x: { data: x, dims: [rows, D] } });
      // ε is read before z overwrites it, value by value: the same doubles, rounded to
      // float32 like every model input.
      if (spread === 1)
        for (let j = 0; j < rows * L; j++) zPart[j] = mu[j] + Math.exp(0.5 * logvar[j]) * zPart[j];
      else
        for (let j = 0; j < rows * L; j++)
          zPart[j] = mu[j] + spread * Math.exp(0.5 * logvar[j]) * zPart[j];
    }
    const out = await run('decoder', {
      z: { data: zPart, dims: [rows, L] },
      temperature: { data: temperature.subarray(start, start + rows), dims: [rows, 1] },
    });
    if (probs) probs.set(out.probs, start * D);
    else last = out.probs;
  }
  const all = probs ?? last ?? new Float32Array(0);
  if (bias) applyTagBias(all, n, bias);
  if (!select) return { probs: all };
  const excluded = seeds && seeds.exclude !== false ? seeds : undefined;
  const selected = kernels.topk.select(
    {
      probs: all,
      n,
      requests: select.requests,
      seeds: excluded?.tags,
      seedCounts: excluded?.counts,
      S: excluded?.S,
    },
    select.ranges,
    D,
  );
  return { tags: selected.tags.slice(), counts: selected.counts.slice() };
}
