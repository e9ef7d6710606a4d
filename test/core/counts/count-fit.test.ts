import { readFileSync } from 'node:fs';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import { parse as parseCsv } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { cholesky } from '../../../core/counts/correlation.js';
import { describeCountModel } from '../../../core/counts/count-description.js';
import { fitCountModel } from '../../../core/counts/count-fit.js';
import { checkCountModel } from '../../../core/counts/count-model.js';
import { sampleCounts } from '../../../core/counts/count-sampler.js';
import { loadTaxonomy, readTagCorpus } from '../../../core/inputs/index.js';
import { conceptcaps } from '../../helpers/conceptcaps.js';
import { CATEGORIES, empiricalPmf, totalVariation } from './notebook-fixtures.js';

describe('fitCountModel on the MusicCaps reference corpus', async () => {
  const taxonomy = loadTaxonomy(conceptcaps('concepts_to_tags.json'));
  const path = conceptcaps('musiccaps_distilled.csv');
  const corpus = await readTagCorpus({ path, taxonomy });
  const model = fitCountModel({
    categories: corpus.categories,
    counts: corpus.counts,
    rows: corpus.rows,
    source: { path, sha256: corpus.sha256, rows: corpus.rows },
  });

  it('gives the per-category mean counts 1.051, 1.004, 1.562, 1.857', () => {
    const { expectedMeans } = describeCountModel(model, { sampleRows: 0 });
    expect(Math.abs(expectedMeans.tempo - 1.051)).toBeLessThanOrEqual(0.002);
    expect(Math.abs(expectedMeans.genre - 1.004)).toBeLessThanOrEqual(0.002);
    expect(Math.abs(expectedMeans.mood - 1.562)).toBeLessThanOrEqual(0.002);
    expect(Math.abs(expectedMeans.instrument - 1.857)).toBeLessThanOrEqual(0.002);
    expect(model.kind).toBe('fitted');
    expect(model.source).toEqual({ path, sha256: corpus.sha256, rows: 1890 });
  });

  it('has the empirical marginals of the cells, on 0..max seen', () => {
    const records = parseCsv(readFileSync(path), { columns: true }) as Record<string, string>[];
    CATEGORIES.forEach((category, c) => {
      const counts = records.map((r) =>
        r[`${category}_tags`] === '' ? 0 : r[`${category}_tags`].split(',').length,
      );
      const max = Math.max(...counts);
      const expected = Array.from(
        { length: max + 1 },
        (_, v) => counts.filter((x) => x === v).length / counts.length,
      );
      expect(model.marginals[c]).toHaveLength(max + 1);
      model.marginals[c].forEach((p, v) => {
        expect(p).toBeCloseTo(expected[v], 15);
      });
    });
    expect(model.marginals.map((m) => m.length - 1)).toEqual([6, 6, 8, 6]);
  });

  it('has the correlation of continuity-corrected mid-rank normal scores', () => {
    // Independent transcription: sort, average the 1-based ranks of ties, u = (rank − ½)/n.
    const n = corpus.rows;
    const scores = CATEGORIES.map((_, c) => {
      const column = Array.from({ length: n }, (_, r) => corpus.counts[r * 4 + c]);
      const order = column.map((v, r) => [v, r]).sort((a, b) => a[0] - b[0]);
      const rank = new Array<number>(n);
      for (let i = 0; i < n; ) {
        let j = i;
        while (j < n && order[j][0] === order[i][0]) j++;
        const mid = (i + 1 + j) / 2;
        for (let t = i; t < j; t++) rank[order[t][1]] = mid;
        i = j;
      }
      return rank.map((rk) => normalQuantile((rk - 0.5) / n, 0, 1));
    });
    const pearson = (a: number[], b: number[]) => {
      const ma = a.reduce((s, v) => s + v, 0) / n;
      const mb = b.reduce((s, v) => s + v, 0) / n;
      let ab = 0;
      let aa = 0;
      let bb = 0;
      for (let i = 0; i < n; i++) {
        ab += (a[i] - ma) * (b[i] - mb);
        aa += (a[i] - ma) ** 2;
        bb += (b[i] - mb) ** 2;
      }
      return ab / Math.sqrt(aa * bb);
    };
    for (let i = 0; i < 4; i++) {
      expect(model.correlation[i][i]).toBe(1);
      for (let j = 0; j < 4; j++) {
        if (i !== j) expect(model.correlation[i][j]).toBeCloseTo(pearson(scores[i], scores[j]), 12);
      }
    }
    expect(model.repaired).toBeUndefined();
    expect(cholesky(model.correlation)).not.toBeNull();
  });

  it('reproduces each marginal within 0.01 total-variation distance in 200k samples', () => {
    const samples = sampleCounts(model, { n: 200_000, seed: 2024 });
    model.marginals.forEach((pmf, c) => {
      expect(totalVariation(empiricalPmf(samples, 4, c, pmf.length), pmf)).toBeLessThan(0.01);
    });
  });

  it('survives a JSON round trip and validates', () => {
    const back = checkCountModel(JSON.parse(JSON.stringify(model)), 'count model x.json');
    expect(sampleCounts(back, { n: 100, seed: 1 })).toEqual(
      sampleCounts(model, { n: 100, seed: 1 }),
    );
  });
});

describe('fitCountModel', () => {
  it('gives a category with one value no correlation, and repairs a singular matrix', () => {
    // Columns: a varies, b is a copy of a, c is constant.
    const rows = 400;
    const counts = new Uint8Array(rows * 3);
    for (let r = 0; r < rows; r++) counts.set([r % 3, r % 3, 2], r * 3);
    const model = fitCountModel({ categories: ['a', 'b', 'c'], counts, rows });
    expect(model.marginals[2]).toEqual([0, 0, 1]);
    expect(model.repaired).toBe(true);
    expect(model.correlation[0][1]).toBeGreaterThan(0.999);
    expect(Math.abs(model.correlation[0][2])).toBeLessThan(1e-9);
    expect(cholesky(model.correlation)).not.toBeNull();
    // The sampler still reproduces the marginals: c is always 2, a and b move together.
    const samples = sampleCounts(model, { n: 2_000, seed: 1 });
    let same = 0;
    for (let r = 0; r < 2_000; r++) {
      expect(samples[r * 3 + 2]).toBe(2);
      if (samples[r * 3] === samples[r * 3 + 1]) same++;
    }
    expect(same).toBeGreaterThan(1_950);
  });

  it('refuses inputs that do not fit together', () => {
    expect(() => fitCountModel({ categories: ['a'], counts: new Uint8Array(0), rows: 0 })).toThrow(
      'fitCountModel: needs at least one row, got rows = 0',
    );
    expect(() =>
      fitCountModel({ categories: ['a', 'b'], counts: new Uint8Array(5), rows: 3 }),
    ).toThrow('fitCountModel: counts has 5 values; expected rows × categories = 3 × 2 = 6');
    expect(() => fitCountModel({ categories: [], counts: new Uint8Array(0), rows: 1 })).toThrow(
      'fitCountModel: needs a non-empty list of categories',
    );
  });
});
