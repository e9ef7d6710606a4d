// Stage 5: drop rows whose tag set (seed ∪ generated tags) appeared earlier in the stable
// order (temperature index, mode, row index). Memory-bounded; see core/dataset/dedupe.ts.
import type { RunConfig } from '../core/config.js';
import { runKey } from '../core/io/index.js';
import { planChunkKeys, planRunGeneration } from '../core/plan.js';
import type { DedupeSummary, GroupCount } from '../core/run-types.js';
import { logActivityEvent, maybeFailAtStart } from './instrumentation.js';
import { artifactStore, RUN_FILES } from './run-inputs.js';
import { runOnStageThread } from './stage-threads.js';

/** What dedupe leaves for the later stages: its outputs in order, and the counts per group. */
export interface DedupeReport extends DedupeSummary {
  /** Artifact keys of the deduplicated files, in the stable order. */
  outputs: string[];
}

/** The run's chunk files in the stable order (the plan is a pure function of the config). */
export function generatedChunkKeys(
  runId: string,
  config: RunConfig,
  catalogueRows: number,
): string[] {
  const plan = planRunGeneration(config.generation, catalogueRows);
  return planChunkKeys(plan).map((key) => runKey(runId, key));
}

export async function dedupe(params: {
  runId: string;
  config: RunConfig;
  catalogueRows: number;
}): Promise<DedupeSummary> {
  maybeFailAtStart('dedupe');
  const { runId, config } = params;
  const store = artifactStore(config.artifacts);
  const outputDir = runKey(runId, RUN_FILES.dedupe);
  await store.remove(outputDir); // a retry starts clean
  const inputs = await store.readLocal(generatedChunkKeys(runId, config, params.catalogueRows));
  const result = await runOnStageThread('dedupeGeneratedRows', {
    inputs: inputs.paths,
    outputDir: store.writePath(outputDir),
    workDir: store.scratchPath(runKey(runId, RUN_FILES.scratch)),
  }).finally(inputs.release);
  await store.commit(outputDir);
  const groups: GroupCount[] = result.groups.map((g) => ({ ...g }));
  const report: DedupeReport = {
    rowsIn: result.rowsIn,
    rowsOut: result.rowsOut,
    groups,
    outputs: result.outputs.map((m) => store.keyOf(m.path)),
  };
  await store.writeJson(runKey(runId, RUN_FILES.dedupeReport), report);
  logActivityEvent({
    activity: 'dedupe',
    event: 'finish',
    rowsIn: result.rowsIn,
    rowsOut: result.rowsOut,
  });
  return { rowsIn: result.rowsIn, rowsOut: result.rowsOut, groups };
}
