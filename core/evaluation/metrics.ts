// Distribution-comparison metrics for tag sets, and the streaming accumulator they read from.
//
// Everything here is pure and small enough to check by hand. `TagSetStats` gathers, in one
// pass and bounded memory, all a comparison needs from any number of rows: per-tag
// occurrence counts, per-category tag-count histograms, pair co-occurrence counts (upper
// triangle of the D×D matrix) and the distinct tag sets, tracked as 64-bit hashes
// (distinct-sets.ts).
//
// Definitions (the README's "Evaluation" section says the same for users):
// - tag frequency distribution of a category: occurrences of each tag of the category divided
//   by all tag occurrences in that category;
// - tag-count histogram of a category: how many rows have 0, 1, 2, … tags of that category;
// - co-occurrence rate of a tag pair: the fraction of rows that contain both tags, over all
//   D·(D−1)/2 pairs of the taxonomy;
// - a row's tag set: its distinct tag ids (a repeated id counts once).
import type { Taxonomy } from '../inputs/index.js';
import {
  DEFAULT_EXACT_DISTINCT_LIMIT,
  DistinctSets,
  type KeySet64,
  normalizeTagSet,
  tagSetKey,
} from './distinct-sets.js';

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

/** Each tag's share of its category: its count over the category's total (0 when empty). */
export function categoryShares(taxonomy: Taxonomy, tagCounts: ArrayLike<number>): Float64Array {
  const shares = new Float64Array(taxonomy.size);
  for (const { start, end } of taxonomy.ranges) {
    let total = 0;
    for (let j = start; j < end; j++) total += tagCounts[j];
    if (total > 0) for (let j = start; j < end; j++) shares[j] = tagCounts[j] / total;
  }
  return shares;
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
