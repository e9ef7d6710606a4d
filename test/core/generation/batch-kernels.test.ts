import { describe, expect, it } from 'vitest';
import {
  generateBatch,
  type ModelFeeds,
  NormalKernel,
  openKernels,
} from '../../../core/generation/batch-kernels.mjs';
import { categoryRanges, TopkRows } from '../../../core/generation/selection.js';
import { wasmModules } from '../../../core/generation/wasm.js';
import { buildTaxonomy } from '../../../core/inputs/index.js';
import { RowStream, Stage, zigguratTables } from '../../../core/rng.js';

// generateBatch is the orchestration around the model; here the model is a small JavaScript
// function (the ONNX sessions are covered by test/core/inference.test.ts), so each step's
// arithmetic can be checked by hand.
const taxonomy = buildTaxonomy({ a: ['a1', 'a2', 'a3'], b: ['b1', 'b2', 'b3', 'b4'] });
const D = 7;
const L = 4;
const n = 13;

/** The toy model: mu = 0.05·Σ (t + 1) over the row's tags t, logvar = −1; probs from z's sum and the tag. */
function toyModel(calls: number[]) {
  return async (
    model: 'encoder' | 'decoder',
    feeds: ModelFeeds,
  ): Promise<Record<string, Float32Array>> => {
    if (model === 'encoder') {
      const { data, dims } = feeds.x;
      const [rows] = dims;
      calls.push(rows);
      const mu = new Float32Array(rows * L);
      for (let r = 0; r < rows; r++) {
        let tags = 0;
        for (let t = 0; t < D; t++) tags += data[r * D + t] * (t + 1);
        mu.fill(0.05 * tags, r * L, (r + 1) * L);
      }
      return { mu, logvar: new Float32Array(rows * L).fill(-1) };
    }
    const { data: z, dims } = feeds.z;
    const [rows] = dims;
    calls.push(rows);
    const probs = new Float32Array(rows * D);
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let j = 0; j < L; j++) sum += z[r * L + j];
      for (let t = 0; t < D; t++)
        probs[r * D + t] = 1 / (1 + Math.exp(-(sum * (t + 1)) / feeds.temperature.data[r]));
    }
    return { probs };
  };
}

/** Each row's stream state, and its first L normals as RowStream draws them. */
function streamsOf(rows: number) {
  const states = new Int32Array(rows * 4);
  const eps = new Float32Array(rows * L);
  for (let r = 0; r < rows; r++) {
    const stream = new RowStream({ seed: 9, stage: Stage.Latent, temperatureIndex: 1, row: r });
    stream.writeState(states, r * 4);
    stream.fillNormal(eps, r * L, L);
  }
  return { states, eps };
}

describe('NormalKernel', () => {
  const key = { seed: 42, stage: Stage.Latent, temperatureIndex: 3 };

  it('draws what RowStream.fillNormal draws, row by row, slow path included', () => {
    // 601 rows × 128 normals hold ~900 draws outside the rectangles (wedges and tail), which
    // take the slow path with its extra draws, exp and log. The kernel draws rows in pairs:
    // an odd count leaves the last row alone.
    const rows = 601;
    const count = 128;
    const kernel = new NormalKernel(wasmModules().ziggurat, zigguratTables());
    const states = new Int32Array(rows * 4);
    const streams = Array.from({ length: rows }, (_, row) => {
      const stream = new RowStream({ ...key, row });
      stream.int(1 + (row % 5)); // rows start at different positions, as seeded ε does
      stream.writeState(states, row * 4);
      return stream;
    });
    const out = new Float32Array(rows * count + 1).fill(-1);
    kernel.fill(states, rows, count, out);
    let tail = 0;
    for (let row = 0; row < rows; row++) {
      const expected = new Float64Array(count);
      streams[row].fillNormal(expected, 0, count);
      const got = out.subarray(row * count, (row + 1) * count);
      expect(Array.from(got)).toEqual(Array.from(expected, Math.fround));
      for (const x of got) if (Math.abs(x) > 3.4426) tail++;
    }
    expect(out[rows * count]).toBe(-1);
    // Values beyond the base layer's edge R ≈ 3.4426 come only from the tail (about 45
    // expected here): the slow path was taken and agreed.
    expect(tail).toBeGreaterThan(10);
    // A larger batch than the module's memory holds at first: it grows.
    const big = 4096;
    const bigStates = new Int32Array(big * 4);
    for (let row = 0; row < big; row++)
      new RowStream({ ...key, row }).writeState(bigStates, row * 4);
    const bigOut = new Float32Array(big * count);
    kernel.fill(bigStates, big, count, bigOut);
    const last = new Float64Array(count);
    new RowStream({ ...key, row: big - 1 }).fillNormal(last, 0, count);
    expect(Array.from(bigOut.subarray((big - 1) * count))).toEqual(Array.from(last, Math.fround));
  });

  it('draws a single row, and rows of odd lengths', () => {
    const kernel = new NormalKernel(wasmModules().ziggurat, zigguratTables());
    for (const [rows, count] of [
      [1, 128],
      [3, 7],
      [2, 1],
    ]) {
      const states = new Int32Array(rows * 4);
      for (let row = 0; row < rows; row++)
        new RowStream({ ...key, row }).writeState(states, row * 4);
      const out = new Float32Array(rows * count + 1).fill(-1);
      kernel.fill(states, rows, count, out);
      for (let row = 0; row < rows; row++) {
        const expected = new Float64Array(count);
        new RowStream({ ...key, row }).fillNormal(expected, 0, count);
        expect(Array.from(out.subarray(row * count, (row + 1) * count))).toEqual(
          Array.from(expected, Math.fround),
        );
      }
      expect(out[rows * count]).toBe(-1);
    }
  });
});

describe('generateBatch', () => {
  const kernels = openKernels({ ...wasmModules(), tables: zigguratTables() });
  const temperature = Float32Array.from({ length: n }, (_, r) => 0.5 + r / 10);
  const { states, eps } = streamsOf(n);
  // Two seed slots a row, 0, 1 or 2 of them used, distinct tags within a row.
  const seeds = {
    tags: Uint16Array.from({ length: n * 2 }, (_, i) => (i * 4) % D),
    counts: Uint8Array.from({ length: n }, (_, r) => r % 3),
    S: 2,
  };
  const request = { n, latentDim: L, inputDim: D, temperature, states };

  it('decodes the rows’ normals in model calls of at most maxRows rows', async () => {
    const calls: number[] = [];
    const out = await generateBatch(kernels, toyModel(calls), 5, request);
    expect(calls).toEqual([5, 5, 3]);
    const whole = await generateBatch(kernels, toyModel([]), 64, request);
    const expected = await toyModel([])('decoder', {
      z: { data: eps, dims: [n, L] },
      temperature: { data: temperature, dims: [n, 1] },
    });
    for (const result of [out, whole])
      expect('probs' in result && Array.from(result.probs)).toEqual(Array.from(expected.probs));
  });

  it('seeded: z = mu + exp(logvar / 2)·ε from the encoder, per model call', async () => {
    const calls: number[] = [];
    const out = await generateBatch(kernels, toyModel(calls), 5, { ...request, seeds });
    expect(calls).toEqual([5, 5, 5, 5, 3, 3]); // encoder then decoder, per part
    const z = new Float32Array(n * L);
    for (let r = 0; r < n; r++) {
      let tags = 0;
      for (let s = 0; s < seeds.counts[r]; s++) tags += seeds.tags[r * 2 + s] + 1;
      const mu = Math.fround(0.05 * tags);
      for (let j = 0; j < L; j++) z[r * L + j] = mu + Math.exp(-0.5) * eps[r * L + j];
    }
    const expected = await toyModel([])('decoder', {
      z: { data: z, dims: [n, L] },
      temperature: { data: temperature, dims: [n, 1] },
    });
    expect('probs' in out && Array.from(out.probs)).toEqual(Array.from(expected.probs));
  });

  it('with select, returns the topk tags of each row, packed row after row', async () => {
    const requests = Uint8Array.from({ length: n * 2 }, (_, i) => (i * 3) % 5);
    const topk = new TopkRows(taxonomy);
    const select = { ranges: categoryRanges(taxonomy), requests };
    const out = await generateBatch(kernels, toyModel([]), 5, { ...request, seeds, select });
    const probs = await generateBatch(kernels, toyModel([]), 5, { ...request, seeds });
    if (!('tags' in out) || !('probs' in probs)) throw new Error('unexpected result kind');
    const expected = topk.select({
      probs: probs.probs,
      n,
      requests,
      seeds: seeds.tags,
      seedCounts: seeds.counts,
      S: 2,
    });
    expect(Array.from(out.counts)).toEqual(Array.from(expected.counts));
    expect(Array.from(out.tags)).toEqual(Array.from(expected.tags));
    expect(out.tags.length).toBe(expected.counts.reduce((a, b) => a + b, 0));
    expect(out.tags.length).toBeGreaterThan(n);
  });

  it('gives empty results for an empty batch without calling the model', async () => {
    const calls: number[] = [];
    const empty = { ...request, n: 0, temperature: new Float32Array(0), states: new Int32Array(0) };
    const out = await generateBatch(kernels, toyModel(calls), 5, empty);
    expect('probs' in out && out.probs.length).toBe(0);
    const ranges = categoryRanges(taxonomy);
    const selected = await generateBatch(kernels, toyModel(calls), 5, {
      ...empty,
      select: { ranges, requests: new Uint8Array(0) },
    });
    expect('tags' in selected && [selected.tags.length, selected.counts.length]).toEqual([0, 0]);
    expect(calls).toEqual([]);
  });
});
