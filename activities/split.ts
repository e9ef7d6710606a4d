// Stage 6: seeded, deterministic train / validation / test split of the unique rows.
import { relative } from 'node:path';
import type { RunConfig } from '../core/config.js';
import { SPLIT_NAMES, type SplitName, validateSplitRatios } from '../core/dataset/index.js';
import { runKey } from '../core/io/index.js';
import type { SplitSummary } from '../core/run-types.js';
import type { DedupeReport } from './dedupe.js';
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
  const deduped = store.readJson<DedupeReport>(runKey(runId, RUN_FILES.dedupeReport));
  const outputDir = runKey(runId, RUN_FILES.split);
  store.remove(outputDir);
  const result = await runOnStageThread('splitGeneratedRows', {
    inputs: deduped.outputs.map((k) => store.path(k)),
    outputDir: store.path(outputDir),
    seed: config.seed,
    ratios: validateSplitRatios(config.split),
    stratify: config.split.stratify,
  });
  const key = (path: string) => relative(store.root, path).split('\\').join('/');
  const report: SplitReport = {
    counts: result.counts,
    outputs: Object.fromEntries(
      SPLIT_NAMES.map((s) => [s, result.outputs[s].map((m) => key(m.path))]),
    ) as SplitReport['outputs'],
  };
  store.writeJson(runKey(runId, RUN_FILES.splitReport), report);
  logActivityEvent({ activity: 'split', event: 'finish', counts: result.counts });
  return { counts: result.counts };
}
