// The seed notebook's count model (generate_synthetic_correlated_data): its constants and its
// discretised log-normal marginals, bit-for-bit the same pmf.
import { ValidationError } from '../errors.js';
import { correlationMatrixError, repairCorrelation } from './correlation.js';
import { type CountModel, checkCategories, MAX_COUNT } from './count-model.js';

/** The seed notebook's constants (MAX_COUNTS, MEANS, VARIANCES and its correlation matrix). */
export const NOTEBOOK_COUNT_PARAMS = {
  categories: ['tempo', 'genre', 'mood', 'instrument'],
  maxCounts: { tempo: 6, genre: 6, mood: 8, instrument: 6 },
  means: { tempo: 1.24, genre: 1.25, mood: 1.75, instrument: 1.96 },
  variances: { tempo: 0.58, genre: 0.65, mood: 1.07, instrument: 1.12 },
  correlation: [
    [1.0, 0.15, 0.046, -0.056],
    [0.15, 1.0, 0.021, -0.087],
    [0.046, 0.021, 1.0, -0.099],
    [-0.056, -0.087, -0.099, 1.0],
  ],
} as const;

/**
 * numpy's float64 `sum`: pairwise summation with eight accumulators (numpy's pairwise_sum),
 * so the notebook's `p /= p.sum()` rounds exactly as it did there.
 */
function numpySum(values: ArrayLike<number>, start = 0, n = values.length): number {
  if (n < 8) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[start + i];
    return sum;
  }
  if (n <= 128) {
    const r = Array.from({ length: 8 }, (_, j) => values[start + j]);
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += values[start + i + j];
    let sum = r[0] + r[1] + (r[2] + r[3]) + (r[4] + r[5] + (r[6] + r[7]));
    for (; i < n; i++) sum += values[start + i];
    return sum;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return numpySum(values, start, half) + numpySum(values, start + half, n - half);
}

/**
 * The notebook's discretised log-normal marginal on 1..maxCount, as a pmf over 0..maxCount
 * with p(0) = 0: μ = ln(m²/√(m²+v)), σ = √ln(1+v/m²), p(x) ∝ exp(−(ln x − μ)²/2σ²)/(x σ √2π).
 * Operations in the notebook's order, for identical rounding.
 */
export function notebookMarginal(mean: number, variance: number, maxCount: number): number[] {
  const mu = Math.log((mean * mean) / Math.sqrt(mean * mean + variance));
  const sigma = Math.sqrt(Math.log(1 + variance / (mean * mean)));
  const p = new Float64Array(maxCount);
  for (let x = 1; x <= maxCount; x++) {
    const d = Math.log(x) - mu;
    p[x - 1] =
      (1 / (x * sigma * Math.sqrt(2 * Math.PI))) * Math.exp(-(d * d) / (2 * (sigma * sigma)));
  }
  const total = numpySum(p);
  return [0, ...Array.from(p, (value) => value / total)];
}

/**
 * The notebook's model: discretised log-normal marginals with the given means and variances on
 * 1..maxCount, and the given latent correlation, which must be a correlation matrix over
 * `categories` (square, symmetric, unit diagonal, positive semi-definite; a singular one is
 * nudged to positive definite). Errors name the config fields (`counts.correlation`, …).
 */
export function countModelFromParams(params: {
  categories: string[];
  means: Record<string, number>;
  variances: Record<string, number>;
  maxCounts: Record<string, number>;
  correlation: number[][];
}): CountModel {
  const { categories } = params;
  const where = 'counts';
  checkCategories(categories, where);
  for (const [name, record] of [
    ['means', params.means],
    ['variances', params.variances],
    ['maxCounts', params.maxCounts],
  ] as const) {
    for (const key of Object.keys(record)) {
      if (!categories.includes(key)) {
        throw new ValidationError(
          `${where}.${name}: names "${key}", which is not one of the categories (${categories.join(', ')})`,
        );
      }
    }
  }
  const marginals = categories.map((category) => {
    const mean = params.means[category];
    const variance = params.variances[category];
    const maxCount = params.maxCounts[category];
    if (typeof mean !== 'number' || !(mean > 0) || !Number.isFinite(mean)) {
      throw new ValidationError(
        `${where}.means.${category}: must be a positive number, got ${mean}`,
      );
    }
    if (typeof variance !== 'number' || !(variance > 0) || !Number.isFinite(variance)) {
      throw new ValidationError(
        `${where}.variances.${category}: must be a positive number, got ${variance}`,
      );
    }
    if (!Number.isInteger(maxCount) || maxCount < 1 || maxCount > MAX_COUNT) {
      throw new ValidationError(
        `${where}.maxCounts.${category}: must be an integer in 1..${MAX_COUNT}, got ${maxCount}`,
      );
    }
    return notebookMarginal(mean, variance, maxCount);
  });
  const error = correlationMatrixError(params.correlation, categories.length);
  if (error) {
    throw new ValidationError(
      `${where}.correlation: ${error}${error.startsWith('expected a') ? ` (a row and a column per category, in order: ${categories.join(', ')})` : ''}`,
    );
  }
  const { correlation, repaired } = repairCorrelation(params.correlation);
  const model: CountModel = { kind: 'params', categories: [...categories], marginals, correlation };
  if (repaired) model.repaired = true;
  return model;
}

/** A problem found while checking a config (the shape zod's `ctx.addIssue` takes). */
export type ConfigIssue = {
  code: 'custom';
  path: string[];
  message: string;
};

/**
 * Config-time check of `counts.correlation` (`mode: params`), before any file is read: a
 * correlation matrix with a row and a column per category of `counts.means` (square,
 * symmetric, unit diagonal, positive semi-definite). The taxonomy is checked at load.
 */
export function countParamsIssues(counts: {
  mode: string;
  means?: Record<string, number>;
  variances?: Record<string, number>;
  maxCounts?: Record<string, number>;
  correlation?: unknown;
}): ConfigIssue[] {
  if (counts.mode !== 'params' || !counts.means) return [];
  // A category in one of means, variances and maxCounts must be in all three.
  const perCategory = {
    means: counts.means,
    variances: counts.variances,
    maxCounts: counts.maxCounts,
  };
  const named = new Set(Object.values(perCategory).flatMap((values) => Object.keys(values ?? {})));
  const missing = Object.entries(perCategory).flatMap(([field, values]): ConfigIssue[] => {
    const absent = [...named].filter((category) => values && !(category in values));
    if (absent.length === 0) return [];
    return [
      {
        code: 'custom',
        path: ['counts', field],
        message: `no entry for ${absent.map((c) => JSON.stringify(c)).join(', ')} (means, variances and maxCounts need one per category)`,
      },
    ];
  });
  if (missing.length > 0) return missing;
  const categories = Object.keys(counts.means);
  if (categories.length === 0) return [];
  const error = correlationMatrixError(counts.correlation, categories.length);
  if (!error) return [];
  const which = error.startsWith('expected a')
    ? ` (a row and a column per category of counts.means: ${categories.join(', ')})`
    : '';
  return [{ code: 'custom', path: ['counts', 'correlation'], message: `${error}${which}` }];
}
