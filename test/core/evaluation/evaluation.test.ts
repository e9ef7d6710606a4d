import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors.js';
import {
  type EvaluationRow,
  evaluateTagSets,
  TagSetEvaluator,
  temperatureLabels,
} from '../../../core/evaluation/evaluation.js';
import { buildTaxonomy } from '../../../core/inputs/index.js';
import { rowStream, Stage } from '../../../core/rng.js';
import { conceptcapsTaxonomy, readMusiccapsTagSets } from '../../helpers/reference-corpus.js';

const entropy = (...p: number[]) => -p.reduce((s, x) => s + (x > 0 ? x * Math.log2(x) : 0), 0);

// ids: a0 0, a1 1 | b0 2, b1 3
const small = buildTaxonomy({ a: ['a0', 'a1'], b: ['b0', 'b1'] });
const smallReference = {
  source: 'hand',
  tags: [
    [0, 2],
    [1, 3],
  ],
};
const seeded = (temperatureIndex: number, temperature: number, tags: number[]): EvaluationRow => ({
  mode: 'seeded',
  temperatureIndex,
  temperature,
  tags,
});

describe('evaluateTagSets on a hand-computed case', () => {
  const report = evaluateTagSets({
    taxonomy: small,
    reference: smallReference,
    rows: [seeded(0, 1, [0, 2]), seeded(0, 1, [2, 0]), seeded(0, 1, [0]), seeded(0, 1, [0, 1, 3])],
  });
  const m = report.overall;

  it('JS distance of the within-category tag frequencies', () => {
    // a: generated 4 a0 + 1 a1 → (.8, .2) against (.5, .5)
    const jsA = entropy(0.65, 0.35) - (entropy(0.8, 0.2) + 1) / 2;
    // b: 2 b0 + 1 b1 → (2/3, 1/3) against (.5, .5)
    const jsB = entropy(7 / 12, 5 / 12) - (entropy(2 / 3, 1 / 3) + 1) / 2;
    expect(m.jsByCategory.a).toBeCloseTo(Math.sqrt(jsA), 12);
    expect(m.jsByCategory.b).toBeCloseTo(Math.sqrt(jsB), 12);
    expect(m.meanJs).toBeCloseTo((Math.sqrt(jsA) + Math.sqrt(jsB)) / 2, 12);
  });

  it('W1 of the tags-per-row histograms', () => {
    // a: rows have 1, 1, 1, 2 tags of a (CDF 0, .75, 1) against 1, 1 (CDF 0, 1, 1) → .25
    // b: 1, 1, 0, 1 (CDF .25, 1) against 1, 1 (CDF 0, 1) → .25
    expect(m.w1ByCategory).toEqual({ a: 0.25, b: 0.25 });
    expect(m.maxW1).toBe(0.25);
  });

  it('Pearson r of pair co-occurrence rates', () => {
    // pairs (0,1) (0,2) (0,3) (1,2) (1,3) (2,3); generated rates ×4: 1 2 1 0 1 0,
    // reference rates ×2: 0 1 0 0 1 0 → r = (4/3) / √(17/6 · 4/3) = 4 / √34
    expect(m.cooccurrenceR).toBeCloseTo(4 / Math.sqrt(34), 12);
  });

  it('unique ratio, coverage, novelty and tags per row', () => {
    expect(m.rows).toBe(4);
    expect(m.distinctSets).toBe(3); // {0,2} twice, {0}, {0,1,3}
    expect(m.uniqueRatio).toBe(0.75);
    expect(m.tagCoverage).toBe(1);
    expect(m.novelty).toBeCloseTo(2 / 3, 12); // {0} and {0,1,3} are not in the reference
    expect(m.copiedRows).toBe(0.5); // both {0,2} rows are a reference row's set
    expect(m.meanTagsPerRow).toBe(2);
    expect(m.distinctExact).toBe(true);
  });

  it('chart data: shares within category and of rows', () => {
    expect(report.tagFrequencies.map((f) => [f.tag, f.reference, f.generated])).toEqual([
      ['a0', 0.5, 0.8],
      ['a1', 0.5, 0.2],
      ['b0', 0.5, 2 / 3],
      ['b1', 0.5, 1 / 3],
    ]);
    expect(report.countHistograms[0]).toEqual({
      category: 'a',
      reference: [0, 1, 0],
      generated: [0, 0.75, 0.25],
      byMode: { seeded: [0, 0.75, 0.25] },
    });
    expect(report.countHistograms[1].generated).toEqual([0.25, 0.75]);
    expect(report.reference).toEqual({
      source: 'hand',
      rows: 2,
      distinctSets: 2,
      meanTagsPerRow: 2,
    });
  });
});

describe('grouping', () => {
  const temperatures = [0.5, 1.0, 1.0];
  const rows: EvaluationRow[] = [];
  for (const mode of ['latent', 'seeded']) {
    temperatures.forEach((temperature, temperatureIndex) => {
      rows.push({ mode, temperatureIndex, temperature, tags: [0, 2] });
      rows.push({ mode, temperatureIndex, temperature, tags: mode === 'latent' ? [1] : [1, 3] });
    });
  }
  const report = evaluateTagSets({ taxonomy: small, reference: smallReference, rows });

  it('keeps repeated temperatures apart by index and orders seeded before latent', () => {
    expect(Object.keys(report.byMode)).toEqual(['seeded', 'latent']);
    expect(report.byGroup.map((g) => [g.mode, g.temperatureIndex, g.temperature])).toEqual([
      ['seeded', 0, 0.5],
      ['seeded', 1, 1.0],
      ['seeded', 2, 1.0],
      ['latent', 0, 0.5],
      ['latent', 1, 1.0],
      ['latent', 2, 1.0],
    ]);
    expect([...temperatureLabels(report).values()]).toEqual(['0.5', '1.0 (#2)', '1.0 (#3)']);
  });

  it('computes each group on its own rows', () => {
    const seededGroup = report.byGroup[0].metrics;
    const latentGroup = report.byGroup[3].metrics;
    // seeded rows are exactly the reference's sets
    expect(seededGroup.rows).toBe(2);
    expect(seededGroup.meanJs).toBe(0);
    expect(seededGroup.maxW1).toBe(0);
    expect(seededGroup.cooccurrenceR).toBeCloseTo(1, 12);
    expect(seededGroup.novelty).toBe(0);
    // latent: {0,2} and {1}: b has 1 tag in half the rows → W1 .5; {1} is novel; b1 never seen
    expect(latentGroup.w1ByCategory.b).toBe(0.5);
    expect(latentGroup.novelty).toBe(0.5);
    expect(latentGroup.tagCoverage).toBe(0.75);
    expect(report.byMode.seeded.uniqueRatio).toBeCloseTo(2 / 6, 12);
    expect(report.overall.rows).toBe(12);
    expect(report.overall.distinctSets).toBe(3);
  });
});

describe('bad input', () => {
  it('refuses a temperature index that changes temperature', () => {
    const evaluator = new TagSetEvaluator({ taxonomy: small, reference: smallReference });
    evaluator.add(seeded(1, 1.0, [0]));
    expect(() => evaluator.add(seeded(1, 1.25, [0]))).toThrow(ValidationError);
    expect(() => evaluator.add(seeded(1, 1.25, [0]))).toThrow(
      /temperature index 1 has temperature 1.25, but earlier rows gave 1/,
    );
  });

  it('refuses unknown tag ids, empty inputs and bad groups with the row named', () => {
    const evaluator = new TagSetEvaluator({ taxonomy: small, reference: smallReference });
    expect(() => evaluator.add(seeded(0, 1, [4]))).toThrow(/generated row 0: tag id 4/);
    expect(() => evaluator.add({ ...seeded(0, 1, [0]), mode: '' })).toThrow(/mode/);
    expect(() => evaluator.add(seeded(-1, 1, [0]))).toThrow(/temperature index/);
    expect(() => evaluator.report()).toThrow(/no generated rows/);
    expect(
      () => new TagSetEvaluator({ taxonomy: small, reference: { source: 'empty.csv', tags: [] } }),
    ).toThrow(/empty.csv: the reference has no rows/);
    expect(
      () =>
        new TagSetEvaluator({ taxonomy: small, reference: { source: 'r.csv', tags: [[0], [7]] } }),
    ).toThrow(/r.csv: row 2: tag id 7/);
  });
});

describe('on the real reference corpus', () => {
  const taxonomy = conceptcapsTaxonomy();
  const corpus = readMusiccapsTagSets(taxonomy);

  it('the corpus against itself is a perfect match', () => {
    const report = evaluateTagSets({
      taxonomy,
      reference: corpus,
      rows: corpus.tags.map((tags) => seeded(0, 1, Array.from(tags))),
    });
    expect(report.overall.cooccurrenceR).toBeCloseTo(1, 12);
    expect(report.overall.meanJs).toBe(0);
    expect(report.overall.maxW1).toBe(0);
    expect(report.overall.novelty).toBe(0);
    expect(report.reference.rows).toBe(1890);
  });

  it('one half against the other lands on the noise ceiling (≈0.89 / ≈0.12)', () => {
    const stream = rowStream({ seed: 7, stage: Stage.Split, temperatureIndex: 0, row: 0 });
    const order = corpus.tags.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = stream.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const half = order.length / 2;
    const report = evaluateTagSets({
      taxonomy,
      reference: { source: 'half B', tags: order.slice(half).map((i) => corpus.tags[i]) },
      rows: order.slice(0, half).map((i) => seeded(0, 1, Array.from(corpus.tags[i]))),
    });
    expect(report.overall.cooccurrenceR).toBeGreaterThan(0.86);
    expect(report.overall.cooccurrenceR).toBeLessThan(0.92);
    expect(report.overall.meanJs).toBeGreaterThan(0.1);
    expect(report.overall.meanJs).toBeLessThan(0.15);
  });

  it('uniformly random tags with the same per-category counts are far from it', () => {
    const rows = corpus.tags.map((tags, r) => {
      const stream = rowStream({ seed: 3, stage: Stage.Selection, temperatureIndex: 0, row: r });
      const out: number[] = [];
      for (const range of taxonomy.ranges) {
        const pool = Array.from({ length: range.end - range.start }, (_, i) => range.start + i);
        const k = Array.from(tags).filter((t) => t >= range.start && t < range.end).length;
        for (let n = 0; n < k; n++) out.push(pool.splice(stream.int(pool.length), 1)[0]);
      }
      return seeded(0, 1, out);
    });
    const m = evaluateTagSets({ taxonomy, reference: corpus, rows }).overall;
    expect(m.maxW1).toBe(0);
    expect(m.cooccurrenceR).toBeLessThan(0.15);
    expect(m.meanJs).toBeGreaterThan(0.3);
  });
});
