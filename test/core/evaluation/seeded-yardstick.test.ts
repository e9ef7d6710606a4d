import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors.js';
import {
  type EvaluationRow,
  evaluateTagSets,
  referenceTagSetStats,
} from '../../../core/evaluation/evaluation.js';
import { MAX_COOCCURRENCE_TAGS, type TagSetStats } from '../../../core/evaluation/metrics.js';
import {
  SeededYardstick,
  type SeededYardstickRow,
} from '../../../core/evaluation/seeded-yardstick.js';
import { buildTaxonomy } from '../../../core/inputs/index.js';
import { rowStream, Stage } from '../../../core/rng.js';
import { conceptcapsCatalogue } from '../../helpers/generated-rows-fixture.js';
import { conceptcapsTaxonomy, readMusiccapsTagSets } from '../../helpers/reference-corpus.js';

// ids: a0 0, a1 1, a2 2 | b0 3, b1 4, b2 5
const taxonomy = buildTaxonomy({ a: ['a0', 'a1', 'a2'], b: ['b0', 'b1', 'b2'] });
// N = 5 rows; n: a0 3, a1 2, a2 0, b0 2, b1 2, b2 1; pairs: a0b0 2, a1b1 1, a1b2 1, a0b1 1.
// lift(a, b) = 5·n(a, b) / (n(a)·n(b)): a0b0 5/3, a0b1 5/6, a1b1 5/4, b1b2 0; a2 is unseen.
const reference = {
  source: 'hand',
  tags: [
    [0, 3],
    [0, 3],
    [1, 4],
    [1, 5],
    [0, 4],
  ],
};

const seededRow = (
  temperatureIndex: number,
  temperature: number,
  row: number,
  seedTags: number[],
  tags: number[],
  sourceTags: number[],
): EvaluationRow => ({
  mode: 'seeded',
  temperatureIndex,
  temperature,
  tags,
  source: { row, seedTags, tags: sourceTags },
});

describe('the seeded yardstick on a hand-computed case', () => {
  const report = evaluateTagSets({
    taxonomy,
    reference,
    rows: [
      // added b0 (in the source), b1; Jaccard {a0 b0 b1} / {a0 a1 b0}: 2 / 4
      seededRow(0, 0.5, 0, [0], [0, 3, 4], [0, 1, 3]),
      // added a1, b2, both in the source; the row is its source: Jaccard 1
      seededRow(0, 0.5, 1, [4], [4, 1, 5], [1, 4, 5]),
      // the seed is lost; added b0 (in the source), a2 (unseen); Jaccard {a2 b0} / {a0 b0}: 1 / 3
      seededRow(1, 1.0, 0, [0], [3, 2], [0, 3]),
      // latent rows carry no source and are not measured
      { mode: 'latent', temperatureIndex: 0, temperature: 0.5, tags: [2, 5] },
    ],
  });
  const seeded = report.seeded!;

  it('measures seed retention and overlap with the source track', () => {
    const all = seeded.overall;
    expect(all.rows).toBe(3);
    expect(all.seedRetention).toBeCloseTo(2 / 3, 12);
    expect(all.meanSeedTags).toBe(1);
    expect(all.meanAddedTags).toBe(2);
    expect(all.addedInSource).toBeCloseTo((1 / 2 + 1 + 1 / 2) / 3, 12);
    expect(all.sourceJaccard).toBeCloseTo((1 / 2 + 1 + 1 / 3) / 3, 12);
  });

  it('takes the mean lift over all (seed, added) pairs, unseen tags apart', () => {
    // a0b0 5/3, a0b1 5/6 | b1a1 5/4, b1b2 0 | a0b0 5/3, a0a2 unseen
    expect(seeded.overall.addedLift).toEqual({
      pairs: 5,
      unseenPairs: 1,
      meanLift: expect.closeTo(65 / 12 / 5, 12),
      aboveOne: 3 / 5,
    });
  });

  it('gives each temperature run its own figures', () => {
    expect(seeded.byTemperature.map((g) => [g.temperatureIndex, g.temperature])).toEqual([
      [0, 0.5],
      [1, 1.0],
    ]);
    const [t0, t1] = seeded.byTemperature.map((g) => g.figures);
    expect(t0.rows).toBe(2);
    expect(t0.seedRetention).toBe(1);
    expect(t0.addedInSource).toBeCloseTo(3 / 4, 12);
    expect(t0.sourceJaccard).toBeCloseTo(3 / 4, 12);
    expect(t0.addedLift).toEqual({
      pairs: 4,
      unseenPairs: 0,
      meanLift: expect.closeTo(15 / 16, 12),
      aboveOne: 1 / 2,
    });
    expect(t1.seedRetention).toBe(0);
    expect(t1.sourceJaccard).toBeCloseTo(1 / 3, 12);
    expect(t1.addedLift).toEqual({
      pairs: 1,
      unseenPairs: 1,
      meanLift: expect.closeTo(5 / 3, 12),
      aboveOne: 1,
    });
  });

  it('draws random baseline tags from the added tags’ categories', () => {
    const random = seeded.overall.randomLift!;
    expect(random.pairs + random.unseenPairs).toBe(6); // one random tag per added tag
    expect(seeded.baselineSeed).toBe(0);
    expect(seeded.overall.randomInSource).toBeGreaterThanOrEqual(0);
  });

  it('is absent without seeded sources, and the other metrics do not change', () => {
    const rows: EvaluationRow[] = [
      seededRow(0, 0.5, 0, [0], [0, 3, 4], [0, 1, 3]),
      seededRow(1, 1.0, 0, [0], [3, 2], [0, 3]),
    ];
    const plain = evaluateTagSets({
      taxonomy,
      reference,
      rows: rows.map(({ source: _, ...row }) => row),
    });
    expect(plain.seeded).toBeUndefined();
    const { seeded: withSeeded, ...rest } = evaluateTagSets({ taxonomy, reference, rows });
    expect(withSeeded).toBeDefined();
    expect(rest).toEqual(plain);
  });
});

describe('the random baseline', () => {
  // ids: a0 0, a1 1 | b0 2, b1 3. N = 3; n: a0 2, a1 1, b0 2, b1 0; pairs a0b0 1, a1b0 1.
  const small = buildTaxonomy({ a: ['a0', 'a1'], b: ['b0', 'b1'] });
  const stats = referenceTagSetStats(small, { source: 'r', tags: [[0, 2], [1, 2], [0]] });

  it('never draws a seed, follows reference frequencies and goes uniform without them', () => {
    const yardstick = new SeededYardstick({ taxonomy: small, reference: stats, seed: 5 });
    // Seed a0, added a1 and b1: random a is a1 (a0 is the seed), random b is b0 (b1 never occurs).
    yardstick.add({
      temperatureIndex: 0,
      temperature: 1,
      tags: [0, 1, 3],
      source: { row: 0, seedTags: [0], tags: [0, 1, 3] },
    });
    // Seed b0, added b1: b1 is all that is left, drawn though it never occurs in the reference.
    yardstick.add({
      temperatureIndex: 0,
      temperature: 1,
      tags: [2, 3],
      source: { row: 1, seedTags: [2], tags: [2, 3] },
    });
    const f = yardstick.report()!.overall;
    // added pairs: a0a1 lift 0, a0b1 unseen | b0b1 unseen
    expect(f.addedLift).toEqual({ pairs: 1, unseenPairs: 2, meanLift: 0, aboveOne: 0 });
    // random pairs: a0a1 0, a0b0 3·1 / (2·2) | b0b1 unseen
    expect(f.randomLift).toEqual({ pairs: 2, unseenPairs: 1, meanLift: 3 / 8, aboveOne: 0 });
    expect(f.addedInSource).toBe(1);
    expect(f.randomInSource).toBe((1 / 2 + 1) / 2); // {a1, b0} against {a0, a1, b1}; {b1}
  });

  // a0..a3 occur 1, 2, 3, 4 times in the reference, b0 once.
  const four = buildTaxonomy({ a: ['a0', 'a1', 'a2', 'a3'], b: ['b0'] });
  const weighted = referenceTagSetStats(four, {
    source: 'r',
    tags: [[0, 4], [1], [1], [2], [2], [2], [3], [3], [3], [3]],
  });
  // Each row: seed b0, one added tag of a; its source is {t}, so the share of random tags in
  // the source is how often t is drawn.
  const drawShare = (t: number, rows: number[], seed = 1) => {
    const yardstick = new SeededYardstick({ taxonomy: four, reference: weighted, seed });
    for (const row of rows) {
      yardstick.add({
        temperatureIndex: row % 3,
        temperature: row % 3,
        tags: [4, 0],
        source: { row, seedTags: [4], tags: [t] },
      });
    }
    return yardstick.report()!.overall.randomInSource!;
  };
  const rows = Array.from({ length: 20_000 }, (_, i) => i);

  it('draws each tag with its share of the category in the reference', () => {
    [0.1, 0.2, 0.3, 0.4].forEach((share, t) => {
      expect(Math.abs(drawShare(t, rows) - share), `a${t}`).toBeLessThan(0.015);
    });
  });

  it('keys each row’s draws by (seed, stage, temperature index, row), not by order', () => {
    const some = rows.slice(0, 2_000);
    const forward = drawShare(3, some);
    expect(drawShare(3, [...some].reverse())).toBeCloseTo(forward, 12);
    expect(drawShare(3, some, 2)).not.toBe(forward);
    expect(Stage.EvaluationBaseline).toBe(11);
  });
});

describe('above the co-occurrence limit', () => {
  it('keeps retention and overlap but skips lift and the baseline', () => {
    const tags = Array.from({ length: MAX_COOCCURRENCE_TAGS + 1 }, (_, i) => `t${i}`);
    const big = buildTaxonomy({ all: tags });
    const report = evaluateTagSets({
      taxonomy: big,
      reference: { source: 'r', tags: [[0, 1]] },
      rows: [seededRow(0, 1, 0, [0], [0, 1, 2], [0, 1])],
    });
    const f = report.seeded!.overall;
    expect(f.seedRetention).toBe(1);
    expect(f.addedInSource).toBe(1 / 2);
    expect(f.sourceJaccard).toBeCloseTo(2 / 3, 12);
    expect(f.addedLift).toBeNull();
    expect(f.randomLift).toBeNull();
    expect(f.randomInSource).toBeNull();
  });
});

describe('bad input', () => {
  const stats = referenceTagSetStats(taxonomy, reference);
  const good: SeededYardstickRow = {
    temperatureIndex: 0,
    temperature: 1,
    tags: [0, 3],
    source: { row: 0, seedTags: [0], tags: [0, 3] },
  };

  it('refuses unknown ids and bad keys, naming the row, and counts nothing of it', () => {
    const yardstick = new SeededYardstick({ taxonomy, reference: stats });
    expect(() => yardstick.add({ ...good, source: { ...good.source, seedTags: [0, 6] } })).toThrow(
      ValidationError,
    );
    expect(() =>
      yardstick.add({ ...good, source: { ...good.source, tags: [-1] } }, 'row 7'),
    ).toThrow(/row 7: source tag id -1/);
    expect(() => yardstick.add({ ...good, source: { ...good.source, row: 1.5 } })).toThrow(
      /source row/,
    );
    expect(yardstick.report()).toBeNull();
    yardstick.add(good);
    const f = yardstick.report()!.overall;
    expect(f.rows).toBe(1);
    expect(f.sourceJaccard).toBe(1);
    expect(f.addedLift!.meanLift).toBeCloseTo(5 / 3, 12);
    expect(() => new SeededYardstick({ taxonomy, reference: stats, seed: -1 })).toThrow(/seed/);
  });

  it('names the generated row when the evaluator passes one on', () => {
    expect(() =>
      evaluateTagSets({ taxonomy, reference, rows: [seededRow(0, 1, 0, [9], [0], [0])] }),
    ).toThrow(/generated row 0: seed tag id 9/);
  });
});

describe('on the real ConceptCaps catalogue and corpus', () => {
  const cc = conceptcapsTaxonomy();
  const corpus = readMusiccapsTagSets(cc);
  /** Rows that are their source's whole tag set: the first tag the seed, the others "added". */
  const measure = (sets: ArrayLike<number>[], stats: TagSetStats) => {
    const yardstick = new SeededYardstick({ taxonomy: cc, reference: stats, seed: 42 });
    let row = 0;
    for (const set of sets) {
      const t = Array.from(set);
      if (t.length < 2) continue;
      yardstick.add({
        temperatureIndex: 0,
        temperature: 1,
        tags: t,
        source: { row: row++, seedTags: t.slice(0, 1), tags: t },
      });
    }
    return yardstick.report()!.overall;
  };

  it('scores a track’s own tags as fully recovered, barely more plausible than random', () => {
    const tracks = conceptcapsCatalogue(cc).map((t) => t.originalTags);
    const f = measure(tracks, referenceTagSetStats(cc, corpus));
    expect(f.rows).toBe(2041);
    expect(f.seedRetention).toBe(1);
    expect(f.addedInSource).toBe(1);
    expect(f.sourceJaccard).toBe(1);
    expect(f.randomInSource).toBeLessThan(0.1);
    // MTG-Jamendo's combinations are not MusicCaps': 0.93 against 0.88 (docs/quality.md)
    expect(f.addedLift!.meanLift!).toBeGreaterThan(f.randomLift!.meanLift!);
    expect(f.addedLift!.meanLift!).toBeLessThan(1.2 * f.randomLift!.meanLift!);
  });

  it('finds a held-out corpus row’s own tags far more plausible than random tags', () => {
    const stream = rowStream({ seed: 7, stage: Stage.Split, temperatureIndex: 0, row: 0 });
    const order = corpus.tags.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = stream.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const half = order.length / 2;
    const halfB = referenceTagSetStats(cc, {
      source: 'half B',
      tags: order.slice(half).map((i) => corpus.tags[i]),
    });
    const f = measure(
      order.slice(0, half).map((i) => corpus.tags[i]),
      halfB,
    );
    expect(f.addedLift!.meanLift!).toBeGreaterThan(2 * f.randomLift!.meanLift!);
    expect(f.addedLift!.aboveOne!).toBeGreaterThan(1.5 * f.randomLift!.aboveOne!);
    expect(f.randomLift!.meanLift!).toBeGreaterThan(0.9);
    expect(f.randomLift!.meanLift!).toBeLessThan(1.2);
  });
});
