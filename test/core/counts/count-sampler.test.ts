import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import { describe, expect, it } from 'vitest';
import { fitCountModel } from '../../../core/counts/count-fit.js';
import type { CountModel } from '../../../core/counts/count-model.js';
import {
  countAt,
  countAtZ,
  countSampler,
  marginalThresholds,
  sampleCounts,
  thresholdsInZ,
} from '../../../core/counts/count-sampler.js';
import { loadTaxonomy, readTagCorpus } from '../../../core/inputs/index.js';
import { rowStream, Stage } from '../../../core/rng.js';
import { conceptcaps } from '../../helpers/conceptcaps.js';
import { notebookModel } from './notebook-fixtures.js';

describe('sampling', () => {
  const model = notebookModel();

  it('gives identical samples for the same seed and different ones for another', () => {
    const a = sampleCounts(model, { n: 5_000, seed: 11 });
    const b = sampleCounts(model, { n: 5_000, seed: 11 });
    expect(b).toEqual(a);
    expect(sampleCounts(model, { n: 5_000, seed: 12 })).not.toEqual(a);
    expect(sampleCounts(model, { n: 5_000, seed: 11, temperatureIndex: 1 })).not.toEqual(a);
    expect(sampleCounts(model, { n: 5_000, seed: 11, stage: Stage.LatentCounts })).not.toEqual(a);
  });

  it('draws row k the same whether rows 0..N are generated or k alone', () => {
    const n = 1_000;
    const all = sampleCounts(model, {
      n,
      seed: 99,
      stage: Stage.SeededCounts,
      temperatureIndex: 2,
    });
    for (const k of [0, 1, 417, 998, 999]) {
      const alone = sampleCounts(model, {
        n: 1,
        seed: 99,
        stage: Stage.SeededCounts,
        temperatureIndex: 2,
        firstRow: k,
      });
      expect(Array.from(alone)).toEqual(Array.from(all.subarray(k * 4, k * 4 + 4)));
      const out = new Uint8Array(4);
      countSampler(model).sampleRow(
        rowStream({ seed: 99, stage: Stage.SeededCounts, temperatureIndex: 2, row: k }),
        out,
        0,
      );
      expect(out).toEqual(alone);
    }
    const middle = sampleCounts(model, {
      n: 300,
      seed: 99,
      stage: Stage.SeededCounts,
      temperatureIndex: 2,
      firstRow: 500,
    });
    expect(middle).toEqual(all.subarray(2000, 3200));
  });

  it('draws exactly one normal per category from the row stream', () => {
    const key = { seed: 4, stage: Stage.CountSample, temperatureIndex: 0, row: 8 } as const;
    const used = rowStream(key);
    countSampler(model).sampleRow(used, new Uint8Array(4), 0);
    const fresh = rowStream(key);
    for (let i = 0; i < 4; i++) fresh.normal();
    expect(used.normal()).toBe(fresh.normal());
    expect(used.uniform()).toBe(fresh.uniform());
  });

  it('applies the correlation through the Cholesky factor (Spearman = 6/π·asin(ρ/2))', () => {
    // Fine-grained marginals make the counts' rank correlation that of the latent normals.
    const flat = Array.from({ length: 201 }, () => 1 / 201);
    const rho = [
      [1, 0.6, -0.4],
      [0.6, 1, 0.2],
      [-0.4, 0.2, 1],
    ];
    const copula: CountModel = {
      kind: 'params',
      categories: ['a', 'b', 'c'],
      marginals: [flat, flat, flat],
      correlation: rho,
    };
    const n = 200_000;
    const samples = sampleCounts(copula, { n, seed: 5 });
    // Uniform discrete marginals: Pearson of the counts is (nearly) the Spearman correlation.
    const mean = 100;
    const variance = (201 * 201 - 1) / 12;
    for (const [i, j] of [
      [0, 1],
      [0, 2],
      [1, 2],
    ]) {
      let sum = 0;
      for (let r = 0; r < n; r++) sum += (samples[r * 3 + i] - mean) * (samples[r * 3 + j] - mean);
      const spearman = sum / n / variance;
      expect(Math.abs(spearman - (6 / Math.PI) * Math.asin(rho[i][j] / 2))).toBeLessThan(0.01);
    }
  });

  it('refuses a bad n and a malformed model', () => {
    expect(() => sampleCounts(model, { n: -1, seed: 0 })).toThrow(
      'sampleCounts: n must be a non-negative integer, got -1',
    );
    expect(sampleCounts(model, { n: 0, seed: 0 })).toHaveLength(0);
    const bad = { ...model, marginals: [[0.5, 0.4], ...model.marginals.slice(1)] };
    expect(() => countSampler(bad)).toThrow('count model: marginal of "tempo" sums to 0.9, not 1');
  });
});

describe('countAtZ', () => {
  /** The doubles next to x, k steps up (k > 0) or down. */
  function nextDoubles(x: number, k: number): number {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, x);
    const bits = view.getBigInt64(0);
    view.setBigInt64(0, bits + BigInt(x >= 0 ? k : -k));
    return view.getFloat64(0);
  }

  it('counts what countAt counts at Φ(z), at and around every threshold and far out', async () => {
    const taxonomy = loadTaxonomy(conceptcaps('concepts_to_tags.json'));
    const corpus = await readTagCorpus({ path: conceptcaps('musiccaps_distilled.csv'), taxonomy });
    const fitted = fitCountModel({
      categories: corpus.categories,
      counts: corpus.counts,
      rows: corpus.rows,
    });
    const cumulatives = [
      ...marginalThresholds(fitted),
      ...marginalThresholds(notebookModel()),
      // Zero, tails beyond ±5σ, repeated and certain thresholds.
      Float64Array.of(0, 1e-300, 1e-12, 2.8e-7, 0.3, 0.3, 0.5, 1 - 1e-9, 1 - 1e-17, 1),
      Float64Array.of(0.5),
      new Float64Array(0),
    ];
    const zs: number[] = [0, -0, 4.99, 5, -4.99, -5, 8.3, -8.3, 40, -40, 1e300, -1e300];
    const stream = rowStream({ seed: 11, stage: Stage.CountSample, temperatureIndex: 0, row: 0 });
    for (let i = 0; i < 100_000; i++) zs.push(stream.normal() * 2.5);
    for (const cumulative of cumulatives) {
      for (const t of cumulative) {
        if (!(t > 0 && t < 1)) continue;
        const q = normalQuantile(t, 0, 1);
        for (const k of [-3, -2, -1, 0, 1, 2, 3]) zs.push(nextDoubles(q, k));
        for (const d of [1e-6, 1.0000001e-6, 1e-5]) zs.push(q + d, q - d);
      }
    }
    let checked = 0;
    for (const cumulative of cumulatives) {
      const thresholds = thresholdsInZ(cumulative);
      for (const z of zs) {
        const expected = countAt(cumulative, normalCdf(z, 0, 1));
        const got = countAtZ(thresholds, z);
        if (got !== expected) expect({ cumulative: Array.from(cumulative), z, got }).toBe(expected);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(500_000);
  });
});
