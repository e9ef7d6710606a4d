// Seeded randomness as independent streams keyed by (run seed, stage, temperature index, row).
//
// Each row of each stage owns a stream whose state is a pure function of its key, so any
// row's draws can be recomputed alone: output never depends on chunk size, worker count,
// processing order or retries. The key is hashed into the 128-bit state of a xoroshiro128+
// generator; uniforms and integers come from pure-rand's distributions. The generator is
// pure-rand's xoroshiro128+ written out here (test/core/rng.test.ts checks that both give the
// same sequence) with its state in plain fields, so that a stream can be re-pointed at another
// row without allocating (StreamFamily) and handed to WebAssembly (writeState:
// core/generation/batch-kernels.mjs).
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

/** Which part of the pipeline draws: part of every stream key, so stages never share draws. */
export const Stage = {
  /** Requested tag counts of catalogue rows (seeded generation). */
  SeededCounts: 1,
  /** Seed-tag choice and ε of seeded generation. */
  Seeded: 2,
  /** z of latent generation. */
  Latent: 3,
  /** Requested tag counts of latent rows. */
  LatentCounts: 4,
  /** Split assignment. */
  Split: 5,
  /** Tag selection under the `sample` policy. */
  Selection: 6,
  /** Model training (initialisation, shuffling, dropout). */
  Train: 7,
  /** Copula samples drawn for reports and tests. */
  CountSample: 8,
  /** Latent vectors of the calibration sample of z-coupled counts (core/generation/count-coupling.ts). */
  CountCoupling: 9,
  /** The corpus row whose encoder posterior centres a latent row's z (latent prior `corpus`). */
  LatentPrior: 10,
  /** Random tags in place of a seeded row's added tags (core/evaluation/seeded-yardstick.ts). */
  EvaluationBaseline: 11,
  /** Concept rows (generation.concepts): ε and the negative's corpus centre, per concept tag. */
  Concept: 12,
  /** Requested tag counts of concept rows, shared by a positive and its matched negative. */
  ConceptCounts: 13,
  /**
   * Tag-coverage top-up rows (generation.minRowsPerTag), keyed by the tag: row 2i gives
   * candidate i's requested counts, row 2i + 1 its ε.
   */
  Coverage: 14,
} as const;
export type StageId = (typeof Stage)[keyof typeof Stage];

export interface StreamKey {
  /** The run seed: any non-negative safe integer. */
  seed: number;
  stage: StageId;
  /** Position in the run's temperature list: 0..2^32 − 1. */
  temperatureIndex: number;
  /** Any non-negative safe integer. */
  row: number;
}

const TWO_POW_32 = 4_294_967_296;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function checkKeyPart(name: string, value: number, max = Number.MAX_SAFE_INTEGER) {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    const what =
      max === Number.MAX_SAFE_INTEGER ? 'a non-negative safe integer' : `an integer in 0..${max}`;
    throw new RangeError(`stream key ${name} must be ${what}, got ${value}`);
  }
}

/** The murmur3-finalised chain of one lane over key words: h ← fmix32((h ^ word) + c). */
function mixWord(h: number, word: number, lane: number): number {
  return fmix32((h ^ word) + Math.imul(lane + 1, 0x7f4a7c15));
}

/**
 * The lanes' hashes of the key's leading words (seed, stage, temperature index): every row of
 * a (seed, stage, temperature) shares them, so a StreamFamily computes them once.
 */
function prefixLanes(seed: number, stage: number, temperatureIndex: number): Int32Array {
  checkKeyPart('seed', seed);
  // Stage and temperature index enter the state as one 32-bit word each: larger values
  // would alias smaller ones (2^32 and 0 would share a stream), so they are refused.
  checkKeyPart('stage', stage, 0xffffffff);
  checkKeyPart('temperatureIndex', temperatureIndex, 0xffffffff);
  const words = [seed >>> 0, Math.floor(seed / TWO_POW_32) >>> 0, stage, temperatureIndex >>> 0];
  const lanes = new Int32Array(4);
  for (let lane = 0; lane < 4; lane++) {
    let h = fmix32(0x9e3779b9 * (lane + 1));
    for (const word of words) h = mixWord(h, word, lane);
    lanes[lane] = h;
  }
  return lanes;
}

/** Finishes the lanes with the row's two words into `out` (a xoroshiro128+ state). */
function finishState(prefix: Int32Array, row: number, out: Int32Array): void {
  checkKeyPart('row', row);
  const low = row >>> 0;
  const high = Math.floor(row / TWO_POW_32) >>> 0;
  for (let lane = 0; lane < 4; lane++) {
    out[lane] = mixWord(mixWord(prefix[lane] >>> 0, low, lane), high, lane) | 0;
  }
  // xoroshiro's all-zero state is a fixed point; vanishingly unlikely, but rule it out.
  if (out[0] === 0 && out[1] === 0 && out[2] === 0 && out[3] === 0) out[0] = 1;
}

/**
 * The 128-bit generator state for a key: four murmur3-finalised lanes over the key's words
 * (each 53-bit number split into two 32-bit words).
 */
export function streamState(key: StreamKey): [number, number, number, number] {
  const state = new Int32Array(4);
  finishState(prefixLanes(key.seed, key.stage, key.temperatureIndex), key.row, state);
  return [state[0], state[1], state[2], state[3]];
}

// Standard normals by the ziggurat method (Marsaglia & Tsang 2000, 128 layers). One 32-bit
// draw gives a normal in ~98.8 % of cases, with no logarithm or trigonometry: generation
// draws 128 of them per row, and Box–Muller (two 53-bit uniforms, log, sqrt, sin/cos per pair)
// cost more than the row's decode. Of the draw, the top 7 bits pick the layer (xoroshiro128+'s
// strongest bits) and the low 25 bits are a signed 24-bit value, as fine as float32 needs.
const ZIG_R = 3.442619855899;
const ZIG_V = 9.91256303526217e-3;
const ZIG_SCALE = 2 ** 24;
/** |value| below kn[layer]: the point lies inside the layer's rectangle. */
const ZIG_K = new Float64Array(128);
/** value × wn[layer]: the normal. */
const ZIG_W = new Float64Array(128);
/** The density at each layer's edge. */
const ZIG_F = new Float64Array(128);
{
  let d = ZIG_R;
  let t = d;
  const q = ZIG_V / Math.exp(-0.5 * d * d);
  ZIG_K[0] = Math.floor((d / q) * ZIG_SCALE);
  ZIG_K[1] = 0;
  ZIG_W[0] = q / ZIG_SCALE;
  ZIG_W[127] = d / ZIG_SCALE;
  ZIG_F[0] = 1;
  ZIG_F[127] = Math.exp(-0.5 * d * d);
  for (let i = 126; i >= 1; i--) {
    d = Math.sqrt(-2 * Math.log(ZIG_V / d + Math.exp(-0.5 * d * d)));
    ZIG_K[i + 1] = Math.floor((d / t) * ZIG_SCALE);
    t = d;
    ZIG_F[i] = Math.exp(-0.5 * d * d);
    ZIG_W[i] = d / ZIG_SCALE;
  }
}

/** Uniform in (0, 1]: safe under a logarithm. */
function openUniform(rng: RandomGenerator): number {
  return 1 - uniformFloat64(rng);
}

/** The rare cases of the ziggurat: the wedges beside the rectangles, and the tail. */
function zigguratSlow(rng: RandomGenerator, bits: number): number {
  for (;;) {
    const layer = bits >>> 25;
    const value = (bits << 7) >> 7;
    if (Math.abs(value) < ZIG_K[layer]) return value * ZIG_W[layer];
    if (layer === 0) {
      // The tail beyond R (Marsaglia's method).
      let x: number;
      let y: number;
      do {
        x = -Math.log(openUniform(rng)) / ZIG_R;
        y = -Math.log(openUniform(rng));
      } while (y + y < x * x);
      return value > 0 ? ZIG_R + x : -ZIG_R - x;
    }
    const x = value * ZIG_W[layer];
    const f = ZIG_F[layer] + openUniform(rng) * (ZIG_F[layer - 1] - ZIG_F[layer]);
    if (f < Math.exp(-0.5 * x * x)) return x;
    bits = rng.next();
  }
}

/**
 * xoroshiro128+ with pure-rand's state layout [s01, s00, s11, s10] and output: the same
 * sequence as pure-rand's xoroshiro128plusFromState(state).
 */
class Xoroshiro128Plus implements RandomGenerator {
  s01 = 0;
  s00 = 0;
  s11 = 0;
  s10 = 0;

  setState(state: ArrayLike<number>): this {
    this.s01 = state[0] | 0;
    this.s00 = state[1] | 0;
    this.s11 = state[2] | 0;
    this.s10 = state[3] | 0;
    return this;
  }

  clone(): Xoroshiro128Plus {
    return new Xoroshiro128Plus().setState(this.getState());
  }

  getState(): number[] {
    return [this.s01, this.s00, this.s11, this.s10];
  }

  next(): number {
    const out = (this.s00 + this.s10) | 0;
    const a0 = this.s10 ^ this.s00;
    const a1 = this.s11 ^ this.s01;
    const s00 = this.s00;
    const s01 = this.s01;
    this.s00 = (s00 << 24) ^ (s01 >>> 8) ^ a0 ^ (a0 << 16);
    this.s01 = (s01 << 24) ^ (s00 >>> 8) ^ a1 ^ ((a1 << 16) | (a0 >>> 16));
    this.s10 = (a1 << 5) ^ (a0 >>> 27);
    this.s11 = (a0 << 5) ^ (a1 >>> 27);
    return out;
  }
}

/** One keyed stream of draws. Not thread-safe; cheap to create (one per row). */
export class RowStream {
  private readonly rng = new Xoroshiro128Plus();

  /** The stream of `key`; without a key, a stream to be pointed at one by StreamFamily.seek. */
  constructor(key?: StreamKey) {
    if (key) this.rng.setState(streamState(key));
  }

  /** Writes the generator's state as s00, s01, s10, s11 (core/generation/batch-kernels.mjs' layout). */
  writeState(out: Int32Array, offset: number): void {
    const rng = this.rng;
    out[offset] = rng.s00;
    out[offset + 1] = rng.s01;
    out[offset + 2] = rng.s10;
    out[offset + 3] = rng.s11;
  }

  /** @internal Points the stream at a state (StreamFamily.seek). */
  setState(state: ArrayLike<number>): this {
    this.rng.setState(state);
    return this;
  }

  /** Uniform in [0, 1), 53 random bits. */
  uniform(): number {
    return uniformFloat64(this.rng);
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!(n >= 1) || !Number.isSafeInteger(n))
      throw new RangeError(`int(n) needs n >= 1, got ${n}`);
    return uniformInt(this.rng, 0, n - 1);
  }

  /** One element of `items`, each equally likely. */
  choice<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('choice() from an empty list');
    return items[this.int(items.length)];
  }

  /** A standard normal draw (ziggurat). */
  normal(): number {
    const bits = this.rng.next();
    const layer = bits >>> 25;
    const value = (bits << 7) >> 7;
    return Math.abs(value) < ZIG_K[layer] ? value * ZIG_W[layer] : zigguratSlow(this.rng, bits);
  }

  /**
   * Writes `count` standard normals into `out` from `offset`: exactly the values `count` calls
   * of normal() give. (Generation draws its z and ε for a whole batch in WebAssembly, the same
   * values: NormalKernel, core/batch-kernels.mjs.)
   */
  fillNormal(out: Float32Array | Float64Array, offset: number, count: number): void {
    const rng = this.rng;
    for (let i = 0; i < count; i++) {
      const bits = rng.next();
      const layer = bits >>> 25;
      const value = (bits << 7) >> 7;
      out[offset + i] =
        Math.abs(value) < ZIG_K[layer] ? value * ZIG_W[layer] : zigguratSlow(rng, bits);
    }
  }
}

/** The stream for one key. */
export function rowStream(key: StreamKey): RowStream {
  return new RowStream(key);
}

/**
 * The streams of every row of one (seed, stage, temperature index): the key's leading words
 * are hashed once, and `seek` re-points one RowStream at a row without allocating, for loops
 * that draw from a stream per row.
 */
export class StreamFamily {
  private readonly prefix: Int32Array;
  private readonly state = new Int32Array(4);

  constructor(key: Omit<StreamKey, 'row'>) {
    this.prefix = prefixLanes(key.seed, key.stage, key.temperatureIndex);
  }

  /** `stream`, pointed at the start of `row`'s stream: the draws of new RowStream({…key, row}). */
  seek(stream: RowStream, row: number): RowStream {
    finishState(this.prefix, row, this.state);
    return stream.setState(this.state);
  }

  /** A new stream for `row`. */
  stream(row: number): RowStream {
    return this.seek(new RowStream(), row);
  }
}

/** The ziggurat's tables as ziggurat.wat reads them: K, W, F. */
export function zigguratTables(): Float64Array {
  const tables = new Float64Array(3 * 128);
  tables.set(ZIG_K, 0);
  tables.set(ZIG_W, 128);
  tables.set(ZIG_F, 256);
  return tables;
}
