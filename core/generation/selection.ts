// Choosing each category's tags from a row's decoded probabilities.
//
//   topk    the notebook's rule: the k most probable tags of the category, skipping seed
//           tags (ties go to the lower tag index, so the result never depends on sort
//           stability). Unlike the notebook, k larger than what the category has left is
//           not an error: the row gets every remaining tag.
//   sample  k tags drawn without replacement with probability proportional to the decoded
//           probabilities (Gumbel-top-k: the k largest log p + Gumbel noise). The noise comes
//           from the row's own selection stream, so the choice is reproducible per row.

import type { Taxonomy } from '../inputs/index.js';
import type { RowStream } from '../rng.js';
import { type SelectedRows, type SelectionBatch, TopkKernel } from './batch-kernels.mjs';
import { wasmModules } from './wasm.js';

export type { SelectedRows, SelectionBatch };

export type SelectionPolicy = 'topk' | 'sample';

/**
 * Scratch space reused across rows so the hot path allocates nothing.
 * `maxK` is the largest category size.
 */
export class SelectionScratch {
  readonly index: Int32Array;
  readonly score: Float64Array;
  readonly gumbel: Float64Array;
  /** 1 for the current row's excluded tags: set and cleared again by each selectTags call. */
  readonly excluded: Uint8Array;

  constructor(taxonomy: Taxonomy) {
    const maxK = Math.max(...taxonomy.ranges.map((r) => r.end - r.start));
    this.index = new Int32Array(maxK);
    this.score = new Float64Array(maxK);
    this.gumbel = new Float64Array(maxK);
    this.excluded = new Uint8Array(taxonomy.size);
  }
}

/**
 * Inserts candidate `j` with `score` into the descending top list of length `filled` (capacity
 * `k`); equal scores keep the earlier (lower-index) candidate first.
 */
function offer(
  scratch: SelectionScratch,
  filled: number,
  k: number,
  j: number,
  score: number,
): number {
  const { index, score: scores } = scratch;
  if (filled === k && score <= scores[k - 1]) return filled;
  let pos = filled < k ? filled : k - 1;
  while (pos > 0 && scores[pos - 1] < score) {
    scores[pos] = scores[pos - 1];
    index[pos] = index[pos - 1];
    pos--;
  }
  scores[pos] = score;
  index[pos] = j;
  return filled < k ? filled + 1 : filled;
}

/**
 * The k most probable tags of [start, end) of a row into scratch (best first, ties to the lower
 * index), skipping tags marked in `excluded`: `offer`'s rule, with the bar to enter the list
 * kept in a local so that most tags cost one comparison. Returns the number found.
 */
function topkOfRange(
  probs: Float32Array,
  base: number,
  start: number,
  end: number,
  k: number,
  excluded: Uint8Array | null,
  scratch: SelectionScratch,
): number {
  let filled = 0;
  let j = start;
  // The first k candidates fill the list…
  for (; j < end && filled < k; j++) {
    if (excluded === null || excluded[j] === 0)
      filled = offer(scratch, filled, k, j, probs[base + j]);
  }
  if (filled < k) return filled;
  // …then a tag enters only above the bar (the list's last score; a tie keeps the earlier tag).
  const scores = scratch.score;
  let bar = scores[k - 1];
  for (; j < end; j++) {
    const p = probs[base + j];
    if (p > bar && (excluded === null || excluded[j] === 0)) {
      offer(scratch, k, k, j, p);
      bar = scores[k - 1];
    }
  }
  return k;
}

/**
 * Selects tags for one row and appends them to `out` from `outOffset`, category by category in
 * taxonomy order, best first within a category. Returns the number of tags written.
 *
 * Rows are addressed in place (no views per row: this runs once per generated row).
 *
 * @param probs      decoded probabilities; the row's are row `row` of an n×D matrix
 * @param requests   tags wanted per category; the row's are row `row` of an n×C matrix
 *                   (C categories, taxonomy order)
 * @param excluded   tag ids that must not be chosen (the row's seed tags):
 *                   excluded[excludedOffset … excludedOffset + excludedCount − 1]
 * @param stream     the row's selection stream; required for `sample`
 */
export function selectTags(
  taxonomy: Taxonomy,
  policy: SelectionPolicy,
  probs: Float32Array,
  row: number,
  requests: ArrayLike<number>,
  excluded: ArrayLike<number>,
  excludedOffset: number,
  excludedCount: number,
  scratch: SelectionScratch,
  out: Uint16Array,
  outOffset: number,
  stream?: RowStream,
): number {
  if (policy === 'sample' && !stream) throw new Error('the sample policy needs a selection stream');
  const base = row * taxonomy.size;
  const C = taxonomy.ranges.length;
  const isExcluded = scratch.excluded;
  const excludedEnd = excludedOffset + excludedCount;
  for (let e = excludedOffset; e < excludedEnd; e++) isExcluded[excluded[e]] = 1;
  let written = 0;
  for (let c = 0; c < C; c++) {
    const want = requests[row * C + c];
    if (want <= 0) continue;
    const { start, end } = taxonomy.ranges[c];
    let blocked = 0;
    for (let e = excludedOffset; e < excludedEnd; e++)
      if (excluded[e] >= start && excluded[e] < end) blocked++;
    const k = Math.min(want, end - start - blocked);
    if (k <= 0) continue;
    let filled = 0;
    if (policy === 'topk') {
      filled = topkOfRange(probs, base, start, end, k, blocked > 0 ? isExcluded : null, scratch);
    } else {
      // One uniform per tag of the category, in tag order, whether or not it is excluded:
      // the stream's consumption then depends only on the category sizes and on which
      // categories get tags (none is drawn for a category with k = 0).
      const gumbel = scratch.gumbel;
      for (let j = start; j < end; j++)
        gumbel[j - start] = -Math.log(-Math.log(1 - (stream as RowStream).uniform()));
      for (let j = start; j < end; j++) {
        if (isExcluded[j] === 0)
          filled = offer(scratch, filled, k, j, Math.log(probs[base + j]) + gumbel[j - start]);
      }
    }
    for (let i = 0; i < filled; i++) out[outOffset + written + i] = scratch.index[i];
    written += filled;
  }
  for (let e = excludedOffset; e < excludedEnd; e++) isExcluded[excluded[e]] = 0;
  return written;
}

/** Per category its first and end tag, as i32 pairs: how topk.wat reads a taxonomy. */
export function categoryRanges(taxonomy: Taxonomy): Int32Array {
  return Int32Array.from(taxonomy.ranges.flatMap((r) => [r.start, r.end]));
}

/**
 * The `topk` policy (selectTags' rule) for whole batches of rows of one taxonomy in
 * WebAssembly (core/generation/topk.wat, via core/generation/batch-kernels.mjs): the same tags in the same order,
 * packed row after row; about 0.5 µs a row over 200 tags with 2 requested per category.
 */
export class TopkRows {
  private readonly ranges: Int32Array;
  private readonly kernel = new TopkKernel(wasmModules().topk);

  constructor(private readonly taxonomy: Taxonomy) {
    this.ranges = categoryRanges(taxonomy);
  }

  /**
   * The top tags per category of every row of the batch, packed: row r's counts[r] tags
   * follow those of rows 0 … r − 1. The result's arrays are views into the module's memory,
   * valid until the next call.
   */
  select(batch: SelectionBatch): SelectedRows {
    return this.kernel.select(batch, this.ranges, this.taxonomy.size);
  }
}
