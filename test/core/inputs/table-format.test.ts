import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors.js';
import { formatFromPath } from '../../../core/inputs/table-format.js';

describe('formatFromPath', () => {
  it('knows the usual extensions, case-insensitively', () => {
    expect(formatFromPath('a/b.CSV', 'catalogue')).toBe('csv');
    expect(formatFromPath('b.tsv', 'catalogue')).toBe('tsv');
    expect(formatFromPath('b.jsonl', 'catalogue')).toBe('jsonl');
    expect(formatFromPath('b.ndjson', 'catalogue')).toBe('jsonl');
    expect(formatFromPath('b.json', 'catalogue')).toBe('json');
    expect(formatFromPath('b.parquet', 'catalogue')).toBe('parquet');
    expect(formatFromPath('b.arrow', 'catalogue')).toBe('arrow');
    expect(formatFromPath('b.feather', 'catalogue')).toBe('arrow');
  });

  it('refuses an extension it does not know, suggesting format', () => {
    expect(() => formatFromPath('data/x.xlsx', 'catalogue')).toThrow(ValidationError);
    expect(() => formatFromPath('data/x.xlsx', 'catalogue')).toThrow(
      /^catalogue data\/x\.xlsx: cannot tell the format from the extension "\.xlsx" \(known: .*\); pass format explicitly$/,
    );
  });
});
