// Tag coverage's bookkeeping on a small taxonomy with hand-made rows and candidates: the scan's
// counts and kept keys, round sizing, what a merge accepts, when a tag is given up and why, and
// the rows it hands to the dataset.
import { describe, expect, it } from 'vitest';
import {
  COVERAGE_ROUNDS,
  type CoverageCandidateRow,
  CoverageScan,
  decodeCoverageScan,
  encodeCoverageScan,
  TagCoverage,
} from '../../../core/dataset/tag-coverage.js';
import { buildTaxonomy } from '../../../core/inputs/index.js';
import type { CoverageRange } from '../../../core/plan.js';
import { Mode } from '../../../core/rows/index.js';

// Tags: 0 a, 1 b, 2 c (genre); 3 x, 4 y (mood).
const taxonomy = buildTaxonomy({ genre: ['a', 'b', 'c'], mood: ['x', 'y'] });

function scanOf(rows: number[][], minRows: number): CoverageScan {
  const scan = new CoverageScan(taxonomy.size, minRows);
  for (const row of rows) scan.add([], row);
  return scan;
}

const candidate = (tags: number[], temperatureIndex = 0): CoverageCandidateRow => ({
  temperatureIndex,
  temperature: [0.5, 1][temperatureIndex],
  tags,
});

describe('CoverageScan', () => {
  it('counts each tag once per row and keeps the rows that hold a tag still short', () => {
    // minRows 2: a's rows after its second are no longer kept; b and c stay short throughout.
    const scan = scanOf(
      [
        [0, 3],
        [3, 0],
        [0, 4],
        [0, 3, 3],
        [1, 4],
      ],
      2,
    );
    expect(Array.from(scan.counts)).toEqual([4, 1, 0, 3, 2]);
    // [0, 3] twice (as a set); [0, 4] holds y, short then; [0, 3] again adds nothing; [1, 4] holds b.
    expect(scan.keys.size).toBe(3);
  });

  it('survives its byte form', () => {
    const scan = scanOf([[0, 3], [1, 4], [2]], 5);
    const back = decodeCoverageScan(encodeCoverageScan(scan), 'scan.bin');
    expect(Array.from(back.counts)).toEqual(Array.from(scan.counts));
    expect(back.minRows).toBe(5);
    expect([...back.keys].sort()).toEqual([...scan.keys].sort());
    expect(() => decodeCoverageScan(new Uint8Array(20), 'scan.bin')).toThrow(
      'scan.bin: not a tag-coverage scan',
    );
    expect(() =>
      decodeCoverageScan(encodeCoverageScan(scan).subarray(0, 40), 'scan.bin'),
    ).toThrow();
  });
});

/** Candidates for each range (`make` gives a range's rows), range after range. */
const roundOf = (
  ranges: readonly CoverageRange[],
  make: (range: CoverageRange) => CoverageCandidateRow[],
) => ranges.flatMap(make);

/** Merges one round whose candidates per tag are given (as many as its range asks, padded by repeats). */
async function mergeRound(
  coverage: TagCoverage,
  byTag: Record<number, number[][]>,
): Promise<{ ranges: CoverageRange[] }> {
  const ranges = coverage.nextRanges();
  await coverage.merge(
    ranges,
    roundOf(ranges, (range) => {
      const given = byTag[range.tag] ?? [];
      return Array.from({ length: range.to - range.from }, (_, i) =>
        candidate(given[i] ?? given.at(-1) ?? [range.tag], i % 2),
      );
    }),
  );
  return { ranges };
}

describe('TagCoverage', () => {
  it('plans twice the deficit (at least 16) for each short tag, continuing its index range', () => {
    const scan = scanOf([[0, 3], [0, 4], [0, 3, 4], ...Array(20).fill([1, 3, 4])], 20);
    const coverage = new TagCoverage(taxonomy, scan);
    // a: 3 rows (deficit 17), c: 0 (deficit 20); b, x, y have 20 or more.
    expect(coverage.nextRanges()).toEqual([
      { tag: 0, from: 0, to: 34 },
      { tag: 2, from: 0, to: 40 },
    ]);
    expect(coverage.tagsShort()).toBe(2);
  });

  it('accepts new tag sets while the tag is short, counting every tag they hold', async () => {
    const scan = scanOf([[0, 3], ...Array(3).fill([1, 3, 4]), [1, 3]], 3);
    // Short: a (1 row), c (0 rows). [0, 3] is already in the dataset.
    const coverage = new TagCoverage(taxonomy, scan);
    await mergeRound(coverage, {
      0: [
        [0, 3],
        [0, 4],
        [0, 4],
        [0, 1],
        [0, 2, 3],
        [0, 3, 4],
      ],
      2: [
        [2, 3],
        [2, 4],
      ],
    });
    // a: [0, 3] repeats the dataset, [0, 4] is new, [0, 4] repeats it, [0, 1] new: a reaches 3.
    // c: [0, 2, 3] never examined (a was done), so c has [2, 3] and [2, 4], then repeats.
    expect(coverage.rowsAdded).toBe(4);
    expect(Array.from(coverage.rows)).toEqual([3, 5, 2, 6, 5]);
    const report = coverage.report();
    expect(report.tags.map((t) => [t.tag, t.before, t.added, t.after, t.reached])).toEqual([
      ['a', 1, 2, 3, true],
      ['c', 0, 2, 2, false],
    ]);
    // c's round gave 2 new sets of 16 looked at: the next round asks 2 × 1 / (2/16) = 16.
    expect(coverage.nextRanges()).toEqual([{ tag: 2, from: 16, to: 32 }]);
  });

  it('gives a tag up when its last round gave nothing new, and says so', async () => {
    // Every tag but c already has 5 rows; c has 1 ([2, 3]).
    const scan = scanOf([[2, 3], ...Array(5).fill([0, 1, 3, 4])], 5);
    const coverage = new TagCoverage(taxonomy, scan);
    // c's candidates: [2, 3] (in the dataset) and [2, 4], then [2, 4] over and over.
    await mergeRound(coverage, {
      2: [
        [2, 3],
        [2, 4],
      ],
    });
    expect(coverage.report().tags[0]).toMatchObject({ tag: 'c', added: 1, after: 2 });
    // The next round: 2 × 3 / (1/16) = 96 candidates, all repeats.
    expect((await mergeRound(coverage, { 2: [[2, 4]] })).ranges).toEqual([
      { tag: 2, from: 16, to: 112 },
    ]);
    expect(coverage.nextRanges()).toEqual([]);
    const [c] = coverage.report().tags;
    expect(c).toMatchObject({
      tag: 'c',
      before: 1,
      added: 1,
      after: 2,
      candidates: 112,
      reached: false,
    });
    expect(c.reason).toBe(
      'the model repeats the same few tag sets with it: 112 rows conditioned on it gave 1 new tag set, the last 96 none',
    );
  });

  it(`stops after ${COVERAGE_ROUNDS} rounds and names the tags still short`, async () => {
    // Genres to top up; 20 moods, each already in 50 rows, make every candidate's set new.
    const moods = Array.from({ length: 20 }, (_, k) => `m${k}`);
    const big = buildTaxonomy({ genre: ['g0', 'g1', 'g2'], mood: moods });
    const scan = new CoverageScan(big.size, 50);
    for (let r = 0; r < 50; r++)
      scan.add(
        [],
        moods.map((_, k) => 3 + k),
      );
    const coverage = new TagCoverage(big, scan);
    let counter = 0;
    const newSet = (tag: number) => {
      counter++;
      return [tag, ...moods.map((_, k) => 3 + k).filter((_, k) => (counter >> k) & 1)];
    };
    for (let round = 0; round < COVERAGE_ROUNDS; round++) {
      const ranges = coverage.nextRanges();
      expect(ranges.map((r) => r.tag)).toEqual([0, 1, 2]);
      // Each range's first candidate is new, the rest repeat it: one row a tag a round.
      await coverage.merge(
        ranges,
        roundOf(ranges, (range) => {
          const first = newSet(range.tag);
          return Array.from({ length: range.to - range.from }, () => candidate(first));
        }),
      );
    }
    expect(coverage.nextRanges()).toEqual([]);
    const report = coverage.report();
    expect(report.rounds).toBe(COVERAGE_ROUNDS);
    expect(report.rowsAdded).toBe(3 * COVERAGE_ROUNDS);
    for (const t of report.tags) {
      expect(t).toMatchObject({ reached: false, before: 0, added: COVERAGE_ROUNDS });
      expect(t.reason).toMatch(
        new RegExp(
          `still short after ${COVERAGE_ROUNDS} rounds: \\d+ rows conditioned on it gave ${COVERAGE_ROUNDS} new tag sets`,
        ),
      );
    }
    // Low yields ask for more candidates, up to 128 per missing row.
    expect(report.tags[0].candidates).toBeGreaterThan(50 * 128);
  });

  it('hands over its rows in the stable order, each seeded with the tag it tops up', async () => {
    const scan = scanOf([], 2);
    const coverage = new TagCoverage(taxonomy, scan);
    const ranges = coverage.nextRanges();
    await coverage.merge(
      ranges,
      roundOf(ranges, (range) =>
        Array.from({ length: range.to - range.from }, (_, i) =>
          candidate([range.tag, range.tag < 3 ? 3 + (i % 2) : i % 3], (range.tag + i) % 2),
        ),
      ),
    );
    const rows = [...coverage.generatedRows()];
    expect(rows.length).toBe(coverage.rowsAdded);
    for (const row of rows) {
      expect(row.mode).toBe(Mode.coverage);
      expect(row.seedTags).toHaveLength(1);
      expect(row.generatedTags).not.toContain(row.seedTags[0]);
      expect(row.sourceId).toBeNull();
    }
    const order = rows.map((r) => [r.temperatureIndex, r.rowIndex]);
    expect(order).toEqual([...order].sort((p, q) => p[0] - q[0] || p[1] - q[1]));
    expect(new Set(rows.map((r) => r.rowIndex)).size).toBe(rows.length);
  });

  it('refuses candidates that do not continue the planned ranges', async () => {
    const coverage = new TagCoverage(taxonomy, scanOf([], 2));
    const ranges = coverage.nextRanges();
    await expect(coverage.merge(ranges, [])).rejects.toThrow(/tag a has 0 candidates in \[0, 16\)/);
    await expect(coverage.merge([{ tag: 0, from: 5, to: 9 }], [])).rejects.toThrow(
      /does not continue tag 0/,
    );
    const extra = Array.from({ length: 17 }, () => candidate([0, 3]));
    await expect(coverage.merge([ranges[0]], extra)).rejects.toThrow(
      /round 0 has more candidates than it planned/,
    );
  });
});
