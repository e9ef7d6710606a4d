import { describe, expect, it } from 'vitest';
import { categoryShares } from '../../../core/evaluation/index.js';
import { applyTagBias } from '../../../core/generation/batch-kernels.mjs';
import { fitTagBias, meanShareJs } from '../../../core/generation/tag-calibration.js';
import { buildTaxonomy } from '../../../core/inputs/index.js';
import { RowStream, Stage } from '../../../core/rng.js';

const taxonomy = buildTaxonomy({ tempo: ['slow', 'fast', 'mid'], mood: ['calm', 'dark'] });

describe('meanShareJs', () => {
  it('is the base-2 JS distance averaged over categories', () => {
    const p = Float64Array.from([1, 0, 0, 0.5, 0.5]);
    const q = Float64Array.from([0, 1, 0, 0.5, 0.5]);
    // tempo: disjoint supports → distance 1; mood: identical → 0
    expect(meanShareJs(taxonomy, p, q)).toBeCloseTo(0.5, 12);
    expect(meanShareJs(taxonomy, p, p)).toBe(0);
  });
});

describe('applyTagBias', () => {
  it('is σ(logit(p) + b), the identity at b = 0, and keeps 0 and 1', () => {
    const probs = Float32Array.from([0.2, 0.5, 0, 1, 0.9]);
    applyTagBias(probs, 1, Float32Array.from([0, Math.log(3), 5, -5, -Math.log(9)]));
    expect(probs[0]).toBeCloseTo(0.2, 7);
    expect(probs[1]).toBeCloseTo(0.75, 7); // odds 1 → 3
    expect(probs[2]).toBe(0);
    expect(probs[3]).toBe(1);
    expect(probs[4]).toBeCloseTo(0.5, 6); // odds 9 → 1 (float32)
  });
});

describe('fitTagBias', () => {
  // 2,000 rows of noisy logits that favour slow over fast over mid (and calm over dark): top-1
  // picks slow most of the time, unless a bias moves it.
  const n = 2000;
  const probs = new Float32Array(n * 5);
  const stream = new RowStream({ seed: 3, stage: Stage.CountSample, temperatureIndex: 0, row: 0 });
  const base = [1, 0, -1, 0.5, 0];
  for (let i = 0; i < n * 5; i++) probs[i] = 1 / (1 + Math.exp(-(base[i % 5] + stream.normal())));
  const topOne = (biased: Float32Array, rows: number) => {
    const picked = new Float64Array(5);
    for (let r = 0; r < rows; r++) {
      for (const { start, end } of taxonomy.ranges) {
        let best = start;
        for (let j = start; j < end; j++) if (biased[r * 5 + j] > biased[r * 5 + best]) best = j;
        picked[best]++;
      }
    }
    return picked;
  };
  const target = Float64Array.from([0.3, 0.4, 0.3, 0.5, 0.5]);

  it('moves selected shares towards the target and keeps the best step', () => {
    const before = probs.slice();
    const { bias, meanJs } = fitTagBias({ taxonomy, probs, n, target, steps: 12, select: topOne });
    expect(meanJs).toHaveLength(13);
    expect(meanJs[0]).toBeGreaterThan(0.2); // unbiased: slow most of the time
    expect(Math.min(...meanJs)).toBeLessThan(meanJs[0] / 4);
    const biased = probs.slice();
    applyTagBias(biased, n, bias);
    const kept = meanShareJs(taxonomy, target, categoryShares(taxonomy, topOne(biased, n)));
    expect(kept).toBeCloseTo(Math.min(...meanJs), 12);
    expect(probs).toEqual(before); // the caller's probabilities are left alone
  });

  it('pushes a tag absent from the target down, but to a finite bias', () => {
    const absent = Float64Array.from([0, 0.5, 0.5, 0.5, 0.5]);
    const { bias } = fitTagBias({ taxonomy, probs, n, target: absent, steps: 20, select: topOne });
    expect(bias[0]).toBeLessThan(-2);
    expect(bias.every(Number.isFinite)).toBe(true);
  });
});
