// Drawing counts from a model: z = L·ε (L the correlation's Cholesky factor, ε from the row's
// keyed stream), each z through Φ and its marginal's inverse CDF (the notebook's rule) to a count.
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import { type RowStream, rowStream, Stage, type StageId } from '../rng.js';
import { cholesky } from './correlation.js';
import { type CountModel, checkCountModel } from './count-model.js';

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
 * Half-width of the band around a threshold's quantile where countAtZ computes Φ: outside it
 * (|quantile| ≤ TAIL) Φ(z) is ≥ BAND·φ(TAIL) ≈ 1.5e-12 from the threshold, far above rounding.
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
