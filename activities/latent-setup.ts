// What latent generation and its tag calibration share: the count sampler, z-coupled counts,
// the corpus prior and the calibrated bias of a temperature, cached per worker process.
import { countSampler } from '../core/counts/index.js';
import { categoryShares } from '../core/evaluation/index.js';
import {
  type CountCoupling,
  type CountCouplingCalibration,
  calibrateCountCoupling,
  calibrateTags,
  coupledCountSampler,
  type LatentPrior,
  type TagCalibration,
  type VaeSession,
} from '../core/generation/index.js';
import type { Taxonomy } from '../core/inputs/index.js';
import { type ArtifactStore, runKey } from '../core/io/index.js';
import type { ChunkJob } from '../core/run-types.js';
import { DECODER_FILE } from '../models/model-pack.js';
import { runCountModel, runTagCorpus } from './run-inputs.js';
import { runOnStageThread } from './stage-threads.js';

// Count-coupling calibrations are a pure function of (decoder, seed, temperature index,
// temperature): every chunk of a temperature reuses one. 512 KiB each; the oldest go first.
const calibrations = new Map<string, Promise<CountCouplingCalibration>>();
const MAX_CALIBRATIONS = 64;

function cachedCalibration(
  key: string,
  make: () => Promise<CountCouplingCalibration>,
): Promise<CountCouplingCalibration> {
  let entry = calibrations.get(key);
  if (!entry) {
    if (calibrations.size >= MAX_CALIBRATIONS)
      calibrations.delete(calibrations.keys().next().value as string);
    entry = make();
    calibrations.set(key, entry);
    entry.catch(() => calibrations.delete(key));
  }
  return entry;
}

/** The artifact key of a temperature's tag calibration. */
export function calibrationKey(runId: string, temperatureIndex: number): string {
  return runKey(runId, `calibration/t${String(temperatureIndex).padStart(3, '0')}.json`);
}

export type LatentJob = Omit<ChunkJob, 'chunk'> & {
  chunk: { temperatureIndex: number; temperature: number };
};

/** A latent job's count sampler, coupled counts and corpus prior. */
export async function latentSetup(
  job: LatentJob,
  runner: VaeSession,
  taxonomy: Taxonomy,
  store: ArtifactStore,
) {
  const model = await runCountModel(store, job.runId);
  const counts = countSampler(model);
  const { temperatureIndex, temperature } = job.chunk;
  const coupling: CountCoupling | undefined =
    job.countCoupling === 'coupled'
      ? {
          model,
          calibration: await cachedCalibration(
            JSON.stringify([
              runner.meta.files[DECODER_FILE].sha256,
              job.seed,
              temperatureIndex,
              temperature,
            ]),
            () =>
              calibrateCountCoupling({
                runner,
                latentDim: runner.meta.latentDim,
                taxonomy,
                seed: job.seed,
                temperatureIndex,
                temperature,
              }),
          ),
        }
      : undefined;
  const coupledCounts = coupling && coupledCountSampler({ ...coupling, taxonomy });
  let prior: LatentPrior | undefined;
  if (job.latentPrior === 'corpus') {
    if (!job.corpus) throw new Error('latent prior "corpus" without a corpus in the job');
    prior = { tags: (await runTagCorpus({ ...job.corpus, taxonomy })).tags };
  }
  return { counts, coupling, coupledCounts, prior };
}

const pendingCalibrations = new Map<string, Promise<TagCalibration>>();

/**
 * A temperature's tag calibration: read from the run folder, or fitted and written there. The
 * workflow fits it before the temperature's chunks; a chunk that finds none fits it too (the
 * result is a pure function of the job, so a race writes the same file).
 */
export async function ensureTagCalibration(
  job: LatentJob,
  runner: VaeSession,
  taxonomy: Taxonomy,
  store: ArtifactStore,
): Promise<TagCalibration> {
  const key = calibrationKey(job.runId, job.chunk.temperatureIndex);
  if (await store.exists(key)) return store.readJson<TagCalibration>(key);
  const id = store.location(key);
  let pending = pendingCalibrations.get(id);
  if (!pending) {
    pending = fitTagCalibration(job, runner, taxonomy, store).then(async (calibration) => {
      await store.writeJson(key, calibration);
      return calibration;
    });
    pendingCalibrations.set(id, pending);
    pending.finally(() => pendingCalibrations.delete(id)).catch(() => undefined);
  }
  return pending;
}

async function fitTagCalibration(
  job: LatentJob,
  runner: VaeSession,
  taxonomy: Taxonomy,
  store: ArtifactStore,
): Promise<TagCalibration> {
  if (!job.calibration || !job.corpus)
    throw new Error('tag calibration: the job has no calibration or corpus');
  const { counts, coupling, prior } = await latentSetup(job, runner, taxonomy, store);
  const corpus = await runTagCorpus({ ...job.corpus, taxonomy });
  const tagCounts = new Float64Array(taxonomy.size);
  for (const tags of corpus.tags) for (const tag of tags) tagCounts[tag]++;
  return calibrateTags({
    runner,
    latentDim: runner.meta.latentDim,
    taxonomy,
    seed: job.seed,
    temperatureIndex: job.chunk.temperatureIndex,
    temperature: job.chunk.temperature,
    temperatureMode: job.temperatureMode ?? 'decoder',
    prior,
    counts,
    coupling,
    selection: job.selection,
    target: categoryShares(taxonomy, tagCounts),
    steps: job.calibration.steps,
    rows: job.calibration.rows,
    batchSize: job.batchSize,
    // The fixed-point steps are CPU work for a stage thread: the event loop stays free.
    fitSteps: (params) => runOnStageThread('fitCalibrationBias', params),
  });
}

/** A temperature's calibrated tag bias, when the job calibrates. */
export async function tagBias(
  job: LatentJob,
  runner: VaeSession,
  taxonomy: Taxonomy,
  store: ArtifactStore,
): Promise<Float32Array | undefined> {
  if (!job.calibration) return undefined;
  return Float32Array.from((await ensureTagCalibration(job, runner, taxonomy, store)).bias);
}

/**
 * Each temperature's calibrated bias for a job that generates at every temperature of the run
 * (concept sets, tag coverage): the sweep's calibrations, fitted once and shared with chunks.
 */
export function sweepBiases(
  job: Omit<LatentJob, 'chunk'> & { temperatures: readonly number[] },
  runner: VaeSession,
  taxonomy: Taxonomy,
  store: ArtifactStore,
): Promise<(Float32Array | undefined)[]> {
  return Promise.all(
    job.temperatures.map((temperature, temperatureIndex) =>
      tagBias({ ...job, chunk: { temperatureIndex, temperature } }, runner, taxonomy, store),
    ),
  );
}
