// The latent chunk activity with `countCoupling: coupled`: it must calibrate per temperature
// and produce exactly what core/generation/generation.ts gives with the coupled sampler.
import { rmSync } from 'node:fs';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeGenerateLatentChunk } from '../../activities/generate-latent.js';
import { RUN_FILES } from '../../activities/run-inputs.js';
import { type CountModel, countSampler, fitCountModel } from '../../core/counts/index.js';
import {
  calibrateCountCoupling,
  clearVaeSessionCache,
  coupledCountSampler,
  generateLatentBatches,
  loadVaeSession,
} from '../../core/generation/index.js';
import { loadTaxonomy, readTagCorpus } from '../../core/inputs/index.js';
import { LocalArtifactStore, readArrowBatches, runKey } from '../../core/io/index.js';
import { chunkKey } from '../../core/plan.js';
import { GeneratedRowsView } from '../../core/rows/index.js';
import type { ChunkJob } from '../../core/run-types.js';
import { conceptcaps } from '../helpers/conceptcaps.js';
import { conceptcapsPackDir, tempDir } from '../helpers/pipeline.js';

const root = tempDir('latent-activity');
const taxonomyPath = conceptcaps('concepts_to_tags.json');
const taxonomy = loadTaxonomy(taxonomyPath);
let model: CountModel;
let packDir: string;

beforeAll(async () => {
  const corpus = await readTagCorpus({ path: conceptcaps('musiccaps_distilled.csv'), taxonomy });
  model = fitCountModel({
    categories: corpus.categories,
    counts: corpus.counts,
    rows: corpus.rows,
  });
  packDir = await conceptcapsPackDir();
}, 60_000);
afterAll(async () => {
  await clearVaeSessionCache();
  rmSync(root, { recursive: true, force: true });
});

async function job(runId: string, countCoupling: ChunkJob['countCoupling']): Promise<ChunkJob> {
  await new LocalArtifactStore(root).writeJson(runKey(runId, RUN_FILES.countModel), model);
  return {
    runId,
    artifacts: root,
    taxonomy: taxonomyPath,
    modelPack: packDir,
    seed: 11,
    batchSize: 64,
    selection: 'topk',
    seedCategories: [],
    countCoupling,
    chunk: {
      mode: 'latent',
      temperatureIndex: 2,
      temperature: 1.25,
      rowStart: 100,
      rowEnd: 300,
      key: chunkKey('latent', 2, 100, 300),
    },
  };
}

async function activityTags(j: ChunkJob): Promise<string[]> {
  await new MockActivityEnvironment().run(makeGenerateLatentChunk({ device: 'cpu' }), j);
  const out: string[] = [];
  const path = new LocalArtifactStore(root).path(runKey(j.runId, j.chunk.key));
  for await (const batch of readArrowBatches(path)) {
    const view = new GeneratedRowsView(batch);
    for (let i = 0; i < view.length; i++) out.push(view.tags('generated_tags', i).join(','));
  }
  return out;
}

describe('generateLatentChunk with count coupling', () => {
  it('writes the rows generateLatentBatches gives with the coupled sampler', async () => {
    const coupled = await activityTags(await job('coupled', 'coupled'));
    const runner = await loadVaeSession({ packDir, taxonomy });
    const calibration = await calibrateCountCoupling({
      runner,
      latentDim: runner.meta.latentDim,
      taxonomy,
      seed: 11,
      temperatureIndex: 2,
      temperature: 1.25,
    });
    const expected: string[] = [];
    for await (const batch of generateLatentBatches({
      runner,
      latentDim: runner.meta.latentDim,
      taxonomy,
      seed: 11,
      chunk: { temperatureIndex: 2, temperature: 1.25, rowStart: 100, rowEnd: 300 },
      batchSize: 37,
      selection: 'topk',
      counts: countSampler(model),
      coupledCounts: coupledCountSampler({ model, taxonomy, calibration }),
    })) {
      const view = new GeneratedRowsView(batch);
      for (let i = 0; i < view.length; i++) expected.push(view.tags('generated_tags', i).join(','));
    }
    expect(coupled).toEqual(expected);

    // Jobs from before the option (no field) and `independent` ones draw counts as before.
    const independent = await activityTags(await job('independent', 'independent'));
    expect(await activityTags(await job('legacy', undefined))).toEqual(independent);
    const differing = coupled.filter((row, i) => row !== independent[i]).length;
    expect(differing).toBeGreaterThan(100);
  }, 60_000);
});
