// The worker's event loop is never held up for long, even by a stage over millions of rows on
// a machine kept busy: a real `tagflow worker` process (its CLI bundle, its stage threads)
// runs a whole pipeline whose CPU stages get 1.5 million generated rows, beside a process
// spinning on a core, while small workflows keep handing the worker workflow tasks. The
// worker's own measure (activities/event-loop-watch.ts: the largest event-loop delay while
// each stage's activities ran) must stay at or under 1 s for every stage, and the SDK must not
// warn `[TMPRL1104] Workflow task duration exceeded 1 seconds` — a workflow task that waited
// for the blocked loop. (The history cannot show either: the server sees workflow tasks
// complete in milliseconds.)
//
// The rows are synthesized straight into the run's chunk files (real Arrow files at the keys
// the plan names; generation reuses finished chunk files), so the model need not decode 1.5M
// rows first: the stages that stalled — dedupe, split, evaluate, Parquet encoding — get them.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configFingerprint } from '../../activities/prepare-run.js';
import type { RunConfig } from '../../core/config.js';
import { loadTaxonomy, type Taxonomy } from '../../core/inputs/index.js';
import { LocalArtifactStore, runKey, writeArrowFile } from '../../core/io/index.js';
import { type PlannedChunk, planRunGeneration } from '../../core/plan.js';
import { RowStream, Stage } from '../../core/rng.js';
import { GENERATED_ROWS_SCHEMA, GeneratedRowsBuilder, Mode } from '../../core/rows/index.js';
import type { RunInput, RunResult, StageName } from '../../core/run-types.js';
import { runWorkflowId } from '../../core/run-types.js';
import { taskQueueName } from '../../workflows/task-queues.js';
import {
  demoConfig,
  readActivityLog,
  startWorkerProcess,
  tempDir,
  type WorkerProcess,
} from '../helpers/pipeline.js';
import { temporalSettings, testClient } from '../helpers/temporal.js';

const LATENT_ROWS = 1_500_000;
const dir = tempDir('stall');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * One chunk's latent rows: per category one to three tags, popular ones far more often (so tag
 * sets repeat and dedupe has work), grouped by category as generation writes them.
 */
async function writeChunk(path: string, chunk: PlannedChunk, taxonomy: Taxonomy, seed: number) {
  const rng = new RowStream({
    seed,
    stage: Stage.CountSample,
    temperatureIndex: chunk.temperatureIndex,
    row: chunk.rowStart,
  });
  const tags = new Uint16Array(taxonomy.size);
  const row = {
    mode: Mode.latent,
    temperatureIndex: chunk.temperatureIndex,
    temperature: chunk.temperature,
    rowIndex: 0,
    sourceId: null,
    seedTags: new Uint16Array(0),
    generatedTags: tags,
    originalTags: new Uint16Array(0),
  };
  const batches = [];
  for (let first = chunk.rowStart; first < chunk.rowEnd; first += 2048) {
    const n = Math.min(2048, chunk.rowEnd - first);
    const builder = new GeneratedRowsBuilder(n);
    for (let r = first; r < first + n; r++) {
      let count = 0;
      for (const { start, end } of taxonomy.ranges) {
        const want = 1 + rng.int(3);
        const from = count;
        for (let k = 0; k < want; k++) {
          const tag =
            start + Math.min(end - start - 1, Math.floor((end - start) ** rng.uniform()) - 1);
          if (!tags.subarray(from, count).includes(tag)) tags[count++] = tag;
        }
      }
      row.rowIndex = r;
      builder.push(row, count);
    }
    batches.push(builder.finish());
  }
  await writeArrowFile(path, GENERATED_ROWS_SCHEMA, batches);
}

/** The run's chunk files, written as generation would have left them, and its folder claimed. */
async function synthesizeChunks(config: RunConfig): Promise<number> {
  const store = new LocalArtifactStore(config.artifacts);
  const taxonomy = loadTaxonomy(config.taxonomy);
  const chunks = planRunGeneration(config.generation, 0).flatMap((t) => t.chunks);
  for (const chunk of chunks)
    await writeChunk(store.path(runKey(config.name, chunk.key)), chunk, taxonomy, config.seed);
  // prepareRun keeps a run folder claimed by the same configuration (reruns reuse its chunks).
  store.writeJson(runKey(config.name, 'run.json'), {
    runId: config.name,
    configSha256: configFingerprint(config),
  });
  return chunks.length;
}

describe('a large run on a busy machine', () => {
  let worker: WorkerProcess | undefined;
  let busy: ChildProcess | undefined;
  afterAll(async () => {
    busy?.kill('SIGKILL');
    worker?.kill('SIGKILL');
    await worker?.exited;
  });

  it('never holds up the worker’s event loop for more than a second', async () => {
    const config = demoConfig(`stall-${randomUUID().slice(0, 6)}`, dir, {
      preset: 'notebook',
      generation: {
        temperatures: [0.75, 1.25],
        seeded: { enabled: false },
        latent: { enabled: true, rows: LATENT_ROWS },
        chunkRows: 250_000,
      },
    });
    const chunks = await synthesizeChunks(config);

    const queuePrefix = `stall-${randomUUID().slice(0, 8)}`;
    const activityLog = join(dir, 'activities.jsonl');
    worker = startWorkerProcess({
      address: temporalSettings().address,
      queuePrefix,
      env: {
        TEMPORAL_WORKFLOW_TASK_DURATION_WARN_SECONDS: '1',
        TAGFLOW_LOG_LEVEL: 'WARN',
        TAGFLOW_ACTIVITY_LOG: activityLog,
      },
    });
    busy = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
    const { client, close } = await testClient();
    const cpuQueue = taskQueueName('cpu', queuePrefix);
    let running = true;
    try {
      // Workflow tasks all along: any stall of a second or more makes one of them wait for it.
      const ticks = (async () => {
        for (let n = 0; running; n++) {
          await client.workflow.execute('healthCheck', {
            taskQueue: cpuQueue,
            workflowId: `${queuePrefix}-tick-${n}`,
            args: [[cpuQueue, taskQueueName('gpu', queuePrefix)], 60],
          });
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      })();
      const result: RunResult = await client.workflow
        .execute('generateDataset', {
          taskQueue: cpuQueue,
          workflowId: runWorkflowId(config.name),
          args: [{ runId: config.name, config, queuePrefix } satisfies RunInput],
        })
        .finally(() => {
          running = false;
        });
      await ticks;

      expect(result.rowsGenerated).toBe(LATENT_ROWS);
      expect(result.rowsUnique).toBeLessThan(LATENT_ROWS); // dedupe had work to do
      // The chunk files were taken as they were: the CPU stages got the 1.5M rows.
      const reused = readActivityLog(activityLog).filter((l) => l.event === 'reused');
      expect(reused).toHaveLength(chunks);

      const stages: StageName[] = [
        'load',
        'counts',
        'generate',
        'dedupe',
        'split',
        'evaluate',
        'publish',
      ];
      const stalls = result.eventLoopStallMs ?? {};
      for (const stage of stages) {
        expect.soft(stalls[stage], `${stage}: measured`).toBeTypeOf('number');
        expect
          .soft(stalls[stage], `${stage}: largest event-loop stall (ms)`)
          .toBeLessThanOrEqual(1000);
      }
      expect(worker.output()).toContain('tagflow worker: serving');
      expect.soft(worker.output().match(/\[TMPRL1104\][^\n]*/g) ?? []).toEqual([]);
    } finally {
      running = false;
      busy.kill('SIGKILL');
      await close();
    }
  }, 240_000);
});
