// The tag-count model (pipeline stage 2): how many tags each category gets in a generated row,
// as a Gaussian copula over the per-category counts.
//
// A row's counts are drawn as correlated standard normals z = L·ε (L the Cholesky factor of
// the correlation matrix, ε from the row's keyed stream), mapped through Φ to uniforms and
// through each category's inverse marginal CDF to a count. Two ways to get a model:
// - `fitCountModel`: empirical marginals and the correlation of normal scores of a corpus;
// - `countModelFromParams`: the seed notebook's discretised log-normal marginals
//   (generate_synthetic_correlated_data), bit-for-bit the same pmf and inverse-CDF rule.
// Both share one representation: a pmf per category over counts 0..max.
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import { ValidationError } from '../errors.js';
import { type RowStream, rowStream, Stage, type StageId } from '../rng.js';
import {
  cholesky,
  correlationShapeError,
  pearsonCorrelation,
  repairCorrelation,
} from './correlation.js';

export interface CountModel {
  kind: 'fitted' | 'params';
  categories: string[];
  /** Per category: probability of each count 0..max (index = count). */
  marginals: number[][];
  /** Correlation of the latent normals, categories × categories, positive definite. */
  correlation: number[][];
  /** True when the fitted (or given) correlation was not positive definite and was repaired. */
  repaired?: boolean;
  source?: { path?: string; sha256?: string; rows?: number };
}

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

const MAX_COUNT = 255;

/**
 * Fits the copula to observed counts (rows × categories, row-major).
 *
 * Marginals: the empirical pmf of each category's count on 0..max seen.
 * Correlation: Pearson correlation of normal scores Φ⁻¹(u), where u is the continuity-corrected
 * mid-rank (r_mid − ½)/n. With ties, that is the midpoint of the empirical CDF's jump at the
 * value, (F(v−1) + F(v))/2, so every row with the same count gets the same score. A category
 * with one distinct value has no correlation with the others (0). A matrix that is not
 * positive definite is repaired by eigenvalue clipping (`repaired: true`).
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
 * 1..maxCount, and the given latent correlation (repaired if not positive definite).
 */
export function countModelFromParams(params: {
  categories: string[];
  means: Record<string, number>;
  variances: Record<string, number>;
  maxCounts: Record<string, number>;
  correlation: number[][];
}): CountModel {
  const { categories } = params;
  const where = 'count model parameters';
  checkCategories(categories, where);
  for (const [name, record] of [
    ['means', params.means],
    ['variances', params.variances],
    ['maxCounts', params.maxCounts],
  ] as const) {
    for (const key of Object.keys(record)) {
      if (!categories.includes(key)) {
        throw new ValidationError(
          `${where}: ${name} names "${key}", which is not one of the categories (${categories.join(', ')})`,
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
        `${where}: means.${category} must be a positive number, got ${mean}`,
      );
    }
    if (typeof variance !== 'number' || !(variance > 0) || !Number.isFinite(variance)) {
      throw new ValidationError(
        `${where}: variances.${category} must be a positive number, got ${variance}`,
      );
    }
    if (!Number.isInteger(maxCount) || maxCount < 1 || maxCount > MAX_COUNT) {
      throw new ValidationError(
        `${where}: maxCounts.${category} must be an integer in 1..${MAX_COUNT}, got ${maxCount}`,
      );
    }
    return notebookMarginal(mean, variance, maxCount);
  });
  const shapeError = correlationShapeError(params.correlation, categories.length);
  if (shapeError) throw new ValidationError(`${where}: correlation: ${shapeError}`);
  const { correlation, repaired } = repairCorrelation(params.correlation);
  const model: CountModel = { kind: 'params', categories: [...categories], marginals, correlation };
  if (repaired) model.repaired = true;
  return model;
}

function checkCategories(categories: unknown, where: string) {
  if (!Array.isArray(categories) || categories.length === 0) {
    throw new ValidationError(`${where}: needs a non-empty list of categories`);
  }
  if (categories.length > 255) {
    throw new ValidationError(
      `${where}: ${categories.length} categories; at most 255 are supported`,
    );
  }
  const seen = new Set<string>();
  for (const category of categories) {
    if (typeof category !== 'string' || category === '') {
      throw new ValidationError(
        `${where}: category names must be non-empty strings, got ${JSON.stringify(category)}`,
      );
    }
    if (seen.has(category))
      throw new ValidationError(`${where}: category "${category}" appears twice`);
    seen.add(category);
  }
}

/**
 * Validates a count model, e.g. one read back from JSON: categories, one pmf per category
 * (non-negative, summing to 1 within 1e-6, support at most 0..255), and a positive definite
 * correlation matrix. Returns it typed.
 */
export function checkCountModel(value: unknown, source = 'count model'): CountModel {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError(`${source}: expected an object`);
  }
  const model = value as Partial<CountModel>;
  if (model.kind !== 'fitted' && model.kind !== 'params') {
    throw new ValidationError(
      `${source}: kind must be "fitted" or "params", got ${JSON.stringify(model.kind)}`,
    );
  }
  checkCategories(model.categories, source);
  const categories = model.categories as string[];
  if (!Array.isArray(model.marginals) || model.marginals.length !== categories.length) {
    throw new ValidationError(
      `${source}: expected one marginal per category (${categories.length})`,
    );
  }
  model.marginals.forEach((pmf, c) => {
    const where = `${source}: marginal of "${categories[c]}"`;
    if (!Array.isArray(pmf) || pmf.length < 1 || pmf.length > MAX_COUNT + 1) {
      throw new ValidationError(`${where} must be a list of 1..${MAX_COUNT + 1} probabilities`);
    }
    let total = 0;
    pmf.forEach((p, v) => {
      if (typeof p !== 'number' || !Number.isFinite(p) || p < 0) {
        throw new ValidationError(`${where}: p(${v}) = ${p} is not a probability`);
      }
      total += p;
    });
    if (Math.abs(total - 1) > 1e-6) throw new ValidationError(`${where} sums to ${total}, not 1`);
  });
  const shapeError = correlationShapeError(model.correlation, categories.length);
  if (shapeError) throw new ValidationError(`${source}: correlation: ${shapeError}`);
  if (!cholesky(model.correlation as number[][])) {
    throw new ValidationError(`${source}: correlation is not positive definite`);
  }
  return model as CountModel;
}

/** Draws one row of counts at a time from a model, without allocating. */
export interface CountSampler {
  readonly categories: number;
  /**
   * Writes one count per category to `out[offset …]`, drawing `categories` standard normals
   * from `stream` (and nothing else).
   */
  sampleRow(stream: RowStream, out: Uint8Array, offset: number): void;
}

/**
 * Each marginal's cumulative thresholds T_v = p(0) + … + p(v), v < max (the inverse CDF's
 * steps, see `countAt`).
 */
export function marginalThresholds(model: CountModel): Float64Array[] {
  return model.marginals.map((pmf) => {
    const cumulative = new Float64Array(pmf.length - 1);
    let sum = 0;
    for (let v = 0; v < pmf.length - 1; v++) {
      sum += pmf[v];
      cumulative[v] = sum;
    }
    return cumulative;
  });
}

/**
 * Inverse CDF, as the notebook's `np.digitize(u, cumsum(p[:-1]))`: the count is the number of
 * thresholds T_v ≤ u; a u equal to a threshold goes to the upper count, as numpy.digitize
 * does. With p(0) = 0 (params models) T_0 = 0 ≤ u, which is the notebook's `+ 1`.
 */
export function countAt(cumulative: Float64Array, u: number): number {
  const last = cumulative.length;
  let count = 0;
  while (count < last && cumulative[count] <= u) count++;
  return count;
}

/**
 * Half the width of the band around a threshold's quantile in which countAtZ computes the CDF:
 * outside it, for |quantile| ≤ TAIL, the CDF differs from the threshold by at least
 * BAND·φ(TAIL) ≈ 1.5e-12, thousands of times the CDF's and the quantile's rounding errors, so
 * which side z is on decides which side Φ(z) is on.
 */
const BAND = 1e-6;
/** Beyond ±TAIL the normal density is too small for BAND to separate the sides. */
const TAIL = 5;

/**
 * A marginal's thresholds as bounds on z for countAtZ: z below `below[v]` has Φ(z) < T_v, z
 * above `above[v]` has Φ(z) ≥ T_v; between them, only the CDF itself can tell.
 */
export interface ThresholdsInZ {
  cumulative: Float64Array;
  below: Float64Array;
  above: Float64Array;
}

export function thresholdsInZ(cumulative: Float64Array): ThresholdsInZ {
  const below = new Float64Array(cumulative.length);
  const above = new Float64Array(cumulative.length);
  cumulative.forEach((t, v) => {
    if (t <= 0) {
      // Φ(z) ≥ 0 = t for every z.
      below[v] = Number.NEGATIVE_INFINITY;
      above[v] = Number.NEGATIVE_INFINITY;
    } else if (t > 1) {
      below[v] = Number.POSITIVE_INFINITY;
      above[v] = Number.POSITIVE_INFINITY;
    } else {
      const q = normalQuantile(t, 0, 1);
      if (q > TAIL) {
        // Far in the upper tail: z well below TAIL is surely under it; above, ask the CDF.
        below[v] = TAIL - 0.01;
        above[v] = Number.POSITIVE_INFINITY;
      } else if (q < -TAIL) {
        below[v] = Number.NEGATIVE_INFINITY;
        above[v] = -TAIL + 0.01;
      } else {
        below[v] = q - BAND;
        above[v] = q + BAND;
      }
    }
  });
  return { cumulative, below, above };
}

/**
 * countAt(cumulative, Φ(z)) — the same count — comparing z with each threshold's quantile, and
 * computing Φ(z) (the costly part of drawing a row's counts) only when z falls within a
 * threshold's band: about once in a hundred thousand rows.
 */
export function countAtZ(thresholds: ThresholdsInZ, z: number): number {
  const { cumulative, below, above } = thresholds;
  const last = cumulative.length;
  let count = 0;
  while (count < last) {
    if (z < below[count]) return count;
    if (!(z > above[count])) return countAt(cumulative, normalCdf(z, 0, 1));
    count++;
  }
  return count;
}

/** Precomputes the Cholesky factor and each marginal's thresholds once. */
export function countSampler(model: CountModel): CountSampler {
  checkCountModel(model);
  const k = model.categories.length;
  const lower = cholesky(model.correlation) as Float64Array;
  const thresholds = marginalThresholds(model).map(thresholdsInZ);
  const normals = new Float64Array(k);
  return {
    categories: k,
    sampleRow(stream: RowStream, out: Uint8Array, offset: number): void {
      for (let i = 0; i < k; i++) normals[i] = stream.normal();
      for (let i = 0; i < k; i++) {
        let z = 0;
        const row = i * k;
        for (let j = 0; j <= i; j++) z += lower[row + j] * normals[j];
        out[offset + i] = countAtZ(thresholds[i], z);
      }
    },
  };
}

/**
 * `n` rows of counts (rows × categories, row-major). Row i draws from
 * rowStream({seed, stage, temperatureIndex, row: firstRow + i}), so any range of rows can be
 * produced alone and matches the same rows of a longer run.
 */
export function sampleCounts(
  model: CountModel,
  params: {
    n: number;
    seed: number;
    stage?: StageId;
    temperatureIndex?: number;
    firstRow?: number;
  },
): Uint8Array {
  const { n, seed } = params;
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`sampleCounts: n must be a non-negative integer, got ${n}`);
  }
  const stage = params.stage ?? Stage.CountSample;
  const temperatureIndex = params.temperatureIndex ?? 0;
  const firstRow = params.firstRow ?? 0;
  const sampler = countSampler(model);
  const k = sampler.categories;
  const out = new Uint8Array(n * k);
  for (let i = 0; i < n; i++) {
    sampler.sampleRow(rowStream({ seed, stage, temperatureIndex, row: firstRow + i }), out, i * k);
  }
  return out;
}

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
