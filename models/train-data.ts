// The training rows: their check, the seeded train/validation split and each epoch's order.
import { ValidationError } from '../core/errors.js';
import { trainStream } from './train-streams.js';

export function checkRows(rows: readonly ArrayLike<number>[], inputDim: number) {
  if (rows.length < 2) {
    throw new ValidationError(
      `training needs at least 2 rows (one to train on, one to validate), got ${rows.length}`,
    );
  }
  rows.forEach((row, r) => {
    for (let j = 0; j < row.length; j++) {
      const id = row[j];
      if (!Number.isInteger(id) || id < 0 || id >= inputDim) {
        throw new ValidationError(
          `training row ${r}: tag id ${id} is outside the taxonomy's ${inputDim} tags`,
        );
      }
    }
  });
}

/**
 * The seeded train/validation split: each row draws one uniform from its own stream and the
 * `round(rows · validationFraction)` lowest draws (at least one, at most rows − 1) are held
 * out. A row's draw does not depend on the others, so a grown corpus keeps most assignments.
 * Both index lists are ascending.
 */
export function splitTrainValidation(params: {
  rows: number;
  validationFraction: number;
  seed: number;
}): { train: Uint32Array; validation: Uint32Array } {
  const { rows, validationFraction, seed } = params;
  const keys = new Float64Array(rows);
  for (let i = 0; i < rows; i++) keys[i] = trainStream(seed, 'split', i).uniform();
  const order = Array.from({ length: rows }, (_, i) => i).sort(
    (a, b) => keys[a] - keys[b] || a - b,
  );
  const validationRows = Math.min(rows - 1, Math.max(1, Math.round(rows * validationFraction)));
  const validation = Uint32Array.from(order.slice(0, validationRows)).sort();
  const train = Uint32Array.from(order.slice(validationRows)).sort();
  return { train, validation };
}

/** Fisher–Yates over a copy of `indices`, from the epoch's shuffle stream. */
export function shuffled(indices: Uint32Array, seed: number, epoch: number): Uint32Array {
  const out = indices.slice();
  const stream = trainStream(seed, 'shuffle', epoch);
  for (let i = out.length - 1; i > 0; i--) {
    const j = stream.int(i + 1);
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}
