// What a count model says, for reports: expected means and the statistics of a seeded sample.
import { pearsonCorrelation } from './correlation.js';
import type { CountModel } from './count-model.js';
import { sampleCounts } from './count-sampler.js';

export interface CountModelDescription {
  kind: CountModel['kind'];
  categories: string[];
  marginals: number[][];
  correlation: number[][];
  repaired: boolean;
  source?: CountModel['source'];
  /** Mean count per category under the model's marginals. */
  expectedMeans: Record<string, number>;
  /** Rows sampled for the sample statistics (absent when none were). */
  sampleRows?: number;
  sampleMeans?: Record<string, number>;
  /** Pearson correlation of the sampled counts (not of the latent normals). */
  sampleCorrelation?: number[][];
}

/**
 * What a model says, for reports: its marginals and correlation, expected mean counts and,
 * unless `sampleRows` is 0, means and correlation of a seeded sample (default 20,000 rows,
 * seed 0, stage CountSample).
 */
export function describeCountModel(
  model: CountModel,
  params: { sampleRows?: number; seed?: number } = {},
): CountModelDescription {
  const { categories } = model;
  const expectedMeans: Record<string, number> = {};
  model.marginals.forEach((pmf, c) => {
    expectedMeans[categories[c]] = pmf.reduce((sum, p, v) => sum + p * v, 0);
  });
  const description: CountModelDescription = {
    kind: model.kind,
    categories: [...categories],
    marginals: model.marginals.map((pmf) => [...pmf]),
    correlation: model.correlation.map((row) => [...row]),
    repaired: model.repaired === true,
    expectedMeans,
  };
  if (model.source) description.source = { ...model.source };
  const sampleRows = params.sampleRows ?? 20_000;
  if (sampleRows > 0) {
    const k = categories.length;
    const counts = sampleCounts(model, { n: sampleRows, seed: params.seed ?? 0 });
    const sums = new Float64Array(k);
    for (let i = 0; i < counts.length; i++) sums[i % k] += counts[i];
    description.sampleRows = sampleRows;
    description.sampleMeans = Object.fromEntries(
      categories.map((c, i) => [c, sums[i] / sampleRows]),
    );
    description.sampleCorrelation = pearsonCorrelation(counts, sampleRows, k);
  }
  return description;
}
