import { describe, expect, it } from 'vitest';
import { int, table } from '../../../core/dataset/card-markdown.js';

describe('card markdown', () => {
  it('separates thousands without locale data', () => {
    expect([0, 999, 1000, 1_234_567].map(int)).toEqual(['0', '999', '1,000', '1,234,567']);
  });

  it('writes a table, escaping | in cells', () => {
    expect(table(['a', 'b'], [['x|y', 2]])).toBe('| a | b |\n| --- | --- |\n| x\\|y | 2 |');
  });
});
