import { describe, expect, it } from 'vitest';
import { describeCountModel } from '../../../core/counts/count-description.js';
import {
  CATEGORIES,
  CORRELATION,
  type MEANS,
  notebookModel,
  notebookPmf,
} from './notebook-fixtures.js';

describe('describeCountModel', () => {
  it('reports marginals, correlation, expected means and seeded sample statistics', () => {
    const model = notebookModel();
    const description = describeCountModel(model, { sampleRows: 50_000, seed: 3 });
    CATEGORIES.forEach((category, c) => {
      const expected = notebookPmf(category as keyof typeof MEANS).reduce(
        (s, p, i) => s + p * (i + 1),
        0,
      );
      expect(description.expectedMeans[category]).toBeCloseTo(expected, 12);
      expect(Math.abs(description.sampleMeans![category] - expected)).toBeLessThan(0.02);
      expect(description.marginals[c]).toEqual(model.marginals[c]);
    });
    expect(description.sampleRows).toBe(50_000);
    expect(description.correlation).toEqual(CORRELATION);
    expect(description.repaired).toBe(false);
    // Discretisation attenuates the correlation, but keeps its signs where it is not tiny.
    expect(description.sampleCorrelation![0][1]).toBeGreaterThan(0.03);
    expect(description.sampleCorrelation![2][3]).toBeLessThan(-0.03);
    expect(describeCountModel(model, { sampleRows: 50_000, seed: 3 })).toEqual(description);
    expect(JSON.parse(JSON.stringify(description))).toEqual(description);
    const bare = describeCountModel(model, { sampleRows: 0 });
    expect(bare.sampleMeans).toBeUndefined();
    expect(bare.sampleCorrelation).toBeUndefined();
  });
});
