// Tag calibration on the real ConceptCaps model and corpus: the fitted bias brings the selected
// tag shares close to the corpus's, on the calibration rows and on rows it never saw.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countSampler, fitCountModel } from '../../../core/counts/index.js';
import { categoryShares } from '../../../core/evaluation/index.js';
import { calibrateTags } from '../../../core/generation/calibrate-tags.js';
import { generateLatentBatches } from '../../../core/generation/generation.js';
import { clearVaeSessionCache, loadVaeSession } from '../../../core/generation/inference.js';
import { meanShareJs } from '../../../core/generation/tag-calibration.js';
import type { VaeSession } from '../../../core/generation/vae-session.js';
import {
  loadTaxonomy,
  readTagCorpus,
  type TagCorpus,
  type Taxonomy,
} from '../../../core/inputs/index.js';
import { GeneratedRowsView } from '../../../core/rows/index.js';
import { conceptcaps } from '../../helpers/conceptcaps.js';
import { conceptcapsPackDir } from '../../helpers/pipeline.js';

let taxonomy: Taxonomy;
let corpus: TagCorpus;
let runner: VaeSession;
let target: Float64Array;

beforeAll(async () => {
  taxonomy = loadTaxonomy(conceptcaps('concepts_to_tags.json'));
  corpus = await readTagCorpus({ path: conceptcaps('musiccaps_distilled.csv'), taxonomy });
  runner = await loadVaeSession({ packDir: await conceptcapsPackDir(), taxonomy });
  const tagCounts = new Float64Array(taxonomy.size);
  for (const tags of corpus.tags) for (const tag of tags) tagCounts[tag]++;
  target = categoryShares(taxonomy, tagCounts);
});
afterAll(() => clearVaeSessionCache());

const counts = () =>
  countSampler(
    fitCountModel({ categories: corpus.categories, counts: corpus.counts, rows: corpus.rows }),
  );

function settings(temperature: number) {
  return {
    runner,
    latentDim: runner.meta.latentDim,
    taxonomy,
    seed: 42,
    temperatureIndex: 0,
    temperature,
    temperatureMode: 'spread' as const,
    prior: { tags: corpus.tags },
    counts: counts(),
    selection: 'topk' as const,
    target,
    steps: 8,
    rows: 4096,
    batchSize: 1024,
  };
}

/** Tag shares of latent rows rowStart … rowEnd − 1 generated with a bias. */
async function generatedShares(
  temperature: number,
  bias: Float32Array,
  rowStart: number,
  rowEnd: number,
) {
  const picked = new Float64Array(taxonomy.size);
  for await (const batch of generateLatentBatches({
    ...settings(temperature),
    chunk: { temperatureIndex: 0, temperature, rowStart, rowEnd },
    bias,
  })) {
    const view = new GeneratedRowsView(batch);
    for (let r = 0; r < batch.numRows; r++)
      for (const tag of view.tags('generated_tags', r)) picked[tag]++;
  }
  return categoryShares(taxonomy, picked);
}

describe('calibrateTags (ConceptCaps)', () => {
  it('fits a bias that brings tag shares from far off to close to the corpus, also on unseen rows', async () => {
    const calibration = await calibrateTags({ ...settings(1), rows: 16_384 });
    const { meanJs } = calibration;
    expect(meanJs[0]).toBeGreaterThan(0.08); // the decoder's own drift (slow tempo 12 % → 21 %, …)
    expect(Math.min(...meanJs)).toBeLessThan(meanJs[0] / 4);
    // Rows 20,000 … 36,383 are not in the calibration sample (rows 0 … 16,383).
    const D = taxonomy.size;
    const unseen = await generatedShares(1, Float32Array.from(calibration.bias), 20_000, 36_384);
    const unbiased = await generatedShares(1, new Float32Array(D), 20_000, 36_384);
    const js = meanShareJs(taxonomy, target, unseen);
    expect(js).toBeLessThan(0.035);
    expect(js).toBeLessThan(meanShareJs(taxonomy, target, unbiased) / 3);
  }, 120_000);

  it('is a pure function of its inputs', async () => {
    const a = await calibrateTags({ ...settings(0.5), rows: 1024, steps: 3 });
    const b = await calibrateTags({ ...settings(0.5), rows: 1024, steps: 3 });
    expect(b).toEqual(a);
    expect(a.bias).toHaveLength(taxonomy.size);
  }, 120_000);
});
