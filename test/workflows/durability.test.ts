// Runs survive what production throws at them: a worker killed with SIGKILL mid-generation,
// and the Temporal server stopped and restarted on its SQLite file mid-run. Workers here are
// real `tagflow worker` processes; the dataset must come out byte-identical to an
// uninterrupted run, and finished chunks must not be computed again.
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunConfig } from '../../core/config.js';
import type { RunInput, RunResult } from '../../core/run-types.js';
import { runWorkflowId } from '../../core/run-types.js';
import { startDevServer } from '../../infra/dev-server.js';
import { taskQueueName } from '../../workflows/task-queues.js';
import {
  conceptcapsConfig,
  datasetDigest,
  readActivityLog,
  startWorkerProcess,
  tempDir,
  type WorkerProcess,
  waitUntil,
} from '../helpers/pipeline.js';
import { startTestWorkers, temporalSettings, testClient } from '../helpers/temporal.js';

const dir = tempDir('durability');

/** Small chunks, one at a time: a run long enough to interrupt, with many chunk boundaries. */
function interruptible(name: string): Promise<RunConfig> {
  return conceptcapsConfig(name, dir, {
    generation: { temperatures: [0.5, 1.0, 1.0, 2.0], chunkRows: 250, batchSize: 50 },
    execution: { maxParallelChunks: 1, maxParallelTemperatures: 1 },
  });
}

/** A lost worker is noticed after 3 s without a heartbeat, unless the default is asked for. */
function startRun(client: Client, config: RunConfig, queuePrefix: string, heartbeatTimeout = 3) {
  const heartbeat = heartbeatTimeout ? { heartbeatTimeoutSeconds: heartbeatTimeout } : {};
  return client.workflow.start('generateDataset', {
    taskQueue: taskQueueName('cpu', queuePrefix),
    workflowId: runWorkflowId(config.name),
    args: [{ runId: config.name, config, queuePrefix, ...heartbeat } satisfies RunInput],
  });
}

// temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT
const TIMEOUT_TYPE_HEARTBEAT = 4;
const eventMs = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  Number(String(t?.seconds ?? 0)) * 1000 + (t?.nanos ?? 0) / 1e6;

/** Chunk attempts that retried after a heartbeat timeout: when each retry completed. */
/** Chunk attempts that followed a heartbeat timeout, in the run's history and its children's. */
async function heartbeatRetries(client: Client, workflowId: string) {
  const retried: { attempt: number; completedAt: number }[] = [];
  const parent = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const children = parent.flatMap((e) => {
    const id = e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
    return id ? [id] : [];
  });
  const histories = [parent];
  for (const id of children)
    histories.push((await client.workflow.getHandle(id).fetchHistory()).events ?? []);
  for (const events of histories) {
    for (const e of events) {
      const started = e.activityTaskStartedEventAttributes;
      const timeout = started?.lastFailure?.timeoutFailureInfo?.timeoutType;
      if (!started || timeout !== TIMEOUT_TYPE_HEARTBEAT) continue;
      const completed = events.find(
        (c) =>
          c.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() ===
          started.scheduledEventId?.toString(),
      );
      if (completed)
        retried.push({ attempt: started.attempt ?? 0, completedAt: eventMs(completed.eventTime) });
    }
  }
  return retried;
}

let referenceDigest: Record<string, string>;

beforeAll(async () => {
  // The uninterrupted run, with the default chunking, in-process.
  const workers = await startTestWorkers();
  const { client, close } = await testClient();
  try {
    const config = await conceptcapsConfig(`reference-${randomUUID().slice(0, 8)}`, dir, {
      generation: { temperatures: [0.5, 1.0, 1.0, 2.0] },
    });
    const result: RunResult = await (await startRun(client, config, workers.queuePrefix)).result();
    referenceDigest = datasetDigest(result.target);
  } finally {
    await workers.shutdown();
    await close();
  }
}, 240_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('durability', () => {
  it('finishes the run after a worker is killed with SIGKILL, without recomputing finished chunks', async () => {
    const queuePrefix = `crash-${randomUUID().slice(0, 8)}`;
    const log = join(dir, `${queuePrefix}.jsonl`);
    const { address } = temporalSettings();
    const env = { TAGFLOW_ACTIVITY_LOG: log };
    const workers: WorkerProcess[] = [startWorkerProcess({ address, queuePrefix, env })];
    const { client, close } = await testClient();
    try {
      const config = await interruptible(`crash-${randomUUID().slice(0, 8)}`);
      const handle = await startRun(client, config, queuePrefix);
      const seededFinished = () =>
        readActivityLog(log).filter(
          (l) => l.activity === 'generateSeededChunk' && l.event === 'finish',
        );
      await waitUntil(() => seededFinished().length >= 5, 120_000, 'five seeded chunks');
      workers[0].kill('SIGKILL');
      await workers[0].exited;
      const killedAt = Date.now();
      const finishedBeforeKill = new Set(seededFinished().map((l) => l.key));

      workers.push(startWorkerProcess({ address, queuePrefix, env }));
      const result: RunResult = await handle.result();
      expect(datasetDigest(result.target)).toEqual(referenceDigest);

      const after = readActivityLog(log).filter((l) => l.at > killedAt);
      const redone = after.filter((l) => l.event === 'start' && finishedBeforeKill.has(l.key!));
      expect(redone).toEqual([]);
      // The new worker did the rest.
      expect(after.some((l) => l.pid === workers[1].child.pid && l.event === 'finish')).toBe(true);
    } finally {
      for (const w of workers) w.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.exited));
      await close();
    }
  }, 300_000);

  it('runs the chunk of a killed worker again within 20 s, after its heartbeat timeout', async () => {
    const queuePrefix = `lost-${randomUUID().slice(0, 8)}`;
    const log = join(dir, `${queuePrefix}.jsonl`);
    const { address } = temporalSettings();
    const env = { TAGFLOW_ACTIVITY_LOG: log };
    const workers: WorkerProcess[] = [startWorkerProcess({ address, queuePrefix, env })];
    const { client, close } = await testClient();
    try {
      // Long chunks (many small batches), so that the kill lands inside one.
      const config = await conceptcapsConfig(`lost-${randomUUID().slice(0, 8)}`, dir, {
        generation: { temperatures: [0.5, 1.0, 1.0, 2.0], chunkRows: 2000, batchSize: 10 },
        execution: { maxParallelChunks: 1, maxParallelTemperatures: 1 },
      });
      // The default heartbeat timeout, as `tagflow run` submits it.
      const handle = await startRun(client, config, queuePrefix, 0);
      const running = () => {
        const lines = readActivityLog(log).filter((l) => l.activity === 'generateSeededChunk');
        const finished = new Set(lines.filter((l) => l.event === 'finish').map((l) => l.key));
        return lines.find((l) => l.event === 'start' && !finished.has(l.key));
      };
      await waitUntil(() => running() !== undefined, 120_000, 'a seeded chunk under way');
      workers[0].kill('SIGKILL');
      await workers[0].exited;
      const killedAt = Date.now();
      workers.push(startWorkerProcess({ address, queuePrefix, env }));

      const result: RunResult = await handle.result();
      expect(datasetDigest(result.target)).toEqual(referenceDigest);
      const retried = await heartbeatRetries(client, handle.workflowId);
      expect(retried).toHaveLength(1);
      expect(retried[0].attempt).toBe(2);
      expect(retried[0].completedAt - killedAt).toBeLessThan(20_000);
    } finally {
      for (const w of workers) w.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.exited));
      await close();
    }
  }, 300_000);

  it('finishes the run after the Temporal server is stopped and restarted on its SQLite file', async () => {
    const serverDir = join(dir, `server-${randomUUID().slice(0, 8)}`);
    let server = await startDevServer({ dataDir: serverDir });
    const queuePrefix = `restart-${randomUUID().slice(0, 8)}`;
    const log = join(dir, `${queuePrefix}.jsonl`);
    const env = { TAGFLOW_ACTIVITY_LOG: log };
    const workers: WorkerProcess[] = [
      startWorkerProcess({ address: server.address, queuePrefix, env }),
    ];
    let connection = await Connection.connect({ address: server.address });
    try {
      const config = await interruptible(`restart-${randomUUID().slice(0, 8)}`);
      const handle = await startRun(new Client({ connection }), config, queuePrefix);
      const chunksFinished = () =>
        readActivityLog(log).filter((l) => l.event === 'finish' && l.key).length;
      await waitUntil(() => chunksFinished() >= 5, 120_000, 'five chunks');
      await connection.close();
      await server.stop();
      await new Promise((r) => setTimeout(r, 2_000));
      server = await startDevServer({ dataDir: serverDir, port: server.port });
      // A worker that gave up while the server was away is replaced, as a supervisor would.
      if (workers[0].child.exitCode !== null)
        workers.push(startWorkerProcess({ address: server.address, queuePrefix, env }));

      connection = await Connection.connect({ address: server.address });
      const again = new Client({ connection }).workflow.getHandle(handle.workflowId);
      const result: RunResult = await again.result();
      expect(datasetDigest(result.target)).toEqual(referenceDigest);
      expect((await again.describe()).status.name).toBe('COMPLETED');
    } finally {
      for (const w of workers) w.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.exited));
      await connection.close();
      await server.stop();
    }
  }, 300_000);
});
