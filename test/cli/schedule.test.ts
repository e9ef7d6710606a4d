// `tagflow schedule`: a schedule created with a short interval starts runs that each get their
// own run id, seed and output revision, and list / pause / unpause / trigger / delete act on
// it. Runs go through the real CLI against the test server, served by workers here.
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { scheduleId } from '../../cli/schedule.js';
import { derivedSeed } from '../../workflows/scheduled-run.js';
import { datasetDigest, REPO_ROOT, runCli, tempDir } from '../helpers/pipeline.js';
import { startTestWorkers, temporalSettings, testClient } from '../helpers/temporal.js';

const dir = tempDir('schedule');
const demo = (file: string) => join(REPO_ROOT, 'data', 'demo', file);
const name = `sched-${randomUUID().slice(0, 8)}`;
const outDir = join(dir, 'out');
const REVISION = /^\d{8}T\d{6}Z$/;

describe('tagflow schedule', () => {
  let workers: Awaited<ReturnType<typeof startTestWorkers>>;
  let client: Client;
  let close: () => Promise<void>;
  const configFile = join(dir, `${name}.yaml`);

  const cli = (...args: string[]) =>
    runCli(['schedule', ...args], { env: { TEMPORAL_ADDRESS: temporalSettings().address } });

  /** The workflow ids the schedule has started so far, oldest first. */
  async function startedRuns(): Promise<string[]> {
    const info = await client.schedule.getHandle(scheduleId(name)).describe();
    return info.info.recentActions.map((a) => a.action.workflow.workflowId);
  }

  async function statusOf(workflowId: string): Promise<string> {
    return (await client.workflow.getHandle(workflowId).describe()).status.name;
  }

  async function waitForCompleted(count: number, timeoutMs: number): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ids = await startedRuns();
      const statuses = await Promise.all(ids.map(statusOf));
      const failed = ids.filter((_, i) => !['RUNNING', 'COMPLETED'].includes(statuses[i]));
      if (failed.length) throw new Error(`scheduled runs ended badly: ${failed.join(', ')}`);
      const done = ids.filter((_, i) => statuses[i] === 'COMPLETED');
      if (done.length >= count) return done;
      if (Date.now() > deadline) throw new Error(`only ${done.length} of ${count} runs completed`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** `schedule list` output, polled until `expected` matches (visibility lags a little). */
  async function listUntil(expected: (line: string | undefined) => boolean): Promise<string> {
    let last = '';
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const result = await cli('list');
      expect(result.code, result.stderr).toBe(0);
      last = result.stdout;
      if (expected(last.split('\n').find((l) => l.startsWith(`${name}\t`)))) return last;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`schedule list never matched; last output:\n${last}`);
  }

  beforeAll(async () => {
    workers = await startTestWorkers();
    ({ client, close } = await testClient());
    writeFileSync(
      configFile,
      stringify({
        name,
        seed: 7,
        taxonomy: demo('taxonomy.json'),
        catalogue: { path: demo('catalogue.csv') },
        counts: { mode: 'fit', reference: demo('corpus.csv') },
        model: { pack: join(REPO_ROOT, 'models', 'demo') },
        generation: { temperatures: [1.0], latent: { rows: 100 } },
        evaluate: { enabled: false },
        output: { target: `file://${outDir}` },
        artifacts: join(dir, 'artifacts'),
      }),
    );
  });

  afterAll(async () => {
    const handle = client?.schedule.getHandle(scheduleId(name));
    await handle?.delete().catch(() => undefined);
    // Runs the schedule started are not ours to leave behind: end them before the workers go.
    for await (const wf of client?.workflow.list({
      query: `WorkflowId STARTS_WITH "tagflow-${name}" AND ExecutionStatus = "Running"`,
    }) ?? []) {
      await client.workflow.getHandle(wf.workflowId, wf.runId).terminate('test cleanup');
    }
    await workers?.shutdown();
    await close?.();
  });

  it('runs twice on a 5 s interval, each run with its own seed and output revision; the commands manage it', async () => {
    const created = await cli(
      'create',
      '--config',
      configFile,
      '--every',
      '5s',
      '--queue-prefix',
      workers.queuePrefix,
    );
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain(`schedule ${name} created (every 5s)`);

    const [first, second] = await waitForCompleted(2, 120_000);
    const results = await Promise.all(
      [first, second].map(
        (id) =>
          client.workflow.getHandle(id).result() as Promise<{ runId: string; target: string }>,
      ),
    );
    expect(results[0].runId).not.toBe(results[1].runId);

    const revisions = readdirSync(outDir).filter((f) => REVISION.test(f));
    expect(revisions.length).toBeGreaterThanOrEqual(2);
    const cards = revisions.map((revision) => {
      const card = readFileSync(join(outDir, revision, 'README.md'), 'utf8');
      // The card names the run and its seed: both derive from this folder's revision.
      expect(card).toContain(`\`${name}-${revision}\``);
      expect(card).toMatch(new RegExp(`\\| seed \\| ${derivedSeed(7, revision)} \\|`));
      return card;
    });
    expect(cards[0]).not.toBe(cards[1]);
    const digests = revisions.map((r) => datasetDigest(`file://${join(outDir, r)}`));
    expect(digests[0]).not.toEqual(digests[1]);

    expect(await listUntil((line) => line?.split('\t')[1] === 'active')).toMatch(
      new RegExp(`^${name}\\tactive\\tnext \\S+\\tlast runs [1-9]`, 'm'),
    );

    const paused = await cli('pause', name);
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toContain(`schedule ${name}: paused`);
    expect((await client.schedule.getHandle(scheduleId(name)).describe()).state.paused).toBe(true);
    await listUntil((line) => line?.split('\t')[1] === 'paused');

    // Paused: no new runs. Let a run already going finish, then trigger one by hand.
    let before: string[] = [];
    const settle = Date.now() + 60_000;
    for (;;) {
      before = await startedRuns();
      const statuses = await Promise.all(before.map(statusOf));
      if (statuses.every((s) => s === 'COMPLETED')) break;
      if (Date.now() > settle) throw new Error(`runs did not settle: ${statuses.join(', ')}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const triggered = await cli('trigger', name);
    expect(triggered.code, triggered.stderr).toBe(0);
    expect(triggered.stdout).toContain(`schedule ${name}: triggered`);
    const deadline = Date.now() + 20_000;
    let after = await startedRuns();
    while (after.length <= before.length) {
      if (Date.now() > deadline) throw new Error('trigger started no run');
      await new Promise((r) => setTimeout(r, 300));
      after = await startedRuns();
    }
    const manual = after.at(-1)!;
    expect(before).not.toContain(manual);
    await client.workflow.getHandle(manual).result();

    const unpaused = await cli('unpause', name);
    expect(unpaused.code, unpaused.stderr).toBe(0);
    expect(unpaused.stdout).toContain(`schedule ${name}: unpaused`);
    expect((await client.schedule.getHandle(scheduleId(name)).describe()).state.paused).toBe(false);

    const deleted = await cli('delete', name);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain(`schedule ${name}: deleted`);
    await listUntil((line) => line === undefined);
    const gone = await cli('pause', name);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain(`no schedule named "${name}"`);
    expect(existsSync(join(outDir, revisions[0], 'README.md'))).toBe(true);
  }, 300_000);

  it('refuses an interval that is not a duration, and neither --every nor --cron', async () => {
    const bad = await cli('create', '--config', configFile, '--every', 'weekly');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/expected a duration such as 30s/);
    const neither = await cli('create', '--config', configFile);
    expect(neither.code).not.toBe(0);
    expect(neither.stderr).toContain('give exactly one of --every or --cron');
  });
});
