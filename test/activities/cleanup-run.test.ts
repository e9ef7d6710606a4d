import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cleanupRun } from '../../activities/cleanup-run.js';
import { prepareRun } from '../../activities/prepare-run.js';
import { demoRunThrough, inActivity, runFolder } from '../helpers/demo-activities.js';

describe('cleanupRun', () => {
  it("removes the run's folder and nothing else", async () => {
    const run = await demoRunThrough('load');
    // A second run in the same store.
    const other = { runId: `${run.runId}-other`, config: run.config };
    await inActivity(prepareRun, [other]);

    await inActivity(cleanupRun, [{ runId: run.runId, config: run.config }]);
    expect(existsSync(runFolder(run))).toBe(false);
    expect(await run.store.exists(`runs/${other.runId}/run.json`)).toBe(true);
    expect(existsSync(run.config.artifacts)).toBe(true);
  });

  it('is harmless for a run that wrote nothing yet', async () => {
    const run = await demoRunThrough('prepare');
    await inActivity(cleanupRun, [{ runId: 'never-started', config: run.config }]);
    expect(existsSync(runFolder(run, 'run.json'))).toBe(true);
  });
});
