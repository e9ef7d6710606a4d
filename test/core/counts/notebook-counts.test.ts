import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import { describe, expect, it } from 'vitest';
import { NOTEBOOK_COUNTS_CONFIG, parseRunConfig } from '../../../core/config.js';
import { cholesky } from '../../../core/counts/correlation.js';
import type { CountModel } from '../../../core/counts/count-model.js';
import { countSampler, sampleCounts } from '../../../core/counts/count-sampler.js';
import {
  countModelFromParams,
  countParamsIssues,
  NOTEBOOK_COUNT_PARAMS,
} from '../../../core/counts/notebook-counts.js';
import { ValidationError } from '../../../core/errors.js';
import { type RowStream, rowStream, Stage } from '../../../core/rng.js';
import {
  CATEGORIES,
  CORRELATION,
  empiricalPmf,
  MAX_COUNTS,
  MEANS,
  notebookModel,
  notebookPmf,
  totalVariation,
  VARIANCES,
} from './notebook-fixtures.js';

/** The notebook's inverse CDF: np.digitize(u, np.cumsum(p[:-1])) + 1 (bins[i-1] <= u < bins[i]). */
function notebookCount(u: number, p: number[]): number {
  let cumulative = 0;
  let bin = 0;
  for (let i = 0; i < p.length - 1; i++) {
    cumulative += p[i];
    if (cumulative <= u) bin = i + 1;
  }
  return bin + 1;
}

// The notebook cell's `p` after `p /= p.sum()`, printed by numpy 2.4.6 (repr of each float).
const NUMPY_PMFS: Record<string, number[]> = {
  tempo: [
    0.7413171821550149, 0.19715760249350495, 0.0453034049569446, 0.011686647270276783,
    0.003419197382817033, 0.0011159657414417312,
  ],
  genre: [
    0.7285692531607315, 0.2014211051524685, 0.050049157728625254, 0.013991496922710797,
    0.00441927273114016, 0.0015497143043238027,
  ],
  mood: [
    0.5306887719413391, 0.3071266783006606, 0.10606537103629529, 0.03576498768654146,
    0.012724884691139362, 0.004834850588100881, 0.0019564220033542533, 0.00083803375256905,
  ],
  instrument: [
    0.425781411601229, 0.3644699590732351, 0.13934169107540043, 0.047703935309990626,
    0.016623216478988605, 0.006079786461156314,
  ],
};

/** A stand-in stream that hands out given normals, to pin the inverse-CDF convention. */
function fixedNormals(values: number[]): RowStream {
  let i = 0;
  return { normal: () => values[i++] } as unknown as RowStream;
}

describe('countModelFromParams (the notebook)', () => {
  const model = notebookModel();

  it('exports the notebook constants unchanged', () => {
    expect(NOTEBOOK_COUNT_PARAMS).toEqual({
      categories: CATEGORIES,
      maxCounts: MAX_COUNTS,
      means: MEANS,
      variances: VARIANCES,
      correlation: CORRELATION,
    });
  });

  it('has the notebook’s discrete log-normal marginals, with p(0) = 0', () => {
    expect(model.kind).toBe('params');
    expect(model.correlation).toEqual(CORRELATION);
    expect(model.repaired).toBeUndefined();
    CATEGORIES.forEach((category, c) => {
      const pmf = model.marginals[c];
      expect(pmf[0]).toBe(0);
      const expected = notebookPmf(category as keyof typeof MEANS);
      expect(pmf.slice(1)).toHaveLength(expected.length);
      pmf.slice(1).forEach((p, i) => {
        expect(Math.abs(p - expected[i])).toBeLessThan(1e-15);
        // numpy's own numbers agree to within an ulp or so (V8 and glibc round ln 3 differently).
        expect(Math.abs(p - NUMPY_PMFS[category][i])).toBeLessThan(1e-16);
      });
    });
  });

  it('maps normals to counts with the notebook’s digitize convention (ties go up)', () => {
    // One category with p = [0.5, 0.5] on 1..2: Φ(0) = 0.5 is exactly the bin edge.
    const half: CountModel = {
      kind: 'params',
      categories: ['x'],
      marginals: [[0, 0.5, 0.5]],
      correlation: [[1]],
    };
    const out = new Uint8Array(3);
    const sampler = countSampler(half);
    sampler.sampleRow(fixedNormals([0]), out, 0);
    sampler.sampleRow(fixedNormals([-1e-12]), out, 1);
    sampler.sampleRow(fixedNormals([-40]), out, 2);
    expect(Array.from(out)).toEqual([notebookCount(0.5, [0.5, 0.5]), 1, 1]);
    expect(out[0]).toBe(2);

    // Independent normals (identity correlation) against the transcribed digitize rule.
    const independent = countModelFromParams({
      categories: CATEGORIES,
      means: MEANS,
      variances: VARIANCES,
      maxCounts: MAX_COUNTS,
      correlation: CATEGORIES.map((_, i) => CATEGORIES.map((_, j) => (i === j ? 1 : 0))),
    });
    const identity = countSampler(independent);
    const stream = rowStream({ seed: 3, stage: Stage.CountSample, temperatureIndex: 0, row: 0 });
    const row = new Uint8Array(4);
    for (let t = 0; t < 20_000; t++) {
      const z = [
        stream.normal() * 1.5,
        stream.normal() * 1.5,
        stream.normal() * 1.5,
        stream.normal() * 1.5,
      ];
      identity.sampleRow(fixedNormals(z), row, 0);
      const expected = CATEGORIES.map((category, c) =>
        notebookCount(normalCdf(z[c], 0, 1), NUMPY_PMFS[category]),
      );
      if (Array.from(row).join() !== expected.join()) {
        expect({ z, row: Array.from(row) }).toEqual({ z, row: expected });
      }
    }
  });

  it('matches the notebook’s discrete marginals within 0.01 TV distance in 200k samples', () => {
    const samples = sampleCounts(model, { n: 200_000, seed: 7 });
    CATEGORIES.forEach((category, c) => {
      const expected = [0, ...notebookPmf(category as keyof typeof MEANS)];
      const empirical = empiricalPmf(samples, 4, c, expected.length);
      expect(empirical[0]).toBe(0);
      expect(totalVariation(empirical, expected)).toBeLessThan(0.01);
    });
  });

  it('validates its parameters', () => {
    const base = {
      categories: CATEGORIES,
      means: MEANS,
      variances: VARIANCES,
      maxCounts: MAX_COUNTS,
      correlation: CORRELATION,
    };
    const message = (change: Partial<typeof base> | Record<string, unknown>) => {
      try {
        countModelFromParams({ ...base, ...change } as typeof base);
      } catch (err) {
        expect(err).toBeInstanceOf(ValidationError);
        return (err as Error).message;
      }
      throw new Error('expected a ValidationError');
    };
    expect(message({ means: { ...MEANS, mood: 0 } })).toBe(
      'counts.means.mood: must be a positive number, got 0',
    );
    const { genre: _, ...noGenre } = VARIANCES;
    expect(message({ variances: noGenre })).toBe(
      'counts.variances.genre: must be a positive number, got undefined',
    );
    expect(message({ maxCounts: { ...MAX_COUNTS, tempo: 0 } })).toBe(
      'counts.maxCounts.tempo: must be an integer in 1..255, got 0',
    );
    expect(message({ maxCounts: { ...MAX_COUNTS, key: 3 } })).toBe(
      'counts.maxCounts: names "key", which is not one of the categories (tempo, genre, mood, instrument)',
    );
    expect(message({ correlation: CORRELATION.slice(1) })).toBe(
      'counts.correlation: expected a 4×4 matrix, got 3 rows (a row and a column per category, in order: tempo, genre, mood, instrument)',
    );
    const asymmetric = CORRELATION.map((r) => [...r]);
    asymmetric[0][1] = 0.2;
    expect(message({ correlation: asymmetric })).toBe(
      'counts.correlation: not symmetric: [1][0] = 0.15 but [0][1] = 0.2',
    );
    expect(message({ categories: ['tempo', 'tempo'] })).toBe(
      'counts: category "tempo" appears twice',
    );
  });

  it('refuses a correlation that is not positive semi-definite, and nudges a singular one', () => {
    const params = {
      categories: ['a', 'b', 'c'],
      means: { a: 1.2, b: 1.3, c: 1.4 },
      variances: { a: 0.5, b: 0.5, c: 0.5 },
      maxCounts: { a: 4, b: 4, c: 4 },
    };
    expect(() =>
      countModelFromParams({
        ...params,
        correlation: [
          [1, 0.9, -0.9],
          [0.9, 1, 0.9],
          [-0.9, 0.9, 1],
        ],
      }),
    ).toThrow(
      new ValidationError(
        'counts.correlation: not positive semi-definite (smallest eigenvalue -0.800): no set of variables can be correlated like this',
      ),
    );
    // a and b perfectly correlated: singular but valid; sampled through a nearby PD matrix.
    const singular = countModelFromParams({
      ...params,
      correlation: [
        [1, 1, 0.2],
        [1, 1, 0.2],
        [0.2, 0.2, 1],
      ],
    });
    expect(singular.repaired).toBe(true);
    expect(cholesky(singular.correlation)).not.toBeNull();
    expect(sampleCounts(singular, { n: 10, seed: 0 })).toHaveLength(30);
  });
});

describe('counts.correlation in a run config', () => {
  const config = (correlation: number[][]) => ({
    name: 'r',
    taxonomy: 't.json',
    catalogue: { path: 'c.csv' },
    model: { pack: 'p' },
    counts: { ...NOTEBOOK_COUNTS_CONFIG, correlation },
  });

  it('accepts the notebook matrix', () => {
    expect(countParamsIssues(parseRunConfig(config(CORRELATION)).counts)).toEqual([]);
  });

  it('refuses, naming the file and counts.correlation, a matrix of the wrong size or not PSD', () => {
    const message = (correlation: number[][]) => {
      try {
        parseRunConfig(config(correlation), 'config run.yaml');
      } catch (err) {
        expect(err).toBeInstanceOf(ValidationError);
        return (err as Error).message;
      }
      throw new Error('expected a ValidationError');
    };
    expect(message(CORRELATION.slice(1).map((row) => row.slice(1)))).toBe(
      'config run.yaml: invalid configuration\n  counts.correlation: expected a 4×4 matrix, got 3 rows (a row and a column per category of counts.means: tempo, genre, mood, instrument)',
    );
    const notPsd = [
      [1, 0.9, -0.9, 0],
      [0.9, 1, 0.9, 0],
      [-0.9, 0.9, 1, 0],
      [0, 0, 0, 1],
    ];
    expect(message(notPsd)).toBe(
      'config run.yaml: invalid configuration\n  counts.correlation: not positive semi-definite (smallest eigenvalue -0.800): no set of variables can be correlated like this',
    );
    const lopsided = CORRELATION.map((row) => [...row]);
    lopsided[2][3] = 0.5;
    expect(message(lopsided)).toMatch(
      /counts\.correlation: not symmetric: \[3\]\[2\] = -0\.099 but \[2\]\[3\] = 0\.5$/,
    );
    const diagonal = CORRELATION.map((row) => [...row]);
    diagonal[1][1] = 0.9;
    expect(message(diagonal)).toMatch(
      /counts\.correlation: diagonal entry \[1\]\[1\] is 0\.9, not 1$/,
    );
  });

  it('has nothing to say about a fitted count model', () => {
    expect(countParamsIssues({ mode: 'fit' })).toEqual([]);
  });
});
