// Stage 6: seeded, deterministic train / validation / test split of the unique rows.
import type { RunConfig } from '../core/config.js';
import { SPLIT_NAMES, type SplitName, validateSplitRatios } from '../core/dataset/index.js';
import { runKey } from '../core/io/index.js';
import type { SplitSummary } from '../core/run-types.js';
import { datasetRowKeys } from './cover-tags.js';
import { logActivityEvent, maybeFailAtStart } from './instrumentation.js';
import { artifactStore, RUN_FILES } from './run-inputs.js';
import { runOnStageThread } from './stage-threads.js';

export interface SplitReport extends SplitSummary {
  /** Artifact keys per split, in the stable order. */
  outputs: Record<SplitName, string[]>;
}

export async function split(params: {
  runId: string;
  config: RunConfig;
  catalogueRows: number;
}): Promise<SplitSummary> {
  maybeFailAtStart('split');
  const { runId, config } = params;
  const store = artifactStore(config.artifacts);
  const outputDir = runKey(runId, RUN_FILES.split);
  await store.remove(outputDir);
  const inputs = await store.readLocal(await datasetRowKeys(store, runId, config));
  const result = await runOnStageThread('splitGeneratedRows', {
    inputs: inputs.paths,
    outputDir: store.writePath(outputDir),
    seed: config.seed,
    ratios: validateSplitRatios(config.split),
    stratify: config.split.stratify,
  }).finally(inputs.release);
  await store.commit(outputDir);
  const key = (path: string) => store.keyOf(path);
  const report: SplitReport = {
    counts: result.counts,
    outputs: Object.fromEntries(
      SPLIT_NAMES.map((s) => [s, result.outputs[s].map((m) => key(m.path))]),
    ) as SplitReport['outputs'],
  };
  await store.writeJson(runKey(runId, RUN_FILES.splitReport), report);
  logActivityEvent({ activity: 'split', event: 'finish', counts: result.counts });
  return { counts: result.counts };
}
