// A small demo run taken stage by stage through the real activities, called directly in a
// MockActivityEnvironment (no workflow, no server): the starting point of the activity specs.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Info } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { artifactStore } from '../../activities/run-inputs.js';
import type { RunConfig, RunConfigInput } from '../../core/config.js';
import type { LocalArtifactStore } from '../../core/io/index.js';
import { planRunGeneration } from '../../core/plan.js';
import {
  type CountsSummary,
  chunkJobBase,
  type DedupeSummary,
  type LoadSummary,
  type SplitSummary,
} from '../../core/run-types.js';
import { demoConfig, tempDir } from './pipeline.js';

export const activities = createActivities({ device: 'cpu' });
const quiet = new DefaultLogger('ERROR');

/** Runs an activity function in a mock activity context (attempt 1 unless told). */
export function inActivity<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
  args: A,
  info: Partial<Info> = {},
): Promise<R> {
  // Failures are what several specs check; the environment need not log them too.
  return new MockActivityEnvironment({ attempt: 1, ...info }, { logger: quiet }).run(fn, ...args);
}

export const STAGES = ['prepare', 'load', 'counts', 'generate', 'dedupe', 'split'] as const;
export type DemoStage = (typeof STAGES)[number];

export interface DemoRun {
  runId: string;
  config: RunConfig;
  dir: string;
  /** The run's store: a local folder (its `path` gives a key's file). */
  store: LocalArtifactStore;
  loaded?: LoadSummary;
  counts?: CountsSummary;
  rowsGenerated?: number;
  deduped?: DedupeSummary;
  split?: SplitSummary;
}

/**
 * A demo run (2 temperatures, 120 latent rows, the 300-track demo catalogue) with every stage
 * up to and including `through` done.
 */
export async function demoRunThrough(
  through: DemoStage,
  overrides: Partial<RunConfigInput> = {},
): Promise<DemoRun> {
  const dir = tempDir('activities');
  const runId = `demo-${randomUUID().slice(0, 8)}`;
  const config = demoConfig(runId, dir, {
    generation: { temperatures: [0.75, 1.5], latent: { rows: 120 }, chunkRows: 100 },
    ...overrides,
  });
  const store = artifactStore(config.artifacts) as LocalArtifactStore;
  const run: DemoRun = { runId, config, dir, store };
  const upTo = STAGES.indexOf(through);
  const want = (stage: DemoStage) => STAGES.indexOf(stage) <= upTo;

  if (want('prepare')) await inActivity(activities.prepareRun, [{ runId, config }]);
  if (want('load')) run.loaded = await inActivity(activities.loadInputs, [{ runId, config }]);
  const catalogueRows = run.loaded?.catalogue.rows ?? 0;
  if (want('counts'))
    run.counts = await inActivity(activities.fitCounts, [{ runId, config, catalogueRows }]);
  if (want('generate')) {
    const plan = planRunGeneration(config.generation, catalogueRows);
    run.rowsGenerated = 0;
    for (const chunk of plan.flatMap((t) => t.chunks)) {
      const job = { ...chunkJobBase(runId, config), chunk };
      const fn =
        chunk.mode === 'seeded' ? activities.generateSeededChunk : activities.generateLatentChunk;
      run.rowsGenerated += (await inActivity(fn, [job])).rows;
    }
  }
  if (want('dedupe'))
    run.deduped = await inActivity(activities.dedupe, [{ runId, config, catalogueRows }]);
  if (want('split'))
    run.split = await inActivity(activities.split, [{ runId, config, catalogueRows }]);
  return run;
}

export const runFolder = (run: DemoRun, ...parts: string[]) =>
  join(run.config.artifacts, 'runs', run.runId, ...parts);

/** Publishes a demo run taken through `split` (and evaluated, if its report should be in). */
export function publishDemoRun(run: DemoRun) {
  if (!run.deduped || !run.split || run.rowsGenerated === undefined) {
    throw new Error('publishDemoRun: take the run through split first');
  }
  return inActivity(activities.publish, [
    {
      runId: run.runId,
      config: run.config,
      rowsGenerated: run.rowsGenerated,
      rowsUnique: run.deduped.rowsOut,
      splits: run.split.counts,
    },
  ]);
}
