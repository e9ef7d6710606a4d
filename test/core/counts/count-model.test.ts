import { readFileSync } from 'node:fs';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import { parse as parseCsv } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { cholesky } from '../../../core/counts/correlation.js';
import {
  type CountModel,
  checkCountModel,
  countAt,
  countAtZ,
  countModelFromParams,
  countSampler,
  describeCountModel,
  fitCountModel,
  marginalThresholds,
  NOTEBOOK_COUNT_PARAMS,
  sampleCounts,
  thresholdsInZ,
} from '../../../core/counts/count-model.js';
import { ValidationError } from '../../../core/errors.js';
import { loadTaxonomy, readTagCorpus } from '../../../core/inputs/index.js';
import { type RowStream, rowStream, Stage } from '../../../core/rng.js';
import { conceptcaps } from '../../helpers/conceptcaps.js';

// The seed notebook's constants, copied from its generate_synthetic_correlated_data cell.
const CATEGORIES = ['tempo', 'genre', 'mood', 'instrument'];
const MAX_COUNTS = { tempo: 6, genre: 6, mood: 8, instrument: 6 };
const MEANS = { tempo: 1.24, genre: 1.25, mood: 1.75, instrument: 1.96 };
const VARIANCES = { tempo: 0.58, genre: 0.65, mood: 1.07, instrument: 1.12 };
const CORRELATION = [
  [1.0, 0.15, 0.046, -0.056],
  [0.15, 1.0, 0.021, -0.087],
  [0.046, 0.021, 1.0, -0.099],
  [-0.056, -0.087, -0.099, 1.0],
];

/**
 * A direct transcription of the notebook's marginal, on x = 1..max:
 *   mu = log(m²/sqrt(m²+v)); sigma = sqrt(log(1+v/m²))
 *   p = 1/(x·sigma·sqrt(2π)) · exp(-(log x − mu)²/(2 sigma²)); p /= p.sum()
 */
function notebookPmf(category: keyof typeof MEANS): number[] {
  const m = MEANS[category];
  const v = VARIANCES[category];
  const mu = Math.log(m ** 2 / Math.sqrt(m ** 2 + v));
  const sigma = Math.sqrt(Math.log(1 + v / m ** 2));
  const p: number[] = [];
  for (let x = 1; x <= MAX_COUNTS[category]; x++) {
    p.push(
      (1 / (x * sigma * Math.sqrt(2 * Math.PI))) *
        Math.exp(-((Math.log(x) - mu) ** 2) / (2 * sigma ** 2)),
    );
  }
  const total = p.reduce((s, value) => s + value, 0);
  return p.map((value) => value / total);
}

/** The notebook's inverse CDF: np.digitize(u, np.cumsum(p[:-1])) + 1 (bins[i-1] <= u < bins[i]). */
function notebookCount(u: number, p: number[]): number {
  let cumulative = 0;
  let bin = 0;
  for (let i = 0; i < p.length - 1; i++) {
    cumulative += p[i];
    if (cumulative <= u) bin = i + 1;
  }
  return bin + 1;
}

// The notebook cell's `p` after `p /= p.sum()`, printed by numpy 2.4.6 (repr of each float).
const NUMPY_PMFS: Record<string, number[]> = {
  tempo: [
    0.7413171821550149, 0.19715760249350495, 0.0453034049569446, 0.011686647270276783,
    0.003419197382817033, 0.0011159657414417312,
  ],
  genre: [
    0.7285692531607315, 0.2014211051524685, 0.050049157728625254, 0.013991496922710797,
    0.00441927273114016, 0.0015497143043238027,
  ],
  mood: [
    0.5306887719413391, 0.3071266783006606, 0.10606537103629529, 0.03576498768654146,
    0.012724884691139362, 0.004834850588100881, 0.0019564220033542533, 0.00083803375256905,
  ],
  instrument: [
    0.425781411601229, 0.3644699590732351, 0.13934169107540043, 0.047703935309990626,
    0.016623216478988605, 0.006079786461156314,
  ],
};

function notebookModel(): CountModel {
  return countModelFromParams({
    categories: CATEGORIES,
    means: MEANS,
    variances: VARIANCES,
    maxCounts: MAX_COUNTS,
    correlation: CORRELATION,
  });
}

/** Empirical pmf of column c of rows × k counts, over 0..length−1. */
function empiricalPmf(counts: Uint8Array, k: number, c: number, length: number): number[] {
  const pmf = new Array(length).fill(0);
  const rows = counts.length / k;
  for (let r = 0; r < rows; r++) {
    const v = counts[r * k + c];
    if (v >= length) throw new Error(`count ${v} outside the support 0..${length - 1}`);
    pmf[v] += 1 / rows;
  }
  return pmf;
}

function totalVariation(p: number[], q: number[]): number {
  let sum = 0;
  for (let i = 0; i < Math.max(p.length, q.length); i++) sum += Math.abs((p[i] ?? 0) - (q[i] ?? 0));
  return sum / 2;
}

/** A stand-in stream that hands out given normals, to pin the inverse-CDF convention. */
function fixedNormals(values: number[]): RowStream {
  let i = 0;
  return { normal: () => values[i++] } as unknown as RowStream;
}

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

describe('countModelFromParams (the notebook)', () => {
  const model = notebookModel();

  it('exports the notebook constants unchanged', () => {
    expect(NOTEBOOK_COUNT_PARAMS).toEqual({
      categories: CATEGORIES,
      maxCounts: MAX_COUNTS,
      means: MEANS,
      variances: VARIANCES,
      correlation: CORRELATION,
    });
  });

  it('has the notebook’s discrete log-normal marginals, with p(0) = 0', () => {
    expect(model.kind).toBe('params');
    expect(model.correlation).toEqual(CORRELATION);
    expect(model.repaired).toBeUndefined();
    CATEGORIES.forEach((category, c) => {
      const pmf = model.marginals[c];
      expect(pmf[0]).toBe(0);
      const expected = notebookPmf(category as keyof typeof MEANS);
      expect(pmf.slice(1)).toHaveLength(expected.length);
      pmf.slice(1).forEach((p, i) => {
        expect(Math.abs(p - expected[i])).toBeLessThan(1e-15);
        // numpy's own numbers agree to within an ulp or so (V8 and glibc round ln 3 differently).
        expect(Math.abs(p - NUMPY_PMFS[category][i])).toBeLessThan(1e-16);
      });
    });
  });

  it('maps normals to counts with the notebook’s digitize convention (ties go up)', () => {
    // One category with p = [0.5, 0.5] on 1..2: Φ(0) = 0.5 is exactly the bin edge.
    const half: CountModel = {
      kind: 'params',
      categories: ['x'],
      marginals: [[0, 0.5, 0.5]],
      correlation: [[1]],
    };
    const out = new Uint8Array(3);
    const sampler = countSampler(half);
    sampler.sampleRow(fixedNormals([0]), out, 0);
    sampler.sampleRow(fixedNormals([-1e-12]), out, 1);
    sampler.sampleRow(fixedNormals([-40]), out, 2);
    expect(Array.from(out)).toEqual([notebookCount(0.5, [0.5, 0.5]), 1, 1]);
    expect(out[0]).toBe(2);

    // Independent normals (identity correlation) against the transcribed digitize rule.
    const independent = countModelFromParams({
      categories: CATEGORIES,
      means: MEANS,
      variances: VARIANCES,
      maxCounts: MAX_COUNTS,
      correlation: CATEGORIES.map((_, i) => CATEGORIES.map((_, j) => (i === j ? 1 : 0))),
    });
    const identity = countSampler(independent);
    const stream = rowStream({ seed: 3, stage: Stage.CountSample, temperatureIndex: 0, row: 0 });
    const row = new Uint8Array(4);
    for (let t = 0; t < 20_000; t++) {
      const z = [
        stream.normal() * 1.5,
        stream.normal() * 1.5,
        stream.normal() * 1.5,
        stream.normal() * 1.5,
      ];
      identity.sampleRow(fixedNormals(z), row, 0);
      const expected = CATEGORIES.map((category, c) =>
        notebookCount(normalCdf(z[c], 0, 1), NUMPY_PMFS[category]),
      );
      if (Array.from(row).join() !== expected.join()) {
        expect({ z, row: Array.from(row) }).toEqual({ z, row: expected });
      }
    }
  });

  it('matches the notebook’s discrete marginals within 0.01 TV distance in 200k samples', () => {
    const samples = sampleCounts(model, { n: 200_000, seed: 7 });
    CATEGORIES.forEach((category, c) => {
      const expected = [0, ...notebookPmf(category as keyof typeof MEANS)];
      const empirical = empiricalPmf(samples, 4, c, expected.length);
      expect(empirical[0]).toBe(0);
      expect(totalVariation(empirical, expected)).toBeLessThan(0.01);
    });
  });

  it('validates its parameters', () => {
    const base = {
      categories: CATEGORIES,
      means: MEANS,
      variances: VARIANCES,
      maxCounts: MAX_COUNTS,
      correlation: CORRELATION,
    };
    const message = (change: Partial<typeof base> | Record<string, unknown>) => {
      try {
        countModelFromParams({ ...base, ...change } as typeof base);
      } catch (err) {
        expect(err).toBeInstanceOf(ValidationError);
        return (err as Error).message;
      }
      throw new Error('expected a ValidationError');
    };
    expect(message({ means: { ...MEANS, mood: 0 } })).toBe(
      'count model parameters: means.mood must be a positive number, got 0',
    );
    const { genre: _, ...noGenre } = VARIANCES;
    expect(message({ variances: noGenre })).toBe(
      'count model parameters: variances.genre must be a positive number, got undefined',
    );
    expect(message({ maxCounts: { ...MAX_COUNTS, tempo: 0 } })).toBe(
      'count model parameters: maxCounts.tempo must be an integer in 1..255, got 0',
    );
    expect(message({ maxCounts: { ...MAX_COUNTS, key: 3 } })).toBe(
      'count model parameters: maxCounts names "key", which is not one of the categories (tempo, genre, mood, instrument)',
    );
    expect(message({ correlation: CORRELATION.slice(1) })).toBe(
      'count model parameters: correlation: expected a 4×4 matrix',
    );
    const asymmetric = CORRELATION.map((r) => [...r]);
    asymmetric[0][1] = 0.2;
    expect(message({ correlation: asymmetric })).toBe(
      'count model parameters: correlation: not symmetric: [1][0] = 0.15 but [0][1] = 0.2',
    );
    expect(message({ categories: ['tempo', 'tempo'] })).toBe(
      'count model parameters: category "tempo" appears twice',
    );
  });

  it('repairs a correlation that is not positive definite, and says so', () => {
    const repaired = countModelFromParams({
      categories: ['a', 'b', 'c'],
      means: { a: 1.2, b: 1.3, c: 1.4 },
      variances: { a: 0.5, b: 0.5, c: 0.5 },
      maxCounts: { a: 4, b: 4, c: 4 },
      correlation: [
        [1, 0.9, -0.9],
        [0.9, 1, 0.9],
        [-0.9, 0.9, 1],
      ],
    });
    expect(repaired.repaired).toBe(true);
    expect(cholesky(repaired.correlation)).not.toBeNull();
    expect(sampleCounts(repaired, { n: 10, seed: 0 })).toHaveLength(30);
  });
});

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
    expect(() => checkCountModel({ ...model, kind: 'guess' })).toThrow(
      'count model: kind must be "fitted" or "params", got "guess"',
    );
    expect(() => checkCountModel({ ...model, marginals: model.marginals.slice(1) })).toThrow(
      'count model: expected one marginal per category (4)',
    );
    expect(() =>
      checkCountModel({ ...model, marginals: [[1, -0.1, 0.1], ...model.marginals.slice(1)] }),
    ).toThrow('count model: marginal of "tempo": p(1) = -0.1 is not a probability');
    expect(() =>
      checkCountModel({
        ...model,
        categories: ['a', 'b'],
        marginals: [[1], [1]],
        correlation: [
          [1, 1],
          [1, 1],
        ],
      }),
    ).toThrow('count model: correlation is not positive definite');
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

describe('describeCountModel', () => {
  it('reports marginals, correlation, expected means and seeded sample statistics', () => {
    const model = notebookModel();
    const description = describeCountModel(model, { sampleRows: 50_000, seed: 3 });
    CATEGORIES.forEach((category, c) => {
      const expected = notebookPmf(category as keyof typeof MEANS).reduce(
        (s, p, i) => s + p * (i + 1),
        0,
      );
      expect(description.expectedMeans[category]).toBeCloseTo(expected, 12);
      expect(Math.abs(description.sampleMeans![category] - expected)).toBeLessThan(0.02);
      expect(description.marginals[c]).toEqual(model.marginals[c]);
    });
    expect(description.sampleRows).toBe(50_000);
    expect(description.correlation).toEqual(CORRELATION);
    expect(description.repaired).toBe(false);
    // Discretisation attenuates the correlation, but keeps its signs where it is not tiny.
    expect(description.sampleCorrelation![0][1]).toBeGreaterThan(0.03);
    expect(description.sampleCorrelation![2][3]).toBeLessThan(-0.03);
    expect(describeCountModel(model, { sampleRows: 50_000, seed: 3 })).toEqual(description);
    expect(JSON.parse(JSON.stringify(description))).toEqual(description);
    const bare = describeCountModel(model, { sampleRows: 0 });
    expect(bare.sampleMeans).toBeUndefined();
    expect(bare.sampleCorrelation).toBeUndefined();
  });
});
