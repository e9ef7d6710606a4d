// `tagflow schedule` against the test run's Temporal server: a schedule with a short interval
// starts runs that complete, each with its own revision, seed and output folder; list, pause,
// unpause, trigger and delete act on the real Schedule.
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { scheduleId } from '../../cli/schedule.js';
import type { RunResult } from '../../core/run-types.js';
import { derivedSeed } from '../../workflows/scheduled-run.js';
import { datasetDigest, REPO_ROOT, runCli, tempDir, waitUntil } from '../helpers/pipeline.js';
import { temporalSettings, useTestTemporal } from '../helpers/temporal.js';

const dir = tempDir('schedule');
const demo = (file: string) => join(REPO_ROOT, 'data', 'demo', file);
const name = `sched-${randomUUID().slice(0, 8)}`;
const target = join(dir, 'out', name);

describe('tagflow schedule', () => {
  const temporal = useTestTemporal();
  let configFile: string;

  const cli = (...args: string[]) =>
    runCli(['schedule', ...args], { env: { TEMPORAL_ADDRESS: temporalSettings().address } });
  const handle = () => temporal.client.schedule.getHandle(scheduleId(name));
  const startedRuns = async () =>
    (await handle().describe()).info.recentActions.map((a) => a.action.workflow.workflowId);

  beforeAll(async () => {
    configFile = join(dir, `${name}.yaml`);
    // Small runs (one temperature, no evaluation), so several fit in the test.
    writeFileSync(
      configFile,
      stringify({
        name,
        seed: 7,
        taxonomy: demo('taxonomy.json'),
        catalogue: { path: demo('catalogue.csv') },
        counts: { mode: 'fit', reference: demo('corpus.csv') },
        model: { pack: join(REPO_ROOT, 'models', 'demo') },
        generation: { temperatures: [1.0], latent: { rows: 200 } },
        evaluate: { enabled: false },
        output: { target: `file://${target}` },
        artifacts: join(dir, 'artifacts'),
      }),
    );
  });
  afterAll(async () => {
    await handle()
      .delete()
      .catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts runs on the interval that complete, each with its own revision, seed and folder', async () => {
    const created = await cli(
      'create',
      '--config',
      configFile,
      '--every',
      '3s',
      '--queue-prefix',
      temporal.workers.queuePrefix,
    );
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(new RegExp(`schedule ${name} created \\(every 3s\\)`));

    await waitUntil(async () => (await startedRuns()).length >= 2, 60_000, 'two scheduled runs');
    const [first, second] = (await startedRuns()).slice(0, 2);
    const results: RunResult[] = await Promise.all(
      [first, second].map((id) => temporal.client.workflow.getHandle(id).result()),
    );
    const revisions = results.map((r) => /^.*-(\d{8}T\d{6}Z)$/.exec(r.runId)?.[1]);
    expect(revisions.every(Boolean)).toBe(true);
    expect(revisions[0]).not.toBe(revisions[1]);
    for (const [i, result] of results.entries()) {
      expect(result.runId).toBe(`${name}-${revisions[i]}`);
      const folder = fileURLToPath(result.target);
      expect(folder).toBe(join(target, revisions[i]!));
      expect(readdirSync(join(folder, 'data')).some((f) => f.endsWith('.parquet'))).toBe(true);
      expect(result.rowsGenerated).toBe(300 + 200);
    }
    // Each run drew with its own seed: the two datasets differ.
    expect(derivedSeed(7, revisions[0]!)).not.toBe(derivedSeed(7, revisions[1]!));
    expect(datasetDigest(results[0].target)).not.toEqual(datasetDigest(results[1].target));
  }, 120_000);

  it('lists, pauses, triggers, unpauses and deletes the schedule', async () => {
    const listed = await cli('list');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${name}\\tactive\\t`, 'm'));

    const paused = await cli('pause', name);
    expect(paused.stdout).toMatch(new RegExp(`schedule ${name}: paused`));
    expect((await handle().describe()).state.paused).toBe(true);
    expect((await cli('list')).stdout).toMatch(new RegExp(`^${name}\\tpaused\\t`, 'm'));

    // Paused, no new interval runs start; wait for those in flight, then trigger one by hand.
    await waitUntil(
      async () => (await handle().describe()).info.runningActions.length === 0,
      60_000,
      'running scheduled runs to finish',
    );
    const before = (await startedRuns()).length;
    const triggered = await cli('trigger', name);
    expect(triggered.stdout).toMatch(new RegExp(`schedule ${name}: triggered`));
    await waitUntil(async () => (await startedRuns()).length > before, 30_000, 'triggered run');
    const manual = (await startedRuns()).at(-1)!;
    const result: RunResult = await temporal.client.workflow.getHandle(manual).result();
    expect(existsSync(fileURLToPath(result.target))).toBe(true);

    const unpaused = await cli('unpause', name);
    expect(unpaused.stdout).toMatch(new RegExp(`schedule ${name}: unpaused`));
    expect((await handle().describe()).state.paused).toBe(false);

    const deleted = await cli('delete', name);
    expect(deleted.stdout).toMatch(new RegExp(`schedule ${name}: deleted`));
    expect((await cli('list')).stdout).not.toMatch(new RegExp(`^${name}\\t`, 'm'));
    const gone = await cli('pause', name);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(new RegExp(`no schedule named "${name}"`));
  }, 120_000);

  it('refuses --every together with --cron, and a malformed interval', async () => {
    const both = await cli(
      'create',
      '--config',
      configFile,
      '--every',
      '1h',
      '--cron',
      '0 3 * * 1',
    );
    expect(both.code).not.toBe(0);
    expect(both.stderr).toMatch(/give exactly one of --every or --cron/);
    const bad = await cli('create', '--config', configFile, '--every', 'weekly');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/expected a duration such as 30s/);
  });
});
