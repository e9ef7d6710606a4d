import { describe, expect, it } from 'vitest';
import { cellText, parseTagCell } from '../../../core/inputs/tag-cell.js';

describe('parseTagCell', () => {
  it('reads Python list literals as pandas writes them', () => {
    expect(parseTagCell("['bass', 'drums']")).toEqual(['bass', 'drums']);
    expect(parseTagCell("['emotional']")).toEqual(['emotional']);
    expect(parseTagCell('[]')).toEqual([]);
    expect(parseTagCell('[ ]')).toEqual([]);
    // repr() switches to double quotes for a string holding an apostrophe.
    expect(parseTagCell(`["rock 'n' roll", 'pop']`)).toEqual(["rock 'n' roll", 'pop']);
    expect(parseTagCell(String.raw`['it\'s', 'a\\b', 'caf\xe9', 'x\u00e9']`)).toEqual([
      "it's",
      'a\\b',
      'café',
      'xé',
    ]);
    expect(parseTagCell("  [ 'a' ,'b', ]  ")).toEqual(['a', 'b']);
  });

  it('reads JSON arrays, escapes included', () => {
    expect(parseTagCell('["fast tempo", "groovy"]')).toEqual(['fast tempo', 'groovy']);
    expect(parseTagCell(String.raw`["a\"b", "\u00e9t\u00e9", "\ud83c\udfb5"]`)).toEqual([
      'a"b',
      'été',
      '🎵',
    ]);
  });

  it('reads comma-joined strings, trimming and skipping empty pieces', () => {
    expect(parseTagCell('fast tempo, groovy')).toEqual(['fast tempo', 'groovy']);
    expect(parseTagCell('medium tempo')).toEqual(['medium tempo']);
    expect(parseTagCell(' a ,, b , ')).toEqual(['a', 'b']);
    expect(parseTagCell('')).toEqual([]);
    expect(parseTagCell('   ')).toEqual([]);
  });

  it('takes real lists (Arrow, Parquet, JSON) and null as they are', () => {
    expect(parseTagCell(['rock', ' pop ', ''])).toEqual(['rock', 'pop']);
    expect(parseTagCell([])).toEqual([]);
    expect(parseTagCell(null)).toEqual([]);
    expect(parseTagCell(undefined)).toEqual([]);
  });

  it('explains what is wrong with a cell it cannot read', () => {
    expect(parseTagCell("['a', 'b'")).toEqual({ error: 'expected "," or "]" at character 10' });
    expect(parseTagCell("['a', 'b")).toEqual({ error: 'unterminated string' });
    expect(parseTagCell('[1, 2]')).toEqual({ error: 'expected a quoted string at character 2' });
    expect(parseTagCell("['a' 'b']")).toEqual({ error: 'expected "," or "]" at character 6' });
    expect(parseTagCell("['a'] extra")).toEqual({
      error: 'unexpected text after the list at character 7',
    });
    expect(parseTagCell(String.raw`['a\q']`)).toEqual({
      error: String.raw`unknown escape \q at character 5`,
    });
    expect(parseTagCell(String.raw`['\x4']`)).toEqual({
      error: String.raw`bad \x escape at character 4`,
    });
    expect(parseTagCell(['a', 3])).toEqual({ error: 'list items must be strings, found "3"' });
    expect(parseTagCell(5)).toEqual({ error: 'expected a list of tags, got a number' });
    expect(parseTagCell({ a: 1 })).toEqual({ error: 'expected a list of tags, got an object' });
    expect(parseTagCell(true)).toEqual({ error: 'expected a list of tags, got a boolean' });
  });
});

describe('cellText', () => {
  it('quotes and truncates cell text for error messages', () => {
    expect(cellText('abc')).toBe('"abc"');
    expect(cellText('x'.repeat(200))).toBe(`"${'x'.repeat(80)}…"`);
    expect(cellText([1, 'a'])).toBe('"[1,\\"a\\"]"');
  });
});
