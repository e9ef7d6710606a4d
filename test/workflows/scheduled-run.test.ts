// The pure parts of a scheduled run: the revision that names its output folder and the seed
// derived from it. The workflow itself runs in test/cli/schedule.test.ts.
import { describe, expect, it } from 'vitest';
import { derivedSeed, revisionOf } from '../../workflows/scheduled-run.js';

describe('revisionOf', () => {
  it('is the UTC start time as YYYYMMDDTHHMMSSZ, milliseconds dropped', () => {
    expect(revisionOf(new Date('2024-03-07T09:05:01.987Z'))).toBe('20240307T090501Z');
    expect(revisionOf(new Date(Date.UTC(1999, 11, 31, 23, 59, 59)))).toBe('19991231T235959Z');
  });

  it('sorts like time, so folders list in run order', () => {
    const times = ['2024-01-02T00:00:00Z', '2023-12-31T23:59:59Z', '2024-01-01T10:00:00Z'];
    const revisions = times.map((t) => revisionOf(new Date(t)));
    expect([...revisions].sort()).toEqual([...times].sort().map((t) => revisionOf(new Date(t))));
  });
});

describe('derivedSeed', () => {
  it('is a pure function of (seed, revision): a replay derives the same seed', () => {
    expect(derivedSeed(42, '20240307T090501Z')).toBe(derivedSeed(42, '20240307T090501Z'));
  });

  it('differs between revisions and between configured seeds', () => {
    const seeds = new Set<number>();
    for (let s = 0; s < 100; s++) seeds.add(derivedSeed(42, revisionOf(new Date(s * 1000))));
    expect(seeds.size).toBe(100);
    expect(derivedSeed(1, '20240307T090501Z')).not.toBe(derivedSeed(2, '20240307T090501Z'));
  });

  it('is an unsigned 32-bit integer, a valid config seed', () => {
    for (const rev of ['', '20240307T090501Z', 'x'.repeat(500)]) {
      const seed = derivedSeed(Number.MAX_SAFE_INTEGER, rev);
      expect(Number.isInteger(seed)).toBe(true);
      expect(seed).toBeGreaterThanOrEqual(0);
      expect(seed).toBeLessThan(2 ** 32);
    }
  });
});
