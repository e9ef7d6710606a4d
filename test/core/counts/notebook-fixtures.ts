// Shared by the count-model specs (not a spec): the notebook's constants and marginal, written
// out independently of core/counts/notebook-counts.ts, and pmf comparisons.
import type { CountModel } from '../../../core/counts/count-model.js';
import { countModelFromParams } from '../../../core/counts/notebook-counts.js';

// The seed notebook's constants, copied from its generate_synthetic_correlated_data cell.
export const CATEGORIES = ['tempo', 'genre', 'mood', 'instrument'];
export const MAX_COUNTS = { tempo: 6, genre: 6, mood: 8, instrument: 6 };
export const MEANS = { tempo: 1.24, genre: 1.25, mood: 1.75, instrument: 1.96 };
export const VARIANCES = { tempo: 0.58, genre: 0.65, mood: 1.07, instrument: 1.12 };
export const CORRELATION = [
  [1.0, 0.15, 0.046, -0.056],
  [0.15, 1.0, 0.021, -0.087],
  [0.046, 0.021, 1.0, -0.099],
  [-0.056, -0.087, -0.099, 1.0],
];

/**
 * A direct transcription of the notebook's marginal, on x = 1..max:
 *   mu = log(m²/sqrt(m²+v)); sigma = sqrt(log(1+v/m²))
 *   p = 1/(x·sigma·sqrt(2π)) · exp(-(log x − mu)²/(2 sigma²)); p /= p.sum()
 */
export function notebookPmf(category: keyof typeof MEANS): number[] {
  const m = MEANS[category];
  const v = VARIANCES[category];
  const mu = Math.log(m ** 2 / Math.sqrt(m ** 2 + v));
  const sigma = Math.sqrt(Math.log(1 + v / m ** 2));
  const p: number[] = [];
  for (let x = 1; x <= MAX_COUNTS[category]; x++) {
    p.push(
      (1 / (x * sigma * Math.sqrt(2 * Math.PI))) *
        Math.exp(-((Math.log(x) - mu) ** 2) / (2 * sigma ** 2)),
    );
  }
  const total = p.reduce((s, value) => s + value, 0);
  return p.map((value) => value / total);
}

export function notebookModel(): CountModel {
  return countModelFromParams({
    categories: CATEGORIES,
    means: MEANS,
    variances: VARIANCES,
    maxCounts: MAX_COUNTS,
    correlation: CORRELATION,
  });
}

/** Empirical pmf of column c of rows × k counts, over 0..length−1. */
export function empiricalPmf(counts: Uint8Array, k: number, c: number, length: number): number[] {
  const pmf = new Array(length).fill(0);
  const rows = counts.length / k;
  for (let r = 0; r < rows; r++) {
    const v = counts[r * k + c];
    if (v >= length) throw new Error(`count ${v} outside the support 0..${length - 1}`);
    pmf[v] += 1 / rows;
  }
  return pmf;
}

export function totalVariation(p: number[], q: number[]): number {
  let sum = 0;
  for (let i = 0; i < Math.max(p.length, q.length); i++) sum += Math.abs((p[i] ?? 0) - (q[i] ?? 0));
  return sum / 2;
}
