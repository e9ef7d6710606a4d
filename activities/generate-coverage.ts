// Tag coverage, inference side: one part of a coverage round per call, the top-up candidates of
// its ranges (rows conditioned on the tag, core/generation/concept-rows.ts) as one Arrow file of
// generated rows (mode coverage, row_index = the candidate's index within its tag). A part that
// is already on disk — written by an earlier attempt or an earlier run of the same
// configuration — is reused as is: candidates are a pure function of their keys.
import { countSampler } from '../core/counts/index.js';
import {
  generateCoverageRows,
  type InferenceSettings,
  loadVaeSession,
} from '../core/generation/index.js';
import { runKey, writeArrowFile } from '../core/io/index.js';
import { GENERATED_ROWS_SCHEMA, GeneratedRowsBuilder, Mode } from '../core/rows/index.js';
import type { CoverageJob, CoveragePartSummary } from '../core/run-types.js';
import { logActivityEvent, maybeFailAtStart } from './instrumentation.js';
import { sweepBiases } from './latent-setup.js';
import { artifactStore, runCountModel, runTaxonomy, withModelPack } from './run-inputs.js';

const EMPTY: number[] = [];

export function makeGenerateCoverage(inference: InferenceSettings) {
  return async function generateCoverage(job: CoverageJob): Promise<CoveragePartSummary> {
    maybeFailAtStart('generateCoverage');
    const store = artifactStore(job.artifacts);
    const key = runKey(job.runId, job.part.key);
    const rows = job.part.ranges.reduce((n, r) => n + r.to - r.from, 0);
    if (await store.exists(key)) {
      logActivityEvent({ activity: 'generateCoverage', key: job.part.key, event: 'reused' });
      return { key: job.part.key, rows, reused: true };
    }
    logActivityEvent({ activity: 'generateCoverage', key: job.part.key, event: 'start' });
    const taxonomy = runTaxonomy(job.taxonomy);
    const runner = await withModelPack(job.modelPack, (packDir) =>
      loadVaeSession({ ...inference, packDir, taxonomy }),
    );
    const biases = await sweepBiases(job, runner, taxonomy, store);
    const counts = countSampler(await runCountModel(store, job.runId));
    const batches = [];
    for (const range of job.part.ranges) {
      const candidates = await generateCoverageRows({
        runner,
        latentDim: runner.meta.latentDim,
        taxonomy,
        seed: job.seed,
        temperatures: job.temperatures,
        temperatureMode: job.temperatureMode ?? 'decoder',
        biases,
        counts,
        batchSize: job.batchSize,
        ...range,
      });
      const builder = new GeneratedRowsBuilder(candidates.length);
      for (const c of candidates) {
        builder.push({
          mode: Mode.coverage,
          temperatureIndex: c.temperatureIndex,
          temperature: c.temperature,
          rowIndex: c.index,
          sourceId: null,
          seedTags: c.tags.subarray(0, 1),
          generatedTags: c.tags.subarray(1),
          originalTags: EMPTY,
        });
      }
      batches.push(builder.finish());
    }
    const manifest = await writeArrowFile(
      store.writePath(key),
      GENERATED_ROWS_SCHEMA,
      batches,
      key,
    );
    await store.commit(key, manifest.sha256);
    logActivityEvent({
      activity: 'generateCoverage',
      key: job.part.key,
      event: 'finish',
      rows: manifest.rows,
    });
    return { key: job.part.key, rows: manifest.rows, reused: false };
  };
}
