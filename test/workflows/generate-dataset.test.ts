// The pipeline workflow against the real Temporal dev server, with real workers, real ONNX
// inference on the ConceptCaps model, and real Parquet output.
import { randomUUID } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Client, WorkflowFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunConfig } from '../../core/config.js';
import {
  type RunInput,
  type RunProgress,
  type RunResult,
  runWorkflowId,
} from '../../core/run-types.js';
import { progressQuery } from '../../workflows/generate-dataset.js';
import { taskQueueName } from '../../workflows/task-queues.js';
import { startFakeHub } from '../helpers/fake-hub.js';
import {
  conceptcapsConfig,
  datasetDigest,
  demoConfig,
  readActivityLog,
  tempDir,
  waitUntil,
} from '../helpers/pipeline.js';
import { startTestWorkers, testClient } from '../helpers/temporal.js';

/** Every payload's data in a history, decoded to text. */
function decodedPayloads(history: unknown): string[] {
  const out: string[] = [];
  const walk = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      if (record.metadata && record.data !== undefined) {
        const data = record.data as string | Uint8Array;
        out.push(
          typeof data === 'string'
            ? Buffer.from(data, 'base64').toString('utf8')
            : Buffer.from(data).toString('utf8'),
        );
      }
      Object.values(record).forEach(walk);
    }
  };
  walk(history);
  return out;
}

describe('generateDataset workflow', () => {
  let workers: Awaited<ReturnType<typeof startTestWorkers>>;
  let client: Client;
  let closeClient: () => Promise<void>;
  const dir = tempDir('workflow');
  const activityLog = join(dir, 'activities.jsonl');
  const histories: { workflowId: string; history: unknown }[] = [];
  let referenceDigest: Record<string, string>;

  beforeAll(async () => {
    process.env.TAGFLOW_ACTIVITY_LOG = activityLog;
    workers = await startTestWorkers();
    ({ client, close: closeClient } = await testClient());
  });
  afterAll(async () => {
    delete process.env.TAGFLOW_ACTIVITY_LOG;
    await workers?.shutdown();
    await closeClient?.();
    rmSync(dir, { recursive: true, force: true });
  });

  function start(config: RunConfig, extra: Partial<RunInput> = {}) {
    return client.workflow.start('generateDataset', {
      taskQueue: taskQueueName('cpu', workers.queuePrefix),
      workflowId: runWorkflowId(config.name),
      args: [
        {
          runId: config.name,
          config,
          queuePrefix: workers.queuePrefix,
          ...extra,
        } satisfies RunInput,
      ],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
  }

  async function keepHistory(workflowId: string) {
    const handle = client.workflow.getHandle(workflowId);
    histories.push({ workflowId, history: await handle.fetchHistory() });
  }

  /** The ids of the child workflows a run started (one per temperature, or none). */
  async function childIds(workflowId: string): Promise<string[]> {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    return (history.events ?? []).flatMap((e) => {
      const id = e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
      return id ? [id] : [];
    });
  }

  it('runs the notebook-sized ConceptCaps job end to end', async () => {
    const config = await conceptcapsConfig(`cc-${randomUUID().slice(0, 8)}`, dir);
    const handle = await start(config);
    const result: RunResult = await handle.result();
    // 2,041 tracks × 7 temperatures, seeded and latent.
    expect(result.rowsGenerated).toBe(2041 * 7 * 2);
    expect(result.rowsUnique).toBeGreaterThan(10_000);
    expect(result.rowsUnique).toBeLessThanOrEqual(result.rowsGenerated);
    expect(result.splits.train + result.splits.validation + result.splits.test).toBe(
      result.rowsUnique,
    );
    expect(result.evaluation?.cooccurrenceR).toBeGreaterThan(0.5);

    const progress: RunProgress = await handle.query(progressQuery);
    expect(progress.stage).toBe('done');
    expect(progress.stages).toMatchObject({
      train: 'skipped',
      load: 'done',
      generate: 'done',
      publish: 'done',
    });
    expect(progress.chunksDone).toBe(progress.chunksTotal);
    expect(progress.rowsGenerated).toBe(result.rowsGenerated);
    expect(progress.temperatures.map((t) => t.rows)).toEqual(Array(7).fill(2041 * 2));

    expect((await handle.describe()).status.name).toBe('COMPLETED');
    const target = fileURLToPath(result.target);
    expect(existsSync(join(target, 'README.md'))).toBe(true);
    expect(existsSync(join(target, 'report', 'metrics.json'))).toBe(true);
    referenceDigest = datasetDigest(result.target);
    expect(Object.keys(referenceDigest).length).toBeGreaterThanOrEqual(3);
    // 14 chunks: generated from the run's own workflow, no child per temperature.
    expect(progress.chunksTotal).toBe(14);
    expect(await childIds(handle.workflowId)).toEqual([]);
    await keepHistory(handle.workflowId);
  }, 240_000);

  it('gives the identical dataset when every stage fails once and is retried', async () => {
    // Other chunk and batch sizes too: the rows must not depend on them either. Chunks save
    // every batch (checkpointSeconds 0), so a chunk failing after one batch resumes after it.
    const config = await conceptcapsConfig(`cc-faults-${randomUUID().slice(0, 8)}`, dir, {
      generation: { chunkRows: 700, batchSize: 300 },
      execution: { maxParallelChunks: 4, maxParallelTemperatures: 8, checkpointSeconds: 0 },
    });
    const startedAt = Date.now();
    process.env.TAGFLOW_FAULTS =
      'generateSeededChunk@1,generateLatentChunk@1,prepareRun,loadInputs,fitCounts,dedupe,split,evaluate,publish';
    try {
      const handle = await start(config);
      const result: RunResult = await handle.result();
      expect(datasetDigest(result.target)).toEqual(referenceDigest);
      const log = readActivityLog(activityLog).filter((l) => l.at >= startedAt);
      for (const activity of [
        'prepareRun',
        'loadInputs',
        'fitCounts',
        'dedupe',
        'split',
        'evaluate',
        'publish',
      ]) {
        expect(
          log.some((l) => l.activity === activity && l.event === 'finish' && l.attempt === 2),
          activity,
        ).toBe(true);
      }
      // Chunks that failed after their first batch resumed from it on the second attempt.
      const resumed = log.filter(
        (l) => l.activity === 'generateSeededChunk' && l.event === 'start' && l.attempt === 2,
      );
      expect(resumed.length).toBeGreaterThan(0);
      expect(resumed.every((l) => l.startBatch === 1)).toBe(true);
      // 42 chunks: one child workflow per temperature, and the same dataset as without them.
      const children = await childIds(handle.workflowId);
      expect(children).toEqual(
        config.generation.temperatures.map(
          (_, t) => `${handle.workflowId}/t${String(t).padStart(3, '0')}`,
        ),
      );
      await keepHistory(handle.workflowId);
      await keepHistory(children[0]);
    } finally {
      delete process.env.TAGFLOW_FAULTS;
    }
  }, 300_000);

  it('attaches to a run that is already going instead of starting it twice', async () => {
    const config = demoConfig(`attach-${randomUUID().slice(0, 8)}`, dir);
    const first = await start(config);
    const second = await start(config);
    expect(second.firstExecutionRunId).toBe(first.firstExecutionRunId);
    await first.result();
    await keepHistory(first.workflowId);
  }, 120_000);

  it('stops on cancellation, removes what the run wrote, and leaves the target untouched', async () => {
    const config = demoConfig(`cancel-${randomUUID().slice(0, 8)}`, dir, {
      generation: { chunkRows: 20, batchSize: 10 },
      execution: { maxParallelChunks: 1, maxParallelTemperatures: 1 },
    });
    const handle = await start(config);
    await waitUntil(
      () => existsSync(join(config.artifacts, 'runs', config.name, 'generated')),
      60_000,
      'generation',
    );
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    expect(existsSync(join(config.artifacts, 'runs', config.name))).toBe(false);
    expect(existsSync(fileURLToPath(config.output.target!))).toBe(false);
    await keepHistory(handle.workflowId);
  }, 120_000);

  it('publishes to the Hub in one commit, keeps the token out of the history, and does not commit twice', async () => {
    const token = `hf_${randomUUID().replaceAll('-', '')}`;
    const hub = await startFakeHub({ token });
    process.env.HF_TOKEN = token;
    process.env.HF_ENDPOINT = hub.url;
    try {
      const config = demoConfig(`hub-${randomUUID().slice(0, 8)}`, dir, {
        output: { target: 'hf://datasets/tagflow-tests/demo', private: true },
      });
      const handle = await start(config);
      const result: RunResult = await handle.result();
      expect(result.publish.commit?.alreadyPublished).toBe(false);
      const repo = hub.repos.get('tagflow-tests/demo');
      expect(repo?.type).toBe('dataset');
      // The Hub's own "initial commit" at creation, then ours: one commit with every file.
      expect(repo?.commits.map((c) => c.title)).toEqual([
        'initial commit',
        expect.stringContaining(config.name),
      ]);
      expect([...repo!.commits[1].files.keys()]).toEqual(
        expect.arrayContaining([
          'README.md',
          'data/train-00000-of-00001.parquet',
          'report/metrics.json',
        ]),
      );
      // Payloads are base64 in the history: decode every one, children's histories too.
      const texts: string[] = [];
      for (const id of [handle.workflowId, ...(await childIds(handle.workflowId))]) {
        const history = await client.workflow.getHandle(id).fetchHistory();
        texts.push(JSON.stringify(history), ...decodedPayloads(history));
      }
      const everything = texts.join('\n');
      expect(everything.includes('hf://datasets/tagflow-tests/demo')).toBe(true);
      expect(everything.includes(token)).toBe(false);

      // The same run again (a new execution of the same configuration): no second commit.
      const again: RunResult = await (await start(config)).result();
      expect(again.publish.commit?.alreadyPublished).toBe(true);
      expect(repo?.commits).toHaveLength(2);
      await keepHistory(handle.workflowId);
    } finally {
      delete process.env.HF_TOKEN;
      delete process.env.HF_ENDPOINT;
      await hub.close();
    }
  }, 120_000);

  it('replays every completed history against the current workflow code', async () => {
    expect(histories.length).toBeGreaterThanOrEqual(4);
    const { workflowBundle } = await import('../../workers/create-workers.js');
    const results = Worker.runReplayHistories(
      { workflowBundle: await workflowBundle() },
      histories as never,
    );
    for await (const result of results) {
      expect(result.error, result.workflowId).toBeUndefined();
    }
  }, 120_000);
});
