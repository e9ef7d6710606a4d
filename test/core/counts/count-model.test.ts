import { describe, expect, it } from 'vitest';
import { checkCountModel } from '../../../core/counts/count-model.js';
import { notebookModel } from './notebook-fixtures.js';

describe('checkCountModel', () => {
  const model = notebookModel();

  it('refuses a malformed model', () => {
    expect(() => checkCountModel({ ...model, kind: 'guess' })).toThrow(
      'count model: kind must be "fitted" or "params", got "guess"',
    );
    expect(() => checkCountModel({ ...model, marginals: model.marginals.slice(1) })).toThrow(
      'count model: expected one marginal per category (4)',
    );
    expect(() =>
      checkCountModel({ ...model, marginals: [[1, -0.1, 0.1], ...model.marginals.slice(1)] }),
    ).toThrow('count model: marginal of "tempo": p(1) = -0.1 is not a probability');
    expect(() =>
      checkCountModel({
        ...model,
        categories: ['a', 'b'],
        marginals: [[1], [1]],
        correlation: [
          [1, 1],
          [1, 1],
        ],
      }),
    ).toThrow('count model: correlation is not positive definite');
  });
});
