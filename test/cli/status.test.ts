// `tagflow status <run>` on runs that completed, failed, are going, or never were.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunConfigInput } from '../../core/config.js';
import type { RunInput, RunResult } from '../../core/run-types.js';
import { runWorkflowId } from '../../core/run-types.js';
import { taskQueueName } from '../../workflows/task-queues.js';
import { demoConfig, runCli, tempDir } from '../helpers/pipeline.js';
import { temporalSettings, useTestTemporal } from '../helpers/temporal.js';

const dir = tempDir('status');

describe('tagflow status', () => {
  const temporal = useTestTemporal();

  const status = (name: string) =>
    runCli(['status', name], { env: { TEMPORAL_ADDRESS: temporalSettings().address } });

  function start(overrides: Partial<RunConfigInput>) {
    const name = `status-${randomUUID().slice(0, 8)}`;
    const config = demoConfig(name, dir, { evaluate: { enabled: false }, ...overrides });
    return temporal.client.workflow.start('generateDataset', {
      taskQueue: taskQueueName('cpu', temporal.workers.queuePrefix),
      workflowId: runWorkflowId(name),
      args: [{ runId: name, config, queuePrefix: temporal.workers.queuePrefix } satisfies RunInput],
    });
  }

  it('prints the result of a completed run', async () => {
    const handle = await start({ generation: { temperatures: [1], latent: { rows: 50 } } });
    const result: RunResult = await handle.result();
    const name = result.runId;
    const out = await status(name);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(
      new RegExp(`^run ${name}: COMPLETED \\(workflow ${runWorkflowId(name)}, started \\d{4}-`),
    );
    expect(out.stdout).toContain(`dataset: ${result.target}`);
    expect(out.stdout).toContain(
      `rows: ${result.rowsGenerated} generated, ${result.rowsUnique} unique; train ${result.splits.train}`,
    );
  });

  it('prints the root cause of a failed run', async () => {
    const handle = await start({ taxonomy: join(dir, 'missing-taxonomy.json') });
    await expect(handle.result()).rejects.toThrow();
    const name = handle.workflowId.slice('tagflow-'.length);
    const out = await status(name);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain(`run ${name}: FAILED`);
    expect(out.stdout).toMatch(/ {2}failure: .*missing-taxonomy\.json/);
  });

  it('prints stage and generation progress of a run that is going', async () => {
    const handle = await start({
      // Long enough (tens of seconds of generation) to be still going when the CLI asks.
      generation: { temperatures: [0.5, 1], latent: { rows: 4_000_000 }, chunkRows: 100_000 },
      execution: { maxParallelChunks: 1, maxParallelTemperatures: 1 },
    });
    try {
      const name = handle.workflowId.slice('tagflow-'.length);
      const out = await status(name);
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).toContain(`run ${name}: RUNNING`);
      expect(out.stdout).toMatch(/^ {2}stage: (load|counts|generate)$/m);
      expect(out.stdout).toMatch(/^ {2}generation: \d+\/\d+ chunks, \d+\/\d+ rows$/m);
    } finally {
      await handle.terminate('test done');
    }
  });

  it('says there is no such run', async () => {
    const out = await status('never-ran');
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain('no run named "never-ran" (workflow tagflow-never-ran)');
  });
});
