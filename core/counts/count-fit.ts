// Fitting the count model to a corpus: empirical marginals and the correlation of normal scores.
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import { ValidationError } from '../errors.js';
import { pearsonCorrelation, repairCorrelation } from './correlation.js';
import { type CountModel, checkCategories, MAX_COUNT } from './count-model.js';

/**
 * Fits the copula to counts (rows × categories, row-major): each category's empirical pmf on
 * 0..max seen, and the Pearson correlation of normal scores Φ⁻¹((r_mid − ½)/n) — with ties, the
 * midpoint (F(v−1) + F(v))/2 of the CDF's jump, so equal counts get equal scores. A constant
 * category correlates 0; a matrix not positive definite is repaired (`repaired: true`).
 */
export function fitCountModel(params: {
  categories: string[];
  counts: Uint8Array;
  rows: number;
  source?: CountModel['source'];
}): CountModel {
  const { categories, counts, rows } = params;
  checkCategories(categories, 'fitCountModel');
  const k = categories.length;
  if (!Number.isSafeInteger(rows) || rows < 1) {
    throw new ValidationError(`fitCountModel: needs at least one row, got rows = ${rows}`);
  }
  if (counts.length !== rows * k) {
    throw new ValidationError(
      `fitCountModel: counts has ${counts.length} values; expected rows × categories = ${rows} × ${k} = ${rows * k}`,
    );
  }
  const frequencies = categories.map(() => new Float64Array(MAX_COUNT + 1));
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < k; c++) frequencies[c][counts[r * k + c]]++;
  }
  const marginals: number[][] = [];
  const scoreOf: Float64Array[] = [];
  frequencies.forEach((frequency) => {
    let max = MAX_COUNT;
    while (frequency[max] === 0) max--;
    marginals.push(Array.from(frequency.subarray(0, max + 1), (f) => f / rows));
    const scores = new Float64Array(max + 1);
    let below = 0;
    for (let v = 0; v <= max; v++) {
      scores[v] = normalQuantile((below + frequency[v] / 2) / rows, 0, 1);
      below += frequency[v];
    }
    scoreOf.push(scores);
  });
  const scores = new Float64Array(rows * k);
  for (let i = 0; i < rows * k; i++) scores[i] = scoreOf[i % k][counts[i]];
  const { correlation, repaired } = repairCorrelation(pearsonCorrelation(scores, rows, k));
  const model: CountModel = { kind: 'fitted', categories: [...categories], marginals, correlation };
  if (repaired) model.repaired = true;
  if (params.source) model.source = { ...params.source };
  return model;
}
