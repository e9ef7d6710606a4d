// Several workers with no shared disk: two `tagflow worker` processes, each in a working folder
// of its own (its own local cache), share only an S3 bucket (a real S3-compatible server,
// moto) and the Temporal server. One is killed with SIGKILL while it generates; the other
// finishes the run, and the dataset is byte-identical to a single worker's.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunConfig } from '../../core/config.js';
import { S3Bucket } from '../../core/io/index.js';
import type { RunInput, RunResult } from '../../core/run-types.js';
import { runWorkflowId } from '../../core/run-types.js';
import { taskQueueName } from '../../workflows/task-queues.js';
import {
  demoConfig,
  readActivityLog,
  startWorkerProcess,
  tempDir,
  type WorkerProcess,
  waitUntil,
} from '../helpers/pipeline.js';
import { useS3Server } from '../helpers/s3-server.js';
import { startTestWorkers, temporalSettings, testClient } from '../helpers/temporal.js';

const s3 = useS3Server();
const dir = tempDir('two-workers');
let bucket: string;

/** The demo, cut into many small chunks run two at a time: long enough to kill a worker in. */
function config(name: string): RunConfig {
  return demoConfig(name, dir, {
    generation: {
      temperatures: [0.5, 1.0, 1.5, 2.0],
      latent: { rows: 2000 },
      chunkRows: 100,
      batchSize: 20,
    },
    execution: { maxParallelChunks: 2, maxParallelTemperatures: 2, checkpointSeconds: 0 },
    artifacts: `s3://${bucket}/artifacts`,
    output: { target: `s3://${bucket}/datasets/${name}` },
  });
}

/** A lost worker is noticed after 3 s without a heartbeat. */
function run(name: string, queuePrefix: string) {
  return testClient().then(async ({ client, close }) => {
    try {
      const handle = await client.workflow.start('generateDataset', {
        taskQueue: taskQueueName('cpu', queuePrefix),
        workflowId: runWorkflowId(name),
        args: [
          {
            runId: name,
            config: config(name),
            queuePrefix,
            heartbeatTimeoutSeconds: 3,
          } satisfies RunInput,
        ],
      });
      return { handle, close };
    } catch (err) {
      await close();
      throw err;
    }
  });
}

/** sha256 of every object under a published dataset's data/, by name. */
async function dataDigest(target: string): Promise<Record<string, string>> {
  const prefix = `${target.replace(`s3://${bucket}/`, '')}/data`;
  const data = new S3Bucket({ bucket, prefix }, 'dataset');
  const out: Record<string, string> = {};
  for (const { key } of await data.list('')) {
    out[key] = createHash('sha256')
      .update((await data.read(key))!)
      .digest('hex');
  }
  return out;
}

let reference: Record<string, string>;

beforeAll(async () => {
  bucket = await s3.server.createBucket();
  // The single-worker run, in this process (its cache in a folder of its own).
  process.env.TAGFLOW_CACHE_DIR = join(dir, 'single-worker-cache');
  const workers = await startTestWorkers();
  try {
    const { handle, close } = await run('single', workers.queuePrefix);
    try {
      reference = await dataDigest(((await handle.result()) as RunResult).target);
    } finally {
      await close();
    }
  } finally {
    await workers.shutdown();
    delete process.env.TAGFLOW_CACHE_DIR;
  }
  expect(Object.keys(reference).length).toBeGreaterThan(0);
}, 240_000);

afterAll(() => {
  delete process.env.TAGFLOW_CACHE_DIR;
});

describe('two workers sharing only S3 and Temporal', () => {
  it('finish a run after one is killed with SIGKILL mid-generation, with the same dataset', async () => {
    const queuePrefix = `s3-two-${Date.now().toString(36)}`;
    const log = join(dir, `${queuePrefix}.jsonl`);
    const { address } = temporalSettings();
    const homes = ['a', 'b'].map((n) => join(dir, `worker-${n}`));
    const workers: WorkerProcess[] = homes.map((cwd) => {
      mkdirSync(cwd, { recursive: true });
      return startWorkerProcess({ address, queuePrefix, cwd, env: { TAGFLOW_ACTIVITY_LOG: log } });
    });
    const { handle, close } = await run('two', queuePrefix);
    try {
      const pids = workers.map((w) => w.child.pid);
      const chunkLines = () =>
        readActivityLog(log).filter((l) => l.activity.startsWith('generate') && l.key);
      // Both at work, and the first in the middle of a chunk.
      const busy = () => {
        const lines = chunkLines();
        const finished = new Set(
          lines.filter((l) => l.event === 'finish').map((l) => `${l.pid} ${l.key}`),
        );
        const open = lines.filter(
          (l) => l.event === 'start' && l.pid === pids[0] && !finished.has(`${l.pid} ${l.key}`),
        );
        const done = lines.filter((l) => l.event === 'finish');
        return open.length > 0 && done.some((l) => l.pid === pids[1]) && done.length >= 4;
      };
      await waitUntil(busy, 120_000, 'both workers generating');
      workers[0].kill('SIGKILL');
      await workers[0].exited;
      const killedAt = Date.now();

      const result: RunResult = await handle.result();
      expect(await dataDigest(result.target)).toEqual(reference);
      const after = chunkLines().filter((l) => l.at > killedAt);
      expect(after.length).toBeGreaterThan(0);
      expect(after.every((l) => l.pid === pids[1])).toBe(true);
      // The killed worker's chunk ran again, on the other one.
      expect(after.some((l) => l.event === 'start' && (l.attempt ?? 1) > 1)).toBe(true);
      // No worker kept run data on its disk beyond its cache.
      for (const home of homes) {
        expect(readdirSync(home)).toEqual(['.tagflow']);
        expect(readdirSync(join(home, '.tagflow'))).toEqual(['cache']);
      }
      expect(existsSync(join(dir, 'artifacts'))).toBe(false);
    } finally {
      for (const w of workers) w.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.exited));
      await close();
    }
  }, 300_000);
});
