import { describe, expect, it } from 'vitest';
import {
  cholesky,
  correlationMatrixError,
  correlationShapeError,
  pearsonCorrelation,
  positiveSemiDefiniteError,
  repairCorrelation,
  symmetricEigen,
} from '../../../core/counts/correlation.js';
import { rowStream, Stage } from '../../../core/rng.js';

/** A random correlation matrix: normalised B·Bᵀ + δI from keyed normals. */
function randomCorrelation(n: number, row: number, ridge = 0.1): number[][] {
  const stream = rowStream({ seed: 5, stage: Stage.CountSample, temperatureIndex: 0, row });
  const b = Array.from({ length: n }, () => Array.from({ length: n }, () => stream.normal()));
  const a = b.map((bi, i) =>
    b.map((bj, j) => bi.reduce((s, v, k) => s + v * bj[k], 0) + (i === j ? ridge : 0)),
  );
  return a.map((row, i) => row.map((v, j) => (i === j ? 1 : v / Math.sqrt(a[i][i] * a[j][j]))));
}

function maxAbsDiff(a: number[][], b: number[][]) {
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < a[i].length; j++) max = Math.max(max, Math.abs(a[i][j] - b[i][j]));
  }
  return max;
}

describe('cholesky', () => {
  it('factors a positive definite matrix: L·Lᵀ = A, L lower triangular', () => {
    const a = randomCorrelation(12, 1);
    const lower = cholesky(a)!;
    expect(lower).not.toBeNull();
    const n = a.length;
    const product = a.map((_, i) =>
      a.map((_, j) => {
        let sum = 0;
        for (let k = 0; k < n; k++) sum += lower[i * n + k] * lower[j * n + k];
        return sum;
      }),
    );
    expect(maxAbsDiff(product, a)).toBeLessThan(1e-12);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(lower[i * n + j]).toBe(0);
  });

  it('returns null for singular and indefinite matrices', () => {
    expect(
      cholesky([
        [1, 1],
        [1, 1],
      ]),
    ).toBeNull();
    expect(
      cholesky([
        [1, 0.9, -0.9],
        [0.9, 1, 0.9],
        [-0.9, 0.9, 1],
      ]),
    ).toBeNull();
    expect(cholesky([[1]])).toEqual(Float64Array.from([1]));
  });
});

describe('symmetricEigen', () => {
  it('solves a 2×2 case exactly', () => {
    const { values, vectors } = symmetricEigen([
      [2, 1],
      [1, 2],
    ]);
    expect(values[0]).toBeCloseTo(1, 14);
    expect(values[1]).toBeCloseTo(3, 14);
    expect(Math.abs(vectors[1][0])).toBeCloseTo(Math.SQRT1_2, 14);
    expect(vectors[1][0] * vectors[1][1]).toBeGreaterThan(0);
  });

  it('decomposes larger symmetric matrices: A·v = λ·v, orthonormal vectors, ascending values', () => {
    for (const n of [4, 40, 120]) {
      const a = randomCorrelation(n, n, -0.5).map((row) => [...row]);
      const { values, vectors } = symmetricEigen(a);
      for (let k = 1; k < n; k++) expect(values[k]).toBeGreaterThanOrEqual(values[k - 1]);
      let residual = 0;
      let orthogonality = 0;
      for (let k = 0; k < n; k++) {
        for (let i = 0; i < n; i++) {
          let av = 0;
          for (let j = 0; j < n; j++) av += a[i][j] * vectors[k][j];
          residual = Math.max(residual, Math.abs(av - values[k] * vectors[k][i]));
        }
        for (let l = 0; l <= k; l++) {
          const dot = vectors[k].reduce((s, v, i) => s + v * vectors[l][i], 0);
          orthogonality = Math.max(orthogonality, Math.abs(dot - (k === l ? 1 : 0)));
        }
      }
      expect(residual).toBeLessThan(1e-10);
      expect(orthogonality).toBeLessThan(1e-12);
      // The trace is the sum of the eigenvalues.
      const trace = a.reduce((s, row, i) => s + row[i], 0);
      expect(values.reduce((s, v) => s + v, 0)).toBeCloseTo(trace, 10);
    }
  });
});

describe('repairCorrelation', () => {
  it('leaves a positive definite matrix alone', () => {
    const a = randomCorrelation(6, 2);
    const { correlation, repaired } = repairCorrelation(a);
    expect(repaired).toBe(false);
    expect(correlation).toEqual(a);
  });

  it('repairs an indefinite matrix to a nearby positive definite correlation matrix', () => {
    const broken = [
      [1, 0.9, -0.9],
      [0.9, 1, 0.9],
      [-0.9, 0.9, 1],
    ];
    const { correlation, repaired } = repairCorrelation(broken);
    expect(repaired).toBe(true);
    expect(cholesky(correlation)).not.toBeNull();
    expect(correlationShapeError(correlation, 3)).toBeNull();
    for (let i = 0; i < 3; i++) expect(correlation[i][i]).toBe(1);
    // Clipping keeps the signs and the structure.
    expect(correlation[0][1]).toBeGreaterThan(0.3);
    expect(correlation[0][2]).toBeLessThan(-0.3);
    expect(maxAbsDiff(correlation, broken)).toBeLessThan(0.6);
  });

  it('repairs a singular matrix (two identical variables)', () => {
    const { correlation, repaired } = repairCorrelation([
      [1, 1, 0.2],
      [1, 1, 0.2],
      [0.2, 0.2, 1],
    ]);
    expect(repaired).toBe(true);
    expect(cholesky(correlation)).not.toBeNull();
    expect(correlation[0][1]).toBeGreaterThan(0.999);
    expect(correlation[0][2]).toBeCloseTo(0.2, 4);
  });
});

describe('correlationShapeError', () => {
  it('names what is wrong', () => {
    expect(correlationShapeError([[1, 0]], 2)).toBe('expected a 2×2 matrix, got 1 row');
    expect(correlationShapeError([[1], [0, 1]], 2)).toBe(
      'expected a 2×2 matrix, but row 0 has 1 entries',
    );
    expect(correlationShapeError([1, [0, 1]], 2)).toBe(
      'expected a 2×2 matrix, but row 0 is not a list',
    );
    expect(correlationShapeError('x', 1)).toBe('expected a 1×1 matrix, got string');
    expect(
      correlationShapeError(
        [
          [1, 0.5],
          [0.4, 1],
        ],
        2,
      ),
    ).toBe('not symmetric: [1][0] = 0.4 but [0][1] = 0.5');
    expect(
      correlationShapeError(
        [
          [2, 0],
          [0, 1],
        ],
        2,
      ),
    ).toBe('diagonal entry [0][0] is 2, not 1');
    expect(
      correlationShapeError(
        [
          [1, 1.5],
          [1.5, 1],
        ],
        2,
      ),
    ).toBe('entry [0][1] = 1.5 is outside [-1, 1]');
    expect(
      correlationShapeError(
        [
          [1, Number.NaN],
          [0, 1],
        ],
        2,
      ),
    ).toBe('entry [0][1] is not a finite number');
  });
});

describe('positiveSemiDefiniteError', () => {
  it('accepts positive definite and singular PSD matrices, refuses indefinite ones', () => {
    expect(positiveSemiDefiniteError(randomCorrelation(8, 3))).toBeNull();
    // Two identical variables: singular, but a valid correlation matrix.
    expect(
      positiveSemiDefiniteError([
        [1, 1, 0.2],
        [1, 1, 0.2],
        [0.2, 0.2, 1],
      ]),
    ).toBeNull();
    expect(
      positiveSemiDefiniteError([
        [1, 0.9, -0.9],
        [0.9, 1, 0.9],
        [-0.9, 0.9, 1],
      ]),
    ).toBe(
      'not positive semi-definite (smallest eigenvalue -0.800): no set of variables can be correlated like this',
    );
  });
});

describe('correlationMatrixError', () => {
  it('checks the shape first, then positive semi-definiteness', () => {
    expect(correlationMatrixError([[1]], 2)).toBe('expected a 2×2 matrix, got 1 row');
    expect(
      correlationMatrixError(
        [
          [1, -0.8, -0.8],
          [-0.8, 1, -0.8],
          [-0.8, -0.8, 1],
        ],
        3,
      ),
    ).toMatch(/^not positive semi-definite \(smallest eigenvalue -0\.600\)/);
    expect(correlationMatrixError(randomCorrelation(5, 4), 5)).toBeNull();
  });
});

describe('pearsonCorrelation', () => {
  it('matches the textbook formula and gives 0 for a constant column', () => {
    const rows = 50;
    const stream = rowStream({ seed: 9, stage: Stage.CountSample, temperatureIndex: 0, row: 0 });
    const x = Array.from({ length: rows }, () => stream.normal());
    const y = x.map((v) => 0.5 * v + stream.normal());
    const values = new Float64Array(rows * 3);
    for (let r = 0; r < rows; r++) values.set([x[r], y[r], 7], r * 3);
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    const mx = mean(x);
    const my = mean(y);
    const sxy = x.reduce((s, v, i) => s + (v - mx) * (y[i] - my), 0);
    const sxx = x.reduce((s, v) => s + (v - mx) ** 2, 0);
    const syy = y.reduce((s, v) => s + (v - my) ** 2, 0);
    const r = pearsonCorrelation(values, rows, 3);
    expect(r[0][1]).toBeCloseTo(sxy / Math.sqrt(sxx * syy), 12);
    expect(r[1][0]).toBe(r[0][1]);
    expect(r[0][2]).toBe(0);
    expect(r[2][2]).toBe(1);
  });
});
