// z-coupled tag counts: how many tags a category gets depends on the decoded probabilities of
// the row, while each category's count keeps the count model's marginal.
//
// Why: with counts drawn independently of z, a row whose decoder is sure of one instrument may
// be asked for four, and top-k fills the other three with weak, unrelated tags; that is what
// holds the co-occurrence correlation back. Here a row's "expected count" in a category,
// e_c = Σ p_j over the category's tags, sets where its count falls in the fitted marginal.
//
// Per row, per category c (all per-row, so a row's counts never depend on its batch or chunk):
//   s_c = Φ⁻¹(F̂_c(e_c))          F̂_c: the empirical CDF of e_c over a calibration sample
//   g   = L·ε                     the count model's copula normals, ε from the row's count
//                                 stream (exactly the draws countSampler makes)
//   n_c = F_c⁻¹(Φ(ρ·s_c + √(1−ρ²)·g_c))   F_c: the count model's marginal
// Under the calibration's distribution s_c is standard normal, so ρ·s_c + √(1−ρ²)·g_c is too
// and n_c keeps the fitted marginal for any strength ρ ∈ [0, 1]; ρ = 0 gives countSampler's
// counts bit for bit.
//
// The calibration sample: `rows` latent vectors z ~ N(0, I) from streams
// (seed, CountCoupling, temperature index, i), decoded at the run's temperature. It depends
// only on the run seed, the temperature and the model, so every chunk of a temperature gets
// the same one. It matches latent rows' z distribution exactly, which is why only latent rows
// are coupled: seeded rows' z comes from the encoder's posterior.
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import {
  type CountModel,
  checkCountModel,
  cholesky,
  countAt,
  marginalThresholds,
} from '../counts/index.js';
import { ValidationError } from '../errors.js';
import type { Taxonomy } from '../inputs/index.js';
import { RowStream, Stage } from '../rng.js';
import type { VaeSession } from './vae-session.js';

/** How tag counts relate to the decoded probabilities. */
export type CountCouplingMode = 'independent' | 'coupled';

/** ρ used for `coupled`: of 0.8, 0.9 and 1, 1 scored best (bench/quality-report.ts). */
export const DEFAULT_COUPLING_STRENGTH = 1;

/** Calibration rows per temperature: the empirical CDF's resolution is 1/rows. */
export const DEFAULT_CALIBRATION_ROWS = 16_384;

export interface CountCouplingCalibration {
  temperature: number;
  /** Per category (taxonomy order): the calibration rows' expected counts, ascending. */
  expected: Float64Array[];
}

/** Writes e_c = Σ p_j over each category's tags of row `row` of an n×D matrix to `out`. */
export function expectedCounts(
  taxonomy: Taxonomy,
  probs: Float32Array,
  row: number,
  out: Float64Array,
): void {
  const base = row * taxonomy.size;
  taxonomy.ranges.forEach(({ start, end }, c) => {
    let sum = 0;
    for (let j = start; j < end; j++) sum += probs[base + j];
    out[c] = sum;
  });
}

/** Decodes the calibration sample of one temperature and sorts its expected counts. */
export async function calibrateCountCoupling(params: {
  runner: Pick<VaeSession, 'decode'>;
  latentDim: number;
  taxonomy: Taxonomy;
  seed: number;
  temperatureIndex: number;
  temperature: number;
  rows?: number;
}): Promise<CountCouplingCalibration> {
  const { runner, latentDim: L, taxonomy, seed, temperatureIndex, temperature } = params;
  const rows = params.rows ?? DEFAULT_CALIBRATION_ROWS;
  if (!Number.isSafeInteger(rows) || rows < 1) {
    throw new ValidationError(`count coupling: calibration rows must be ≥ 1, got ${rows}`);
  }
  const z = new Float32Array(rows * L);
  for (let i = 0; i < rows; i++) {
    new RowStream({ seed, stage: Stage.CountCoupling, temperatureIndex, row: i }).fillNormal(
      z,
      i * L,
      L,
    );
  }
  const probs = await runner.decode(z, new Float32Array(rows).fill(temperature), rows);
  const C = taxonomy.categories.length;
  const expected = taxonomy.categories.map(() => new Float64Array(rows));
  const row = new Float64Array(C);
  for (let i = 0; i < rows; i++) {
    expectedCounts(taxonomy, probs, i, row);
    for (let c = 0; c < C; c++) expected[c][i] = row[c];
  }
  for (const values of expected) values.sort();
  return { temperature, expected };
}

/** Mid-rank empirical CDF of `value` in ascending `sorted`, kept inside (0, 1). */
function midRankCdf(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  const below = lo;
  hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  const equal = lo - below;
  return (below + equal / 2 + 0.5) / (sorted.length + 1);
}

/** Draws a row's counts from its count stream and its decoded probabilities. */
export interface CoupledCountSampler {
  readonly categories: number;
  /**
   * Writes one count per category to `out[offset …]`. Draws `categories` standard normals
   * from `stream` (and nothing else), as countSampler does.
   */
  sampleRow(
    probs: Float32Array,
    row: number,
    stream: RowStream,
    out: Uint8Array,
    offset: number,
  ): void;
}

export function coupledCountSampler(params: {
  model: CountModel;
  taxonomy: Taxonomy;
  calibration: CountCouplingCalibration;
  strength?: number;
}): CoupledCountSampler {
  const { model, taxonomy, calibration } = params;
  checkCountModel(model);
  const strength = params.strength ?? DEFAULT_COUPLING_STRENGTH;
  if (!(strength >= 0 && strength <= 1)) {
    throw new ValidationError(`count coupling: strength must be in [0, 1], got ${strength}`);
  }
  const k = model.categories.length;
  if (k !== taxonomy.categories.length || calibration.expected.length !== k) {
    throw new ValidationError(
      `count coupling: the count model has ${k} categories, the taxonomy ${taxonomy.categories.length}, the calibration ${calibration.expected.length}`,
    );
  }
  model.categories.forEach((category, c) => {
    if (taxonomy.categories[c] !== category) {
      throw new ValidationError(
        `count coupling: count model category ${c} is "${category}", the taxonomy's is "${taxonomy.categories[c]}"`,
      );
    }
  });
  const lower = cholesky(model.correlation) as Float64Array;
  const thresholds = marginalThresholds(model);
  const rest = Math.sqrt(1 - strength * strength);
  const normals = new Float64Array(k);
  const expected = new Float64Array(k);
  return {
    categories: k,
    sampleRow(probs, row, stream, out, offset) {
      for (let i = 0; i < k; i++) normals[i] = stream.normal();
      expectedCounts(taxonomy, probs, row, expected);
      for (let i = 0; i < k; i++) {
        let g = 0;
        for (let j = 0; j <= i; j++) g += lower[i * k + j] * normals[j];
        const score =
          strength === 0
            ? 0
            : normalQuantile(midRankCdf(calibration.expected[i], expected[i]), 0, 1);
        out[offset + i] = countAt(thresholds[i], normalCdf(strength * score + rest * g, 0, 1));
      }
    },
  };
}
