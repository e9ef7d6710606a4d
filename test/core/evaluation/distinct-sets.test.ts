import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors.js';
import {
  DistinctSets,
  HyperLogLog,
  KeySet64,
  normalizeTagSet,
  tagSetKey,
} from '../../../core/evaluation/distinct-sets.js';

describe('tag-set identity', () => {
  it('normalises order and repeats, and rejects ids outside the taxonomy', () => {
    const scratch = new Int32Array(5);
    expect(Array.from(normalizeTagSet([3, 1, 3, 0], 5, scratch, 'row 7'))).toEqual([0, 1, 3]);
    // more entries than the taxonomy has tags: repeats, sorted in a copy
    expect(Array.from(normalizeTagSet([4, 4, 4, 4, 4, 2, 2], 5, scratch, 'row 7'))).toEqual([2, 4]);
    expect(() => normalizeTagSet([0, 5], 5, scratch, 'row 7')).toThrow(ValidationError);
    expect(() => normalizeTagSet([0, 5], 5, scratch, 'row 7')).toThrow(/row 7: tag id 5/);
    expect(() => normalizeTagSet([1.5], 5, scratch, 'row 7')).toThrow(/1\.5/);
  });

  it('gives different sets different keys and equal sets equal keys', () => {
    const keys = new Set<string>();
    const sets = [[], [0], [1], [0, 1], [0, 2], [1, 2], [0, 1, 2], [2, 0x100]];
    for (const s of sets) keys.add(tagSetKey(s).join(':'));
    expect(keys.size).toBe(sets.length);
    expect(tagSetKey([1, 2])).toEqual(tagSetKey(Uint16Array.from([1, 2])));
  });
});

describe('KeySet64', () => {
  it('adds, finds and grows', () => {
    const set = new KeySet64(4);
    const n = 10_000;
    for (let i = 0; i < n; i++) expect(set.add(i * 7919, 0xffffffff - i)).toBe(true);
    expect(set.add(0, 0xffffffff)).toBe(false);
    expect(set.size).toBe(n);
    for (let i = 0; i < n; i++) expect(set.has(i * 7919, 0xffffffff - i)).toBe(true);
    expect(set.has(1, 1)).toBe(false);
    let seen = 0;
    set.forEach(() => {
      seen++;
    });
    expect(seen).toBe(n);
  });
});

describe('distinct-set tracking', () => {
  const keyOf = (i: number) => tagSetKey([i % 200, 200 + Math.floor(i / 200)]);

  it('HyperLogLog estimates within a few percent', () => {
    for (const n of [1_000, 20_000, 200_000]) {
      const hll = new HyperLogLog();
      for (let i = 0; i < n; i++) {
        const [hi, lo] = keyOf(i);
        hll.add(hi, lo);
        hll.add(hi, lo); // repeats change nothing
      }
      expect(Math.abs(hll.estimate() / n - 1)).toBeLessThan(0.03);
    }
  });

  it('counts exactly, with novelty against a reference, then switches to estimates', () => {
    const reference = new KeySet64();
    for (let i = 0; i < 5_000; i++) reference.add(...keyOf(i)); // sets 0 … 4,999
    const exact = new DistinctSets(reference, 1_000_000);
    const bounded = new DistinctSets(reference, 1_000);
    for (let i = 2_500; i < 22_500; i++) {
      for (const d of [exact, bounded]) {
        d.add(...keyOf(i));
        d.add(...keyOf(i));
      }
    }
    expect(exact.exact).toBe(true);
    expect(exact.count).toBe(20_000);
    expect(exact.novelCount).toBe(17_500);
    // Rows 2,500 … 4,999 (each added twice) are copies of reference sets, exactly, in both modes.
    expect(exact.copies).toBe(5_000);
    expect(bounded.copies).toBe(5_000);
    expect(bounded.exact).toBe(false);
    expect(bounded.keys).toBeNull();
    expect(Math.abs(bounded.count / 20_000 - 1)).toBeLessThan(0.03);
    expect(Math.abs(bounded.novelCount / 17_500 - 1)).toBeLessThan(0.03);
  });
});
