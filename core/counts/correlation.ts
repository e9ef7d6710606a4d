// Small dense linear algebra for correlation matrices (the count model's, at most 255×255):
// Cholesky factorisation, a cyclic Jacobi eigen solver, and the repair of a matrix that is not
// positive definite by eigenvalue clipping. Hand-written because no maintained library for it
// is installed, and these few routines are all the pipeline needs.

/** Smallest Cholesky pivot accepted as positive definite (correlation scale: diagonal 1). */
export const MIN_PIVOT = 1e-10;
/** Eigenvalue floor used when repairing. */
export const MIN_EIGENVALUE = 1e-6;

/**
 * The lower-triangular Cholesky factor of `matrix` (row-major, n×n), or null when the matrix
 * is not (numerically) positive definite.
 */
export function cholesky(matrix: readonly (readonly number[])[]): Float64Array | null {
  const n = matrix.length;
  const lower = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = matrix[i][j];
      for (let k = 0; k < j; k++) sum -= lower[i * n + k] * lower[j * n + k];
      if (i === j) {
        if (!(sum > MIN_PIVOT)) return null;
        lower[i * n + i] = Math.sqrt(sum);
      } else {
        lower[i * n + j] = sum / lower[j * n + j];
      }
    }
  }
  return lower;
}

export interface SymmetricEigen {
  /** Eigenvalues, ascending. */
  values: number[];
  /** Unit eigenvectors: `vectors[k]` belongs to `values[k]`. */
  vectors: number[][];
}

/** Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations. */
export function symmetricEigen(matrix: readonly (readonly number[])[]): SymmetricEigen {
  const n = matrix.length;
  const a = new Float64Array(n * n);
  const v = new Float64Array(n * n);
  let norm = 0;
  for (let i = 0; i < n; i++) {
    v[i * n + i] = 1;
    for (let j = 0; j < n; j++) {
      a[i * n + j] = matrix[i][j];
      norm += matrix[i][j] * matrix[i][j];
    }
  }
  const tolerance = Number.EPSILON * Number.EPSILON * norm;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] ** 2;
    if (off <= tolerance) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        // Rotate so that a[p][q] becomes 0: cot 2φ = θ, t = tan φ, the smaller root.
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[i * n + i] - a[j * n + j]);
  return {
    values: order.map((i) => a[i * n + i]),
    vectors: order.map((i) => Array.from({ length: n }, (_, k) => v[k * n + i])),
  };
}

/**
 * Why `matrix` is not a size×size correlation matrix (square, symmetric to 1e-12, unit
 * diagonal, entries in [-1, 1]); null when it is one.
 */
export function correlationShapeError(matrix: unknown, size: number): string | null {
  const expected = `expected a ${size}×${size} matrix`;
  if (!Array.isArray(matrix)) return `${expected}, got ${matrix === null ? 'null' : typeof matrix}`;
  if (matrix.length !== size) {
    return `${expected}, got ${matrix.length} row${matrix.length === 1 ? '' : 's'}`;
  }
  for (let i = 0; i < size; i++) {
    const row = matrix[i];
    if (!Array.isArray(row)) return `${expected}, but row ${i} is not a list`;
    if (row.length !== size) return `${expected}, but row ${i} has ${row.length} entries`;
    for (let j = 0; j < size; j++) {
      const value = row[j];
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        return `entry [${i}][${j}] is not a finite number`;
      }
      if (i === j && Math.abs(value - 1) > 1e-12)
        return `diagonal entry [${i}][${i}] is ${value}, not 1`;
      if (Math.abs(value) > 1 + 1e-12) return `entry [${i}][${j}] = ${value} is outside [-1, 1]`;
    }
  }
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < i; j++) {
      if (Math.abs(matrix[i][j] - matrix[j][i]) > 1e-12) {
        return `not symmetric: [${i}][${j}] = ${matrix[i][j]} but [${j}][${i}] = ${matrix[j][i]}`;
      }
    }
  }
  return null;
}

/** Added to the diagonal before the Cholesky attempt, so that a singular PSD matrix passes. */
export const PSD_TOLERANCE = 1e-8;

/**
 * Why a symmetric matrix is not positive semi-definite (a Cholesky attempt on it plus
 * PSD_TOLERANCE·I fails), naming its smallest eigenvalue; null when it is PSD.
 */
export function positiveSemiDefiniteError(matrix: readonly (readonly number[])[]): string | null {
  const shifted = matrix.map((row, i) => row.map((v, j) => (i === j ? v + PSD_TOLERANCE : v)));
  if (cholesky(shifted)) return null;
  const smallest = symmetricEigen(matrix).values[0];
  return `not positive semi-definite (smallest eigenvalue ${smallest.toPrecision(3)}): no set of variables can be correlated like this`;
}

/**
 * Why `matrix` is not a size×size correlation matrix: square, symmetric, unit diagonal, entries
 * in [-1, 1] and positive semi-definite. Null when it is one.
 */
export function correlationMatrixError(matrix: unknown, size: number): string | null {
  return correlationShapeError(matrix, size) ?? positiveSemiDefiniteError(matrix as number[][]);
}

/**
 * The correlation matrix itself when positive definite; otherwise the nearest one found by
 * clipping eigenvalues at MIN_EIGENVALUE and rescaling to a unit diagonal.
 */
export function repairCorrelation(matrix: readonly (readonly number[])[]): {
  correlation: number[][];
  repaired: boolean;
} {
  const n = matrix.length;
  const copy = matrix.map((row) => [...row]);
  if (cholesky(copy)) return { correlation: copy, repaired: false };
  let floor = MIN_EIGENVALUE;
  for (let attempt = 0; attempt < 20; attempt++, floor *= 10) {
    const { values, vectors } = symmetricEigen(matrix);
    const clipped = values.map((value) => Math.max(value, floor));
    const rebuilt = Array.from({ length: n }, (_, i) =>
      Array.from({ length: n }, (_, j) => {
        let sum = 0;
        for (let k = 0; k < n; k++) sum += vectors[k][i] * clipped[k] * vectors[k][j];
        return sum;
      }),
    );
    const scale = rebuilt.map((row, i) => Math.sqrt(row[i]));
    const correlation = rebuilt.map((row, i) =>
      row.map((value, j) => (i === j ? 1 : value / (scale[i] * scale[j]))),
    );
    // Exact symmetry, whatever the rounding of the two triangles.
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) correlation[j][i] = correlation[i][j];
    if (cholesky(correlation)) return { correlation, repaired: true };
  }
  throw new Error('repairCorrelation: could not make the matrix positive definite');
}

/**
 * Pearson correlation of the columns of a rows × columns row-major matrix. A constant column
 * has no correlation: its off-diagonal entries are 0.
 */
export function pearsonCorrelation(
  values: ArrayLike<number>,
  rows: number,
  columns: number,
): number[][] {
  const means = new Float64Array(columns);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < columns; c++) means[c] += values[r * columns + c];
  for (let c = 0; c < columns; c++) means[c] /= rows;
  const cov = new Float64Array(columns * columns);
  const centred = new Float64Array(columns);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) centred[c] = values[r * columns + c] - means[c];
    for (let i = 0; i < columns; i++) {
      for (let j = 0; j <= i; j++) cov[i * columns + j] += centred[i] * centred[j];
    }
  }
  return Array.from({ length: columns }, (_, i) =>
    Array.from({ length: columns }, (_, j) => {
      if (i === j) return 1;
      const [a, b] = i > j ? [i, j] : [j, i];
      const denominator = Math.sqrt(cov[a * columns + a] * cov[b * columns + b]);
      return denominator > 0 ? cov[a * columns + b] / denominator : 0;
    }),
  );
}
