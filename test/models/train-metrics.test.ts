import { describe, expect, it } from 'vitest';
import { klDivergence, multiHot, reconstructionLoss } from '../../models/train-metrics.js';

describe('reconstructionLoss', () => {
  it('is D·ln 2 per row for probabilities of one half', () => {
    const targets = multiHot({ rows: [[0, 3], []], inputDim: 5 });
    const { mean, perRow } = reconstructionLoss({
      probs: new Float32Array(10).fill(0.5),
      targets,
      inputDim: 5,
    });
    expect(perRow[0]).toBeCloseTo(5 * Math.LN2, 12);
    expect(perRow[1]).toBeCloseTo(5 * Math.LN2, 12);
    expect(mean).toBeCloseTo(5 * Math.LN2, 12);
  });

  it('clamps each log term at −100, as PyTorch does', () => {
    const targets = multiHot({ rows: [[0]], inputDim: 2 });
    // Tag 0 present with p = 0; tag 1 absent with p = 1: both terms clamp.
    const { mean } = reconstructionLoss({ probs: Float32Array.of(0, 1), targets, inputDim: 2 });
    expect(mean).toBe(200);
  });

  it('refuses mismatched shapes', () => {
    expect(() =>
      reconstructionLoss({ probs: new Float32Array(6), targets: new Float32Array(4), inputDim: 2 }),
    ).toThrow(/n × 2/);
  });
});

describe('klDivergence', () => {
  it('is zero for the prior and ½(μ² + σ² − 1 − ln σ²) per dimension otherwise', () => {
    expect(
      klDivergence({ mu: new Float32Array(4), logvar: new Float32Array(4), latentDim: 2 }).mean,
    ).toBe(0);
    const { perRow } = klDivergence({
      mu: Float32Array.of(1, 0),
      logvar: Float32Array.of(0, Math.log(2)),
      latentDim: 2,
    });
    expect(perRow[0]).toBeCloseTo(0.5 * 1 + 0.5 * (2 - 1 - Math.log(2)), 6);
  });
});
