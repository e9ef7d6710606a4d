// Choosing each category's tags from a row's decoded probabilities.
//
//   topk    the notebook's rule: the k most probable tags of the category, skipping seed
//           tags (ties go to the lower tag index, so the result never depends on sort
//           stability). Unlike the notebook, k larger than what the category has left is
//           not an error: the row gets every remaining tag.
//   sample  k tags drawn without replacement with probability proportional to the decoded
//           probabilities (Gumbel-top-k: the k largest log p + Gumbel noise). The noise comes
//           from the row's own selection stream, so the choice is reproducible per row.
import type { RowStream } from './rng.js';
import type { Taxonomy } from './taxonomy.js';

export type SelectionPolicy = 'topk' | 'sample';

/**
 * Scratch space reused across rows so the hot path allocates nothing.
 * `maxK` is the largest category size.
 */
export class SelectionScratch {
  readonly index: Int32Array;
  readonly score: Float64Array;
  readonly gumbel: Float64Array;

  constructor(taxonomy: Taxonomy) {
    const maxK = Math.max(...taxonomy.ranges.map((r) => r.end - r.start));
    this.index = new Int32Array(maxK);
    this.score = new Float64Array(maxK);
    this.gumbel = new Float64Array(maxK);
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
 * Selects tags for one row and appends them to `out` from `outOffset`, category by category in
 * taxonomy order, best first within a category. Returns the number of tags written.
 *
 * @param probs      decoded probabilities, row `row` of an n×D matrix
 * @param requests   tags wanted per category (taxonomy order)
 * @param excluded   tag ids that must not be chosen (the row's seed tags)
 * @param stream     the row's selection stream; required for `sample`
 */
export function selectTags(
  taxonomy: Taxonomy,
  policy: SelectionPolicy,
  probs: Float32Array,
  row: number,
  requests: ArrayLike<number>,
  excluded: ArrayLike<number>,
  excludedCount: number,
  scratch: SelectionScratch,
  out: Uint16Array,
  outOffset: number,
  stream?: RowStream,
): number {
  const base = row * taxonomy.size;
  let written = 0;
  for (let c = 0; c < taxonomy.ranges.length; c++) {
    const want = requests[c];
    if (want <= 0) continue;
    const { start, end } = taxonomy.ranges[c];
    let blocked = 0;
    for (let e = 0; e < excludedCount; e++)
      if (excluded[e] >= start && excluded[e] < end) blocked++;
    const k = Math.min(want, end - start - blocked);
    if (k <= 0) continue;
    if (policy === 'sample') {
      if (!stream) throw new Error('the sample policy needs a selection stream');
      // One uniform per tag of the category, in tag order, whether or not it is excluded:
      // the stream's consumption then depends only on the category sizes.
      for (let j = start; j < end; j++)
        scratch.gumbel[j - start] = -Math.log(-Math.log(1 - stream.uniform()));
    }
    let filled = 0;
    for (let j = start; j < end; j++) {
      let skip = false;
      for (let e = 0; e < excludedCount; e++) {
        if (excluded[e] === j) {
          skip = true;
          break;
        }
      }
      if (skip) continue;
      const p = probs[base + j];
      const score = policy === 'topk' ? p : Math.log(p) + scratch.gumbel[j - start];
      filled = offer(scratch, filled, k, j, score);
    }
    for (let i = 0; i < filled; i++) out[outOffset + written + i] = scratch.index[i];
    written += filled;
  }
  return written;
}
