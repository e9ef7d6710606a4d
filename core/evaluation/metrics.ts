// Distribution-comparison metrics for tag sets, and the streaming accumulator they read from.
//
// Everything here is pure and small enough to check by hand. `TagSetStats` gathers, in one
// pass and bounded memory, all a comparison needs from any number of rows: per-tag
// occurrence counts, per-category tag-count histograms, pair co-occurrence counts (upper
// triangle of the D×D matrix) and the distinct tag sets, tracked as 64-bit hashes.
//
// Definitions (the README's "Evaluation" section says the same for users):
// - tag frequency distribution of a category: occurrences of each tag of the category divided
//   by all tag occurrences in that category;
// - tag-count histogram of a category: how many rows have 0, 1, 2, … tags of that category;
// - co-occurrence rate of a tag pair: the fraction of rows that contain both tags, over all
//   D·(D−1)/2 pairs of the taxonomy;
// - a row's tag set: its distinct tag ids (a repeated id counts once).
import { ValidationError } from '../errors.js';
import type { Taxonomy } from '../inputs/index.js';

// ---------------------------------------------------------------------------------------------
// Pure metrics

function checkSameLength(name: string, a: ArrayLike<number>, b: ArrayLike<number>) {
  if (a.length !== b.length) {
    throw new RangeError(`${name}: inputs differ in length (${a.length} vs ${b.length})`);
  }
}

function nonNegativeSum(name: string, values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v >= 0) || !Number.isFinite(v)) {
      throw new RangeError(`${name}: entry ${i} must be a finite non-negative number, got ${v}`);
    }
    sum += v;
  }
  return sum;
}

/**
 * Jensen–Shannon divergence with base-2 logarithms, between two distributions given as
 * counts or probabilities (each is normalised to sum 1). 0 for identical distributions, 1 for
 * distributions with disjoint support. Two all-zero inputs are identical (0); one all-zero
 * input against a non-empty one has nothing in common with it (1).
 */
export function jensenShannonBase2(p: ArrayLike<number>, q: ArrayLike<number>): number {
  checkSameLength('jensenShannonBase2', p, q);
  const sp = nonNegativeSum('jensenShannonBase2 p', p);
  const sq = nonNegativeSum('jensenShannonBase2 q', q);
  if (sp === 0 || sq === 0) return sp === sq ? 0 : 1;
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i] / sp;
    const b = q[i] / sq;
    const m = (a + b) / 2;
    if (a > 0) sum += a * Math.log2(a / m);
    if (b > 0) sum += b * Math.log2(b / m);
  }
  // Rounding can leave a hair outside [0, 1].
  return Math.min(1, Math.max(0, sum / 2));
}

/**
 * Jensen–Shannon distance: the square root of the base-2 divergence (a metric, in [0, 1]);
 * what SciPy's `scipy.spatial.distance.jensenshannon(p, q, base=2)` returns. The evaluation's
 * per-category "JS" figures are this distance.
 */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>): number {
  return Math.sqrt(jensenShannonBase2(p, q));
}

/**
 * Wasserstein-1 (earth mover's) distance between two histograms over the values 0, 1, 2, …
 * (index = value): Σₖ |CDF_A(k) − CDF_B(k)| after normalising each histogram to sum 1. Shorter
 * histograms are padded with zeros. NaN when either histogram is empty (sums to 0).
 */
export function wasserstein1Discrete(
  countsA: ArrayLike<number>,
  countsB: ArrayLike<number>,
): number {
  const sa = nonNegativeSum('wasserstein1Discrete a', countsA);
  const sb = nonNegativeSum('wasserstein1Discrete b', countsB);
  if (sa === 0 || sb === 0) return Number.NaN;
  const n = Math.max(countsA.length, countsB.length);
  let cdfA = 0;
  let cdfB = 0;
  let distance = 0;
  // The last CDF step is 1 − 1 = 0 on both sides, so it never contributes.
  for (let k = 0; k < n - 1; k++) {
    cdfA += (k < countsA.length ? countsA[k] : 0) / sa;
    cdfB += (k < countsB.length ? countsB[k] : 0) / sb;
    distance += Math.abs(cdfA - cdfB);
  }
  return distance;
}

/**
 * Pearson correlation coefficient. NaN when it is undefined: fewer than two values, or either
 * input constant (zero variance) — a correlation of 0 would wrongly claim "measured, no
 * relation". Two passes (means first), which keeps it exact enough for long inputs of small
 * rates.
 */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkSameLength('pearson', a, b);
  const n = a.length;
  if (n < 2) return Number.NaN;
  let meanA = 0;
  let meanB = 0;
  for (let i = 0; i < n; i++) {
    meanA += a[i];
    meanB += b[i];
  }
  meanA /= n;
  meanB /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - meanA;
    const db = b[i] - meanB;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa === 0 || sbb === 0) return Number.NaN;
  return Math.max(-1, Math.min(1, sab / Math.sqrt(saa * sbb)));
}

// ---------------------------------------------------------------------------------------------
// Tag-set identity: a 64-bit hash of the sorted distinct ids

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function murmur3Lane(sorted: ArrayLike<number>, length: number, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < length; i++) {
    let k = Math.imul(sorted[i], 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  return fmix32(h ^ length);
}

/**
 * The 64-bit identity of a tag set, as two 32-bit MurmurHash3 lanes (different seeds) over its
 * sorted distinct ids. With 64 bits, even 10⁸ distinct sets collide with probability ≈ 3·10⁻⁴
 * (n²/2⁶⁵), so counting hashes instead of sets is exact for any practical purpose.
 */
export function tagSetKey(sorted: ArrayLike<number>): [number, number] {
  return [
    murmur3Lane(sorted, sorted.length, 0x9747b28c),
    murmur3Lane(sorted, sorted.length, 0x5bd1e995),
  ];
}

/**
 * A row's distinct tag ids in ascending order, written into `scratch` (a fresh array when the
 * row is longer than it) and returned as a view. Throws a ValidationError naming `where` for
 * ids outside the taxonomy.
 */
export function normalizeTagSet(
  tags: ArrayLike<number>,
  size: number,
  scratch: Int32Array,
  where: string,
): Int32Array {
  // A row longer than the taxonomy can only hold repeats; it still gets sorted, in a copy.
  const buffer = tags.length > scratch.length ? new Int32Array(tags.length) : scratch;
  for (let i = 0; i < tags.length; i++) {
    const id = tags[i];
    if (!Number.isInteger(id) || id < 0 || id >= size) {
      throw new ValidationError(
        `${where}: tag id ${id} is not in the taxonomy (expected an integer in 0..${size - 1})`,
      );
    }
    buffer[i] = id;
  }
  const view = buffer.subarray(0, tags.length).sort();
  let k = 0;
  for (let i = 0; i < view.length; i++) {
    if (i === 0 || view[i] !== view[i - 1]) view[k++] = view[i];
  }
  return view.subarray(0, k);
}

// ---------------------------------------------------------------------------------------------
// Distinct-set tracking

/** An open-addressing hash set of 64-bit keys (two uint32 lanes): 8 bytes a slot. */
export class KeySet64 {
  private keys: Uint32Array;
  private used: Uint8Array;
  private mask: number;
  size = 0;

  constructor(initialCapacity = 1024) {
    let capacity = 16;
    while (capacity < initialCapacity * 2) capacity *= 2;
    this.keys = new Uint32Array(capacity * 2);
    this.used = new Uint8Array(capacity);
    this.mask = capacity - 1;
  }

  private slot(hi: number, lo: number): number {
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & this.mask;
    while (this.used[i] && (this.keys[2 * i] !== hi || this.keys[2 * i + 1] !== lo)) {
      i = (i + 1) & this.mask;
    }
    return i;
  }

  has(hi: number, lo: number): boolean {
    return this.used[this.slot(hi >>> 0, lo >>> 0)] === 1;
  }

  /** Adds the key; true when it was not there yet. */
  add(hi: number, lo: number): boolean {
    hi >>>= 0;
    lo >>>= 0;
    let i = this.slot(hi, lo);
    if (this.used[i]) return false;
    if ((this.size + 1) * 10 > this.used.length * 7) {
      this.grow();
      i = this.slot(hi, lo);
    }
    this.used[i] = 1;
    this.keys[2 * i] = hi;
    this.keys[2 * i + 1] = lo;
    this.size++;
    return true;
  }

  /** Calls `fn` with every key, in slot order. */
  forEach(fn: (hi: number, lo: number) => void): void {
    for (let i = 0; i < this.used.length; i++) {
      if (this.used[i]) fn(this.keys[2 * i], this.keys[2 * i + 1]);
    }
  }

  private grow() {
    const oldKeys = this.keys;
    const oldUsed = this.used;
    const capacity = oldUsed.length * 2;
    this.keys = new Uint32Array(capacity * 2);
    this.used = new Uint8Array(capacity);
    this.mask = capacity - 1;
    for (let j = 0; j < oldUsed.length; j++) {
      if (!oldUsed[j]) continue;
      const i = this.slot(oldKeys[2 * j], oldKeys[2 * j + 1]);
      this.used[i] = 1;
      this.keys[2 * i] = oldKeys[2 * j];
      this.keys[2 * i + 1] = oldKeys[2 * j + 1];
    }
  }
}

const HLL_BITS = 14;
const HLL_REGISTERS = 1 << HLL_BITS;

/** HyperLogLog (2¹⁴ registers, 16 KiB, ≈0.8 % standard error) over 64-bit keys. */
export class HyperLogLog {
  private readonly registers = new Uint8Array(HLL_REGISTERS);

  add(hi: number, lo: number): void {
    const index = hi >>> (32 - HLL_BITS);
    const rest = (hi << HLL_BITS) >>> 0; // the remaining 18 bits of hi, at the top
    const rank = rest !== 0 ? Math.clz32(rest) + 1 : 32 - HLL_BITS + Math.clz32(lo >>> 0) + 1;
    if (rank > this.registers[index]) this.registers[index] = rank;
  }

  estimate(): number {
    const m = HLL_REGISTERS;
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < m; i++) {
      sum += 2 ** -this.registers[i];
      if (this.registers[i] === 0) zeros++;
    }
    const raw = ((0.7213 / (1 + 1.079 / m)) * m * m) / sum;
    // Small cardinalities: linear counting is the better estimate.
    return raw <= 2.5 * m && zeros > 0 ? m * Math.log(m / zeros) : raw;
  }
}

/** Default exact-tracking limit: 2²² distinct sets (a 64 MiB table at most) per tracker. */
export const DEFAULT_EXACT_DISTINCT_LIMIT = 1 << 22;

/**
 * Counts distinct tag sets, and how many of them are absent from a reference key set. Exact
 * (a KeySet64) up to `exactLimit` distinct sets; beyond that it switches to HyperLogLog
 * estimates (one sketch for all sets, one for those not in the reference), so memory stays
 * bounded however many rows stream through.
 */
export class DistinctSets {
  private exactSet: KeySet64 | null = new KeySet64();
  private novelExact = 0;
  private allSketch: HyperLogLog | null = null;
  private novelSketch: HyperLogLog | null = null;

  constructor(
    private readonly reference: KeySet64 | null = null,
    private readonly exactLimit = DEFAULT_EXACT_DISTINCT_LIMIT,
  ) {}

  get exact(): boolean {
    return this.exactSet !== null;
  }

  /** The exact key set; null once tracking has switched to estimates. */
  get keys(): KeySet64 | null {
    return this.exactSet;
  }

  add(hi: number, lo: number): void {
    const novel = this.reference === null || !this.reference.has(hi, lo);
    if (this.exactSet) {
      if (this.exactSet.add(hi, lo) && novel) this.novelExact++;
      if (this.exactSet.size > this.exactLimit) this.switchToSketches();
      return;
    }
    this.allSketch!.add(hi, lo);
    if (novel) this.novelSketch!.add(hi, lo);
  }

  /** Number of distinct sets (estimated once no longer exact). */
  get count(): number {
    return this.exactSet ? this.exactSet.size : Math.round(this.allSketch!.estimate());
  }

  /** Number of distinct sets not in the reference (all of them without a reference). */
  get novelCount(): number {
    return this.exactSet ? this.novelExact : Math.round(this.novelSketch!.estimate());
  }

  private switchToSketches() {
    const all = new HyperLogLog();
    const novel = new HyperLogLog();
    this.exactSet!.forEach((hi, lo) => {
      all.add(hi, lo);
      if (this.reference === null || !this.reference.has(hi, lo)) novel.add(hi, lo);
    });
    this.allSketch = all;
    this.novelSketch = novel;
    this.exactSet = null;
  }
}

// ---------------------------------------------------------------------------------------------
// The accumulator

/** Above this many tags the D×D pair matrix is not kept (it would take D²·4 bytes). */
export const MAX_COOCCURRENCE_TAGS = 2048;

export interface TagSetStatsOptions {
  /** Key set of the reference corpus: distinct sets absent from it are counted as novel. */
  reference?: KeySet64 | null;
  /** Distinct sets tracked exactly before switching to HyperLogLog estimates. */
  exactDistinctLimit?: number;
}

/**
 * Everything the evaluation needs from a stream of tag sets, in memory that does not grow with
 * the number of rows (the distinct-set tracker grows with distinct sets, up to its limit).
 */
export class TagSetStats {
  rows = 0;
  /** Occurrences (rows containing it) of each tag, by global id. */
  readonly tagCounts: Float64Array;
  /** Per category: rows with k tags of that category, k = 0 … category size. */
  readonly countHistograms: Float64Array[];
  /**
   * Rows containing both tags, for each pair i < j, in row-major upper-triangle order
   * (`pairIndex`); null for taxonomies larger than MAX_COOCCURRENCE_TAGS.
   */
  readonly pairCounts: Float64Array | null;
  readonly distinct: DistinctSets;
  private readonly size: number;
  private readonly tagCategory: Uint8Array;
  private readonly perCategory: Int32Array;
  private readonly scratch: Int32Array;

  constructor(
    readonly taxonomy: Taxonomy,
    options: TagSetStatsOptions = {},
  ) {
    this.size = taxonomy.size;
    this.tagCategory = taxonomy.tagCategory;
    this.tagCounts = new Float64Array(this.size);
    this.countHistograms = taxonomy.ranges.map((r) => new Float64Array(r.end - r.start + 1));
    this.pairCounts =
      this.size <= MAX_COOCCURRENCE_TAGS
        ? new Float64Array((this.size * (this.size - 1)) / 2)
        : null;
    this.distinct = new DistinctSets(
      options.reference ?? null,
      options.exactDistinctLimit ?? DEFAULT_EXACT_DISTINCT_LIMIT,
    );
    this.perCategory = new Int32Array(taxonomy.categories.length);
    this.scratch = new Int32Array(this.size);
  }

  /** Index of the pair (i, j), i < j, in `pairCounts`. */
  pairIndex(i: number, j: number): number {
    return i * this.size - (i * (i + 1)) / 2 + (j - i - 1);
  }

  /** Adds one row (its tag ids, any order; repeats count once). `where` names it in errors. */
  add(tags: ArrayLike<number>, where = `row ${this.rows}`): void {
    const sorted = normalizeTagSet(tags, this.size, this.scratch, where);
    const [hi, lo] = tagSetKey(sorted);
    this.addNormalized(sorted, hi, lo);
  }

  /**
   * Adds a row already sorted and free of repeats (`normalizeTagSet`), with its `tagSetKey`:
   * lets a caller that feeds several accumulators prepare each row once.
   */
  addNormalized(sorted: ArrayLike<number>, hi: number, lo: number): void {
    const length = sorted.length;
    this.rows++;
    this.perCategory.fill(0);
    for (let a = 0; a < length; a++) {
      const i = sorted[a];
      this.tagCounts[i]++;
      this.perCategory[this.tagCategory[i]]++;
    }
    for (let c = 0; c < this.perCategory.length; c++)
      this.countHistograms[c][this.perCategory[c]]++;
    const pairs = this.pairCounts;
    if (pairs) {
      for (let a = 0; a < length; a++) {
        const i = sorted[a];
        const base = i * this.size - (i * (i + 1)) / 2 - i - 1;
        for (let b = a + 1; b < length; b++) pairs[base + sorted[b]]++;
      }
    }
    this.distinct.add(hi, lo);
  }
}
