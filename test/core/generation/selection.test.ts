import { describe, expect, it } from 'vitest';
import { SelectionScratch, selectTags, TopkRows } from '../../../core/generation/selection.js';
import { buildTaxonomy } from '../../../core/inputs/index.js';
import { rowStream, Stage } from '../../../core/rng.js';

// Two categories: a (tags 0–4) and b (tags 5–8).
const taxonomy = buildTaxonomy({
  a: ['a0', 'a1', 'a2', 'a3', 'a4'],
  b: ['b0', 'b1', 'b2', 'b3'],
});
const D = taxonomy.size;

function select(
  probsRow: number[],
  requests: number[],
  excluded: number[] = [],
  policy: 'topk' | 'sample' = 'topk',
  streamRow?: number,
): number[] {
  // Row 1 of a two-row matrix, so the row offset is exercised; row 0 is noise.
  const probs = new Float32Array(2 * D);
  for (let j = 0; j < D; j++) probs[j] = 1 - j / D;
  probs.set(probsRow, D);
  const out = new Uint16Array(D + 3).fill(999);
  const stream =
    streamRow === undefined
      ? undefined
      : rowStream({ seed: 5, stage: Stage.Selection, temperatureIndex: 0, row: streamRow });
  // Requests and exclusions are read in place too: row 1 of the requests, the excluded tags
  // after two of noise.
  const requestRows = [...requests.map(() => 7), ...requests];
  const written = selectTags(
    taxonomy,
    policy,
    probs,
    1,
    requestRows,
    [0, 5, ...excluded],
    2,
    excluded.length,
    new SelectionScratch(taxonomy),
    out,
    3,
    stream,
  );
  expect(Array.from(out.subarray(0, 3))).toEqual([999, 999, 999]); // nothing before outOffset
  return Array.from(out.subarray(3, 3 + written));
}

const probs = [0.1, 0.9, 0.5, 0.7, 0.3, 0.2, 0.6, 0.05, 0.4];

describe('selectTags, topk', () => {
  it('takes the most probable tags of each category, best first, in category order', () => {
    expect(select(probs, [2, 3])).toEqual([1, 3, 6, 8, 5]);
  });

  it('skips excluded tags and takes the next ones', () => {
    expect(select(probs, [2, 1], [1, 6])).toEqual([3, 2, 8]);
  });

  it('gives every remaining tag when the request exceeds what the category has left', () => {
    expect(select(probs, [9, 0], [3])).toEqual([1, 2, 4, 0]);
    expect(select(probs, [5, 4])).toEqual([1, 3, 2, 4, 0, 6, 8, 5, 7]);
  });

  it('gives nothing for zero requests', () => {
    expect(select(probs, [0, 0])).toEqual([]);
  });

  it('breaks ties by the lower tag index, wherever the tied tags come in', () => {
    const tied = [0.5, 0.2, 0.5, 0.5, 0.9, 0.3, 0.3, 0.3, 0.3];
    expect(select(tied, [3, 2])).toEqual([4, 0, 2, 5, 6]);
    expect(select(tied, [4, 4])).toEqual([4, 0, 2, 3, 5, 6, 7, 8]);
  });
});

describe('selectTags, sample', () => {
  it('is reproducible per selection stream and varies between streams', () => {
    const draws = Array.from({ length: 40 }, (_, row) => select(probs, [2, 2], [], 'sample', row));
    expect(
      Array.from({ length: 40 }, (_, row) => select(probs, [2, 2], [], 'sample', row)),
    ).toEqual(draws);
    expect(new Set(draws.map((d) => d.join())).size).toBeGreaterThan(5);
  });

  it('never picks an excluded tag and never more than requested or available', () => {
    for (let row = 0; row < 300; row++) {
      const chosen = select(probs, [3, 9], [1, 7], 'sample', row);
      expect(chosen).not.toContain(1);
      expect(chosen).not.toContain(7);
      expect(chosen.filter((t) => t < 5)).toHaveLength(3);
      expect(chosen.filter((t) => t >= 5).sort()).toEqual([5, 6, 8]);
      expect(new Set(chosen).size).toBe(chosen.length);
    }
  });

  it('draws the first tag with probability proportional to the decoded probabilities', () => {
    const rows = 20_000;
    const first = new Array(5).fill(0);
    for (let row = 0; row < rows; row++) first[select(probs, [1, 0], [], 'sample', row)[0]]++;
    const total = probs.slice(0, 5).reduce((s, p) => s + p, 0);
    for (let j = 0; j < 5; j++) {
      const expected = probs[j] / total;
      const se = Math.sqrt((expected * (1 - expected)) / rows);
      expect(Math.abs(first[j] / rows - expected)).toBeLessThan(5 * se);
    }
  });

  it('needs a stream', () => {
    expect(() => select(probs, [1, 1], [], 'sample')).toThrow(/selection stream/);
  });
});

describe('TopkRows (WebAssembly)', () => {
  it('selects what selectTags does, row by row, ties, seeds and oversized requests included', () => {
    // Three categories of unequal sizes; probabilities on a coarse grid, so ties are common.
    const tax = buildTaxonomy({
      x: Array.from({ length: 7 }, (_, i) => `x${i}`),
      y: Array.from({ length: 30 }, (_, i) => `y${i}`),
      z: Array.from({ length: 2 }, (_, i) => `z${i}`),
    });
    const rows = 500;
    const D = tax.size;
    const C = 3;
    const S = 2;
    const stream = rowStream({ seed: 9, stage: Stage.Selection, temperatureIndex: 0, row: 0 });
    const probs = Float32Array.from({ length: rows * D }, () => stream.int(6) / 5);
    const requests = Uint8Array.from({ length: rows * C }, () => stream.int(9));
    const seeds = new Uint16Array(rows * S);
    const seedCounts = new Uint8Array(rows);
    for (let r = 0; r < rows; r++) {
      // Up to two seeds, from different categories, as seeded generation draws them.
      const candidates = [stream.int(7), 7 + stream.int(30), 37 + stream.int(2)];
      const count = stream.int(3);
      for (let s = 0; s < count; s++) seeds[r * S + s] = candidates[(r + s) % 3];
      seedCounts[r] = count;
    }
    const selected = new TopkRows(tax).select({ probs, n: rows, requests, seeds, seedCounts, S });
    const scratch = new SelectionScratch(tax);
    const expected = new Uint16Array(D);
    let tagsSeen = 0;
    // Packed: row r's tags follow those of rows 0 … r − 1.
    for (let r = 0; r < rows; r++) {
      const written = selectTags(
        tax,
        'topk',
        probs,
        r,
        requests,
        seeds,
        r * S,
        seedCounts[r],
        scratch,
        expected,
        0,
      );
      expect(selected.counts[r]).toBe(written);
      expect(Array.from(selected.tags.subarray(tagsSeen, tagsSeen + written))).toEqual(
        Array.from(expected.subarray(0, written)),
      );
      tagsSeen += written;
    }
    expect(selected.tags.length).toBe(tagsSeen);
    expect(tagsSeen).toBeGreaterThan(rows * 5);
    // Without seeds, and for another taxonomy after this one (the module's scratch is shared).
    const plain = new TopkRows(taxonomy).select({
      probs: new Float32Array(2 * taxonomy.size).fill(0.5),
      n: 2,
      requests: Uint8Array.from([2, 1, 1, 9]),
    });
    expect(Array.from(plain.counts)).toEqual([3, 5]);
    expect(Array.from(plain.tags.subarray(3))).toEqual([0, 5, 6, 7, 8]);
  });

  it('ranks NaN and −∞ probabilities below every other, ties to the lower tag, and never loops on them', () => {
    const tax = buildTaxonomy({ a: ['a0', 'a1', 'a2', 'a3', 'a4'], b: ['b0', 'b1'] });
    const probs = Float32Array.from([Number.NaN, 0.5, -Infinity, 0.2, Number.NaN, 0, -0]);
    const selected = new TopkRows(tax).select({ probs, n: 1, requests: Uint8Array.from([9, 2]) });
    expect(Array.from(selected.tags.subarray(0, selected.counts[0]))).toEqual([
      1, 3, 0, 2, 4, 5, 6,
    ]);
  });
});
