import { describe, expect, it } from 'vitest';
import {
  categoryShares,
  jensenShannonBase2,
  jensenShannonDistance,
  pearson,
  TagSetStats,
  wasserstein1Discrete,
} from '../../../core/evaluation/metrics.js';
import { buildTaxonomy } from '../../../core/inputs/index.js';

/** Shannon entropy in bits, for the identity JS(p, q) = H((p + q) / 2) − (H(p) + H(q)) / 2. */
const entropy = (...p: number[]) => -p.reduce((s, x) => s + (x > 0 ? x * Math.log2(x) : 0), 0);

describe('jensenShannonBase2', () => {
  it('is 0 for identical distributions and 1 for disjoint ones', () => {
    expect(jensenShannonBase2([1, 2, 3], [1, 2, 3])).toBe(0);
    expect(jensenShannonBase2([1, 0], [0, 1])).toBe(1);
    expect(jensenShannonBase2([3, 0, 0], [0, 5, 7])).toBe(1);
  });

  it('matches the entropy identity on a hand case, and normalises counts', () => {
    // p = (1/2, 1/2), q = (1, 0), m = (3/4, 1/4): H(m) − (1 + 0) / 2 = 0.311278…
    const expected = entropy(0.75, 0.25) - (1 + 0) / 2;
    expect(expected).toBeCloseTo(0.311278, 6);
    expect(jensenShannonBase2([0.5, 0.5], [1, 0])).toBeCloseTo(expected, 12);
    expect(jensenShannonBase2([2, 2], [5, 0])).toBeCloseTo(expected, 12);
    expect(jensenShannonBase2([1, 0], [7, 7])).toBeCloseTo(expected, 12);
  });

  it('treats empty inputs as identical to each other and disjoint from anything else', () => {
    expect(jensenShannonBase2([0, 0], [0, 0])).toBe(0);
    expect(jensenShannonBase2([0, 0], [1, 3])).toBe(1);
  });

  it('refuses mismatched lengths and negative entries', () => {
    expect(() => jensenShannonBase2([1], [1, 2])).toThrow(/differ in length/);
    expect(() => jensenShannonBase2([1, -1], [1, 2])).toThrow(/entry 1/);
  });

  it('distance is the square root of the divergence', () => {
    const d = jensenShannonBase2([0.8, 0.2], [0.5, 0.5]);
    expect(d).toBeCloseTo(entropy(0.65, 0.35) - (entropy(0.8, 0.2) + 1) / 2, 12);
    expect(jensenShannonDistance([0.8, 0.2], [0.5, 0.5])).toBeCloseTo(Math.sqrt(d), 12);
  });
});

describe('wasserstein1Discrete', () => {
  it('is the distance mass has to move, in index units', () => {
    expect(wasserstein1Discrete([1, 0, 0], [0, 0, 1])).toBe(2);
    // half the mass moves one step
    expect(wasserstein1Discrete([1, 1], [0, 2])).toBe(0.5);
    // a shift by one of the same shape moves everything by one
    expect(wasserstein1Discrete([1, 3, 2, 0], [0, 1, 3, 2])).toBeCloseTo(1, 12);
    expect(wasserstein1Discrete([4, 6], [2, 3])).toBe(0);
  });

  it('pads the shorter histogram with zeros and normalises each', () => {
    expect(wasserstein1Discrete([5], [0, 1])).toBe(1);
    expect(wasserstein1Discrete([10, 0, 10], [1])).toBe(1);
  });

  it('is NaN when a histogram is empty', () => {
    expect(wasserstein1Discrete([0, 0], [1, 1])).toBeNaN();
  });
});

describe('pearson', () => {
  it('computes hand cases', () => {
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    // deviations (−1.5, −.5, .5, 1.5) and (−1.5, .5, −.5, 1.5): 4 / √(5·5)
    expect(pearson([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 12);
  });

  it('is NaN when undefined: a constant input or fewer than two values', () => {
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(pearson([5], [3])).toBeNaN();
  });
});

describe('TagSetStats', () => {
  // ids: a0 0, a1 1 | b0 2, b1 3, b2 4
  const taxonomy = buildTaxonomy({ a: ['a0', 'a1'], b: ['b0', 'b1', 'b2'] });

  it('accumulates tag counts, per-category histograms, pairs and distinct sets', () => {
    const stats = new TagSetStats(taxonomy);
    stats.add([0, 2]);
    stats.add([2, 0, 0]); // the same set, with a repeat
    stats.add([3, 1, 2]);
    stats.add([]);
    expect(stats.rows).toBe(4);
    expect(Array.from(stats.tagCounts)).toEqual([2, 1, 3, 1, 0]);
    // rows with 0 / 1 / 2 tags of a: the empty row; three rows with one
    expect(Array.from(stats.countHistograms[0])).toEqual([1, 3, 0]);
    expect(Array.from(stats.countHistograms[1])).toEqual([1, 2, 1, 0]);
    const pairs = stats.pairCounts!;
    expect(pairs.length).toBe(10);
    const expected = new Map([
      ['0,2', 2],
      ['1,2', 1],
      ['1,3', 1],
      ['2,3', 1],
    ]);
    for (let i = 0; i < 5; i++) {
      for (let j = i + 1; j < 5; j++) {
        expect(pairs[stats.pairIndex(i, j)], `pair ${i},${j}`).toBe(expected.get(`${i},${j}`) ?? 0);
      }
    }
    expect(stats.distinct.count).toBe(3);
  });

  it('names the offending row', () => {
    const stats = new TagSetStats(taxonomy);
    stats.add([0]);
    expect(() => stats.add([9])).toThrow(/row 1: tag id 9 is not in the taxonomy/);
  });
});

describe('categoryShares', () => {
  const taxonomy = buildTaxonomy({ tempo: ['slow', 'fast', 'mid'], mood: ['calm', 'dark'] });
  it('gives each tag its share of its category, 0 for an empty category', () => {
    expect(Array.from(categoryShares(taxonomy, [2, 1, 1, 0, 0]))).toEqual([0.5, 0.25, 0.25, 0, 0]);
  });
});
