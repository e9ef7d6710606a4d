// The tag-count model (pipeline stage 2): a Gaussian copula over per-category tag counts, one
// pmf per category over 0..max plus the latent correlation: its shape and validation. Made by
// count-fit.ts (from a corpus) or notebook-counts.ts, drawn from by count-sampler.ts.
import { ValidationError } from '../errors.js';
import { cholesky, correlationShapeError } from './correlation.js';

export interface CountModel {
  kind: 'fitted' | 'params';
  categories: string[];
  /** Per category: probability of each count 0..max (index = count). */
  marginals: number[][];
  /** Correlation of the latent normals, categories × categories, positive definite. */
  correlation: number[][];
  /** True when the fitted (or given) correlation was not positive definite and was repaired. */
  repaired?: boolean;
  source?: { path?: string; sha256?: string; rows?: number };
}

/** The largest count a category can have (counts are bytes). */
export const MAX_COUNT = 255;

/** Categories must be 1..255 distinct non-empty names; `where` begins the error. */
export function checkCategories(categories: unknown, where: string) {
  if (!Array.isArray(categories) || categories.length === 0) {
    throw new ValidationError(`${where}: needs a non-empty list of categories`);
  }
  if (categories.length > 255) {
    throw new ValidationError(
      `${where}: ${categories.length} categories; at most 255 are supported`,
    );
  }
  const seen = new Set<string>();
  for (const category of categories) {
    if (typeof category !== 'string' || category === '') {
      throw new ValidationError(
        `${where}: category names must be non-empty strings, got ${JSON.stringify(category)}`,
      );
    }
    if (seen.has(category))
      throw new ValidationError(`${where}: category "${category}" appears twice`);
    seen.add(category);
  }
}

/**
 * Validates a count model, e.g. one read back from JSON: categories, one pmf per category
 * (non-negative, summing to 1 within 1e-6, support at most 0..255), and a positive definite
 * correlation matrix. Returns it typed.
 */
export function checkCountModel(value: unknown, source = 'count model'): CountModel {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError(`${source}: expected an object`);
  }
  const model = value as Partial<CountModel>;
  if (model.kind !== 'fitted' && model.kind !== 'params') {
    throw new ValidationError(
      `${source}: kind must be "fitted" or "params", got ${JSON.stringify(model.kind)}`,
    );
  }
  checkCategories(model.categories, source);
  const categories = model.categories as string[];
  if (!Array.isArray(model.marginals) || model.marginals.length !== categories.length) {
    throw new ValidationError(
      `${source}: expected one marginal per category (${categories.length})`,
    );
  }
  model.marginals.forEach((pmf, c) => {
    const where = `${source}: marginal of "${categories[c]}"`;
    if (!Array.isArray(pmf) || pmf.length < 1 || pmf.length > MAX_COUNT + 1) {
      throw new ValidationError(`${where} must be a list of 1..${MAX_COUNT + 1} probabilities`);
    }
    let total = 0;
    pmf.forEach((p, v) => {
      if (typeof p !== 'number' || !Number.isFinite(p) || p < 0) {
        throw new ValidationError(`${where}: p(${v}) = ${p} is not a probability`);
      }
      total += p;
    });
    if (Math.abs(total - 1) > 1e-6) throw new ValidationError(`${where} sums to ${total}, not 1`);
  });
  const shapeError = correlationShapeError(model.correlation, categories.length);
  if (shapeError) throw new ValidationError(`${source}: correlation: ${shapeError}`);
  if (!cholesky(model.correlation as number[][])) {
    throw new ValidationError(`${source}: correlation is not positive definite`);
  }
  return model as CountModel;
}
