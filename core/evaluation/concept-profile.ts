// How a concept's positive rows resemble the corpus rows that carry the concept: the Pearson r
// of P(other tag | concept) between the two, over every other tag of the taxonomy.
import type { Taxonomy } from '../inputs/index.js';
import { pearson } from './metrics.js';

export function conceptProfileR(
  taxonomy: Taxonomy,
  concept: number,
  positives: readonly ArrayLike<number>[],
  reference: readonly ArrayLike<number>[] | undefined,
): { r: number | null; referenceRows: number } {
  const profile = (rows: readonly ArrayLike<number>[]) => {
    const counts = new Float64Array(taxonomy.size);
    let n = 0;
    for (const row of rows) {
      if (!Array.prototype.includes.call(row, concept)) continue;
      n++;
      for (const tag of new Set(Array.from(row))) if (tag !== concept) counts[tag]++;
    }
    if (n > 0) for (let j = 0; j < counts.length; j++) counts[j] /= n;
    counts[concept] = Number.NaN;
    return { rates: Array.from(counts).filter((x) => !Number.isNaN(x)), n };
  };
  if (!reference) return { r: null, referenceRows: 0 };
  const ref = profile(reference);
  if (ref.n < 2) return { r: null, referenceRows: ref.n };
  const generated = profile(positives);
  const r = pearson(generated.rates, ref.rates);
  return { r: Number.isFinite(r) ? r : null, referenceRows: ref.n };
}
