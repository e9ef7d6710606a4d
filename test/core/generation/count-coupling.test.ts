import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunConfig } from '../../../core/config.js';
import { type CountModel, countSampler, fitCountModel } from '../../../core/counts/index.js';
import { ValidationError } from '../../../core/errors.js';
import { pearson, wasserstein1Discrete } from '../../../core/evaluation/index.js';
import {
  type CountCouplingCalibration,
  calibrateCountCoupling,
  coupledCountSampler,
  expectedCounts,
} from '../../../core/generation/count-coupling.js';
import { generateLatentBatches, type LatentParams } from '../../../core/generation/generation.js';
import { clearVaeSessionCache, loadVaeSession } from '../../../core/generation/inference.js';
import type { VaeSession } from '../../../core/generation/vae-session.js';
import { loadTaxonomy, readTagCorpus, type Taxonomy } from '../../../core/inputs/index.js';
import { RowStream, Stage } from '../../../core/rng.js';
import { GeneratedRowsView } from '../../../core/rows/index.js';
import { conceptcaps } from '../../helpers/conceptcaps.js';
import { conceptcapsPackDir } from '../../helpers/pipeline.js';

let taxonomy: Taxonomy;
let model: CountModel;
let runner: VaeSession;
let calibration: CountCouplingCalibration;
const SEED = 7;
const ROWS = 4000;
let probs: Float32Array;

/** `ROWS` latent rows decoded at T = 1 from streams the calibration does not use. */
async function latentProbs(): Promise<Float32Array> {
  const L = runner.meta.latentDim;
  const z = new Float32Array(ROWS * L);
  for (let i = 0; i < ROWS; i++) {
    new RowStream({ seed: SEED, stage: Stage.Latent, temperatureIndex: 0, row: i }).fillNormal(
      z,
      i * L,
      L,
    );
  }
  return runner.decode(z, new Float32Array(ROWS).fill(1), ROWS);
}

const countStream = (row: number) =>
  new RowStream({ seed: SEED, stage: Stage.LatentCounts, temperatureIndex: 0, row });

beforeAll(async () => {
  taxonomy = loadTaxonomy(conceptcaps('concepts_to_tags.json'));
  const corpus = await readTagCorpus({ path: conceptcaps('musiccaps_distilled.csv'), taxonomy });
  model = fitCountModel({
    categories: corpus.categories,
    counts: corpus.counts,
    rows: corpus.rows,
  });
  runner = await loadVaeSession({ packDir: await conceptcapsPackDir(), taxonomy });
  calibration = await calibrateCountCoupling({
    runner,
    latentDim: runner.meta.latentDim,
    taxonomy,
    seed: SEED,
    temperatureIndex: 0,
    temperature: 1,
    rows: 8192,
  });
  probs = await latentProbs();
}, 60_000);
afterAll(() => clearVaeSessionCache());

function coupledCounts(strength: number): Uint8Array {
  const sampler = coupledCountSampler({ model, taxonomy, calibration, strength });
  const out = new Uint8Array(ROWS * 4);
  for (let i = 0; i < ROWS; i++) sampler.sampleRow(probs, i, countStream(i), out, i * 4);
  return out;
}

describe('calibrateCountCoupling', () => {
  it('is a pure function of seed, temperature index and temperature', async () => {
    const again = await calibrateCountCoupling({
      runner,
      latentDim: runner.meta.latentDim,
      taxonomy,
      seed: SEED,
      temperatureIndex: 0,
      temperature: 1,
      rows: 8192,
    });
    expect(again.expected).toEqual(calibration.expected);
    const otherIndex = await calibrateCountCoupling({
      runner,
      latentDim: runner.meta.latentDim,
      taxonomy,
      seed: SEED,
      temperatureIndex: 1,
      temperature: 1,
      rows: 8192,
    });
    expect(otherIndex.expected[0]).not.toEqual(calibration.expected[0]);
  });

  it('sorts each category’s expected counts, which grow with the temperature', async () => {
    const hot = await calibrateCountCoupling({
      runner,
      latentDim: runner.meta.latentDim,
      taxonomy,
      seed: SEED,
      temperatureIndex: 0,
      temperature: 2,
      rows: 1024,
    });
    for (let c = 0; c < 4; c++) {
      const values = calibration.expected[c];
      for (let i = 1; i < values.length; i++)
        expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]);
      // Mostly-near-zero probabilities move toward ½ when the logits are divided by 2.
      expect(hot.expected[c][512]).toBeGreaterThan(values[4096]);
    }
  });

  it('refuses an empty calibration sample', async () => {
    await expect(
      calibrateCountCoupling({
        runner,
        latentDim: runner.meta.latentDim,
        taxonomy,
        seed: SEED,
        temperatureIndex: 0,
        temperature: 1,
        rows: 0,
      }),
    ).rejects.toThrow(ValidationError);
  });
});

describe('coupledCountSampler', () => {
  it('with strength 0 draws exactly what countSampler draws from the same stream', () => {
    const independent = countSampler(model);
    const expected = new Uint8Array(ROWS * 4);
    for (let i = 0; i < ROWS; i++) independent.sampleRow(countStream(i), expected, i * 4);
    expect(coupledCounts(0)).toEqual(expected);
  });

  it('keeps the fitted marginals and ties counts to the row’s expected counts', () => {
    const e = new Float64Array(4);
    const perCategoryExpected = taxonomy.categories.map(() => new Float64Array(ROWS));
    for (let i = 0; i < ROWS; i++) {
      expectedCounts(taxonomy, probs, i, e);
      for (let c = 0; c < 4; c++) perCategoryExpected[c][i] = e[c];
    }
    const coupled = coupledCounts(1);
    const independent = coupledCounts(0);
    for (let c = 0; c < 4; c++) {
      const column = (counts: Uint8Array) =>
        Float64Array.from({ length: ROWS }, (_, i) => counts[i * 4 + c]);
      const histogram = new Float64Array(model.marginals[c].length + 1);
      for (const n of column(coupled)) histogram[n]++;
      expect(wasserstein1Discrete(histogram, model.marginals[c])).toBeLessThan(0.06);
      expect(pearson(column(coupled), perCategoryExpected[c])).toBeGreaterThan(0.6);
      expect(Math.abs(pearson(column(independent), perCategoryExpected[c]))).toBeLessThan(0.1);
    }
  });

  it('refuses a strength outside [0, 1] and a count model of other categories', () => {
    expect(() => coupledCountSampler({ model, taxonomy, calibration, strength: 1.5 })).toThrow(
      /strength must be in \[0, 1\], got 1.5/,
    );
    const renamed = { ...model, categories: ['tempo', 'genre', 'instrument', 'mood'] };
    expect(() => coupledCountSampler({ model: renamed, taxonomy, calibration })).toThrow(
      ValidationError,
    );
  });
});

describe('generateLatentBatches with coupled counts', () => {
  async function tags(
    ranges: [number, number][],
    batchSize: number,
    coupled: boolean,
  ): Promise<number[][]> {
    const out: number[][] = [];
    for (const [rowStart, rowEnd] of ranges) {
      const params: LatentParams = {
        runner,
        latentDim: runner.meta.latentDim,
        taxonomy,
        seed: SEED,
        chunk: { temperatureIndex: 0, temperature: 1, rowStart, rowEnd },
        batchSize,
        selection: 'sample',
        counts: countSampler(model),
        coupledCounts: coupled ? coupledCountSampler({ model, taxonomy, calibration }) : undefined,
      };
      for await (const batch of generateLatentBatches(params)) {
        const view = new GeneratedRowsView(batch);
        for (let i = 0; i < view.length; i++) out.push([...view.tags('generated_tags', i)]);
      }
    }
    return out;
  }

  it('gives each row the same tags whatever the chunks and batches', async () => {
    const whole = await tags([[0, 300]], 64, true);
    const pieces = await tags(
      [
        [0, 170],
        [170, 300],
      ],
      50,
      true,
    );
    expect(pieces).toEqual(whole);
    const independent = await tags([[0, 300]], 64, false);
    const differing = whole.filter((row, i) => row.join() !== independent[i].join()).length;
    expect(differing).toBeGreaterThan(150);
  });
});

describe('config generation.countCoupling', () => {
  const base = {
    name: 'x',
    taxonomy: 't.json',
    catalogue: { path: 'c.csv' },
    counts: { mode: 'fit', reference: 'r.csv' },
    model: { pack: 'p' },
  };

  it('defaults to independent and accepts coupled', () => {
    expect(parseRunConfig(base).generation.countCoupling).toBe('independent');
    expect(
      parseRunConfig({ ...base, generation: { countCoupling: 'coupled' } }).generation,
    ).toMatchObject({
      countCoupling: 'coupled',
      selection: 'topk',
    });
  });

  it('names the field and the allowed values for anything else', () => {
    expect(() => parseRunConfig({ ...base, generation: { countCoupling: 'zcoupled' } })).toThrow(
      /generation\.countCoupling: must be "independent" or "coupled", got "zcoupled"/,
    );
  });
});
