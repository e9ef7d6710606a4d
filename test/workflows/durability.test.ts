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
import { startDevServer } from '../../infra/dev-server.js';
import { runWorkflowId } from '../../workflows/generate-dataset.js';
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

function startRun(client: Client, config: RunConfig, queuePrefix: string) {
  return client.workflow.start('generateDataset', {
    taskQueue: taskQueueName('cpu', queuePrefix),
    workflowId: runWorkflowId(config.name),
    // A lost worker is noticed after 3 s without a heartbeat.
    args: [
      { runId: config.name, config, queuePrefix, heartbeatTimeoutSeconds: 3 } satisfies RunInput,
    ],
  });
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
