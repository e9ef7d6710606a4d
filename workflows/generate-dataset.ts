// The pipeline as one durable workflow. Each stage is an activity; generation fans out as one
// child workflow per temperature (keeping every history small for runs of tens of millions
// of rows), each running its chunks with a concurrency limit. Payloads are small summaries;
// rows live in the artifact store.
//
//   train? → load → counts → generate (children) → concepts? → dedupe → cover? →
//   split ∥ evaluate? → publish
import {
  ApplicationFailure,
  CancellationScope,
  defineQuery,
  defineSignal,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { NON_RETRYABLE_ERROR_TYPES } from '../core/errors.js';
import { planConcepts, planRunGeneration, type TemperaturePlan } from '../core/plan.js';
import {
  type ChunkDone,
  type ChunkJob,
  type CoverageSummary,
  chunkJobBase,
  type EventLoopStall,
  type RunInput,
  type RunProgress,
  type RunResult,
  STAGES,
  type StageName,
  type TemperatureSummary,
} from '../core/run-types.js';
import { mapWithConcurrency } from './concurrency.js';
import { taskQueueName } from './task-queues.js';

export const progressQuery = defineQuery<RunProgress>('progress');
export const chunkDoneSignal = defineSignal<[ChunkDone]>('chunkDone');

const nonRetryableErrorTypes = [...NON_RETRYABLE_ERROR_TYPES];

// Every activity heartbeats at least every 2 s while its event loop is free
// (activities/heartbeat.ts). Inference-queue activities (chunks, calibration, concepts,
// training) await onnxruntime's threads, so a short timeout is safe and a killed worker's chunk
// runs again within about 15 s. CPU stages run their heavy work on stage threads
// (activities/stage-threads.ts) but keep a minute: their input loading stays on the loop.
const GPU_HEARTBEAT_TIMEOUT_SECONDS = 15;
const CPU_HEARTBEAT_TIMEOUT_SECONDS = 60;

function cpuActivities(input: RunInput) {
  return proxyActivities<Activities>({
    taskQueue: taskQueueName('cpu', input.queuePrefix),
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: `${Math.max(input.heartbeatTimeoutSeconds ?? 0, CPU_HEARTBEAT_TIMEOUT_SECONDS)} seconds`,
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      maximumAttempts: 10,
      nonRetryableErrorTypes,
    },
  });
}

/**
 * Publishing: a target that cannot be reached (a Hub outage, no network) fails the run after
 * PUBLISH_MAX_ATTEMPTS attempts, 2, 4, 8, 16 s apart (about half a minute), with the last cause.
 */
const PUBLISH_MAX_ATTEMPTS = 5;

function publishActivity(input: RunInput) {
  return proxyActivities<Activities>({
    taskQueue: taskQueueName('cpu', input.queuePrefix),
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: `${Math.max(input.heartbeatTimeoutSeconds ?? 0, CPU_HEARTBEAT_TIMEOUT_SECONDS)} seconds`,
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      maximumAttempts: PUBLISH_MAX_ATTEMPTS,
      nonRetryableErrorTypes,
    },
  }).publish;
}

function gpuActivities(input: RunInput) {
  return proxyActivities<Activities>({
    taskQueue: taskQueueName('gpu', input.queuePrefix),
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: `${input.heartbeatTimeoutSeconds ?? GPU_HEARTBEAT_TIMEOUT_SECONDS} seconds`,
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '1 minute',
      maximumAttempts: 20,
      nonRetryableErrorTypes,
    },
  });
}

/** The largest `eventLoopStallMs` in a stage's result: an activity's, or the most of a list's. */
function stallOf(result: unknown): number | undefined {
  const list = Array.isArray(result) ? result : [result];
  const stalls = list
    .map((r) => (r as EventLoopStall | null | undefined)?.eventLoopStallMs)
    .filter((ms): ms is number => typeof ms === 'number');
  return stalls.length > 0 ? Math.max(...stalls) : undefined;
}

/** The workflow id of a run: starting the same run twice attaches to the first. */
export function runWorkflowId(runId: string): string {
  return `tagflow-${runId}`;
}

export async function generateDataset(input: RunInput): Promise<RunResult> {
  const { runId } = input;
  let config = input.config;
  const cpu = cpuActivities(input);
  const gpu = gpuActivities(input);

  const progress: RunProgress = {
    runId,
    stage: 'load',
    stages: Object.fromEntries(STAGES.map((s) => [s, 'pending'])) as RunProgress['stages'],
    chunksDone: 0,
    chunksTotal: 0,
    rowsGenerated: 0,
    rowsPlanned: 0,
    temperatures: [],
  };
  setHandler(progressQuery, () => progress);
  const recountProgress = () => {
    progress.chunksDone = progress.temperatures.reduce((n, t) => n + t.chunksDone, 0);
    progress.rowsGenerated = progress.temperatures.reduce((n, t) => n + t.rows, 0);
  };
  setHandler(chunkDoneSignal, (done) => {
    const t = progress.temperatures[done.temperatureIndex];
    if (!t) return;
    if (done.chunksDone === undefined) {
      t.chunksDone++;
      t.rows += done.rows;
    } else {
      t.chunksDone = Math.max(t.chunksDone, done.chunksDone);
      t.rows = Math.max(t.rows, done.rowsDone ?? 0);
    }
    recountProgress();
  });

  const stalls: NonNullable<RunResult['eventLoopStallMs']> = {};
  async function stage<T>(name: StageName, run: () => Promise<T>): Promise<T> {
    progress.stage = name;
    progress.stages[name] = 'running';
    try {
      const result = await run();
      progress.stages[name] = 'done';
      const stall = stallOf(result);
      if (stall !== undefined) stalls[name] = stall;
      return result;
    } catch (err) {
      progress.stages[name] = isCancellation(err) ? 'cancelled' : 'failed';
      throw err;
    }
  }

  try {
    await cpu.prepareRun({ runId, config });
    if (config.train.enabled) {
      const trained = await stage('train', () => gpu.train({ runId, config }));
      config = { ...config, model: { pack: trained.packDir } };
    } else {
      progress.stages.train = 'skipped';
    }
    const loaded = await stage('load', () => cpu.loadInputs({ runId, config }));
    await stage('counts', () =>
      cpu.fitCounts({ runId, config, catalogueRows: loaded.catalogue.rows }),
    );

    const plan = planRunGeneration(config.generation, loaded.catalogue.rows);
    progress.chunksTotal = plan.reduce((n, t) => n + t.chunks.length, 0);
    progress.rowsPlanned = plan.reduce((n, t) => n + t.seededRows + t.latentRows, 0);
    progress.temperatures = plan.map((t) => ({
      temperatureIndex: t.temperatureIndex,
      temperature: t.temperature,
      chunksDone: 0,
      chunksTotal: t.chunks.length,
      rows: 0,
    }));
    const jobBase = chunkJobBase(runId, config);
    const generated = await stage('generate', () =>
      mapWithConcurrency(
        plan,
        config.execution.maxParallelTemperatures,
        async (temperaturePlan) => {
          const summary = await executeChild(generateTemperature, {
            workflowId: `${workflowInfo().workflowId}/t${String(temperaturePlan.temperatureIndex).padStart(3, '0')}`,
            args: [{ input: { ...input, config }, plan: temperaturePlan, job: jobBase }],
            parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
            // On the inference queue, next to its chunk activities: a worker with a free slot
            // then gets each chunk straight back from the workflow task that schedules it
            // (eager dispatch), not through another poll. Older runs kept the parent's queue.
            ...(patched('temperature-children-on-gpu-queue')
              ? { taskQueue: taskQueueName('gpu', input.queuePrefix) }
              : {}),
          });
          // A finished temperature is exact, whatever its last progress signals are doing.
          const t = progress.temperatures[temperaturePlan.temperatureIndex];
          t.chunksDone = summary.chunks;
          t.rows = summary.rows;
          recountProgress();
          return summary;
        },
      ),
    );
    const rowsGenerated = generated.reduce((n, t) => n + t.rows, 0);

    // Concept sets read the temperatures' calibrations: after generation, beside dedupe.
    const concepts = config.generation.concepts;
    const conceptsDone = concepts
      ? stage('concepts', () =>
          mapWithConcurrency(
            planConcepts(
              concepts.tags === 'all' ? loaded.taxonomy.tags : concepts.tags.length,
              concepts.rowsPerConcept,
              config.generation.chunkRows,
            ),
            config.execution.maxParallelChunks,
            (part) =>
              gpu.generateConcepts({
                ...jobBase,
                temperatures: config.generation.temperatures,
                concepts,
                part,
              }),
          ),
        )
      : undefined;
    if (!concepts) progress.stages.concepts = 'skipped';

    const catalogueRows = loaded.catalogue.rows;
    const deduped = await stage('dedupe', () => cpu.dedupe({ runId, config, catalogueRows }));
    // generation.minRowsPerTag: top-up rows for rare tags join the deduplicated rows.
    const minRowsPerTag = config.generation.minRowsPerTag ?? 0;
    let coverage: CoverageSummary | undefined;
    if (minRowsPerTag > 0) {
      coverage = await stage('cover', async () => {
        let step = await cpu.coverTags({ runId, config, round: 0 });
        for (;;) {
          progress.coverage = {
            round: step.round,
            rowsAdded: step.rowsAdded,
            tagsShort: step.tagsShort,
          };
          if (step.summary) return step.summary;
          await mapWithConcurrency(step.parts, config.execution.maxParallelChunks, (part) =>
            gpu.generateCoverage({
              ...jobBase,
              temperatures: config.generation.temperatures,
              part,
            }),
          );
          step = await cpu.coverTags({ runId, config, round: step.round + 1 });
        }
      });
    } else {
      progress.stages.cover = 'skipped';
    }
    const rowsUnique = deduped.rowsOut + (coverage?.rowsAdded ?? 0);
    // Split and evaluate both read only dedupe's output: they run side by side.
    if (!config.evaluate.enabled) progress.stages.evaluate = 'skipped';
    const [split, evaluation] = await Promise.all([
      stage('split', () => cpu.split({ runId, config, catalogueRows })),
      config.evaluate.enabled
        ? // No reference corpus (explicit count parameters, no evaluate.reference): null.
          stage('evaluate', () => cpu.evaluate({ runId, config })).then((e) => e?.overall)
        : undefined,
    ]);
    await conceptsDone;
    const published = await stage('publish', () =>
      publishActivity(input)({
        runId,
        config,
        rowsGenerated,
        rowsUnique: deduped.rowsOut,
        splits: split.counts,
      }),
    );
    // `execution.keepArtifacts: false`: the intermediates go once the dataset is published.
    if (config.execution.keepArtifacts === false) await cpu.cleanupRun({ runId, config });
    const result: RunResult = {
      runId,
      target: published.target,
      rowsGenerated,
      rowsUnique,
      splits: split.counts,
      evaluation,
      ...(coverage ? { coverage } : {}),
      publish: published,
      eventLoopStallMs: stalls,
    };
    progress.stage = 'done';
    progress.result = result;
    return result;
  } catch (err) {
    if (isCancellation(err)) {
      // Stop means stop: children were asked to cancel with us; remove what the run wrote
      // (the output target is only ever written by an atomic publish, so it is untouched).
      await CancellationScope.nonCancellable(() => cpu.cleanupRun({ runId, config }));
    }
    throw err;
  }
}

export interface TemperatureInput {
  input: RunInput;
  plan: TemperaturePlan;
  job: Omit<ChunkJob, 'chunk'>;
}

/** One temperature's chunks, with at most `maxParallelChunks` in flight; reports each to the parent. */
export async function generateTemperature({
  input,
  plan,
  job,
}: TemperatureInput): Promise<TemperatureSummary> {
  const gpu = gpuActivities(input);
  const parentId = workflowInfo().parent?.workflowId;
  const parent = parentId ? getExternalWorkflowHandle(parentId) : undefined;
  let done = 0;
  let rowsDone = 0;
  setHandler(progressQuery, () => ({
    runId: input.runId,
    stage: 'generate',
    stages: {} as RunProgress['stages'],
    chunksDone: done,
    chunksTotal: plan.chunks.length,
    rowsGenerated: 0,
    rowsPlanned: plan.seededRows + plan.latentRows,
    temperatures: [],
  }));
  // Tag calibration first: every chunk of the temperature reads its bias.
  const calibration = job.calibration
    ? await gpu.calibrateTags({
        ...job,
        chunk: { temperatureIndex: plan.temperatureIndex, temperature: plan.temperature },
      })
    : undefined;
  const summaries = await mapWithConcurrency(
    plan.chunks,
    input.config.execution.maxParallelChunks,
    async (chunk) => {
      const chunkJob: ChunkJob = { ...job, chunk };
      const summary =
        chunk.mode === 'seeded'
          ? await gpu.generateSeededChunk(chunkJob)
          : await gpu.generateLatentChunk(chunkJob);
      done++;
      rowsDone += summary.rows;
      const report = parent?.signal(chunkDoneSignal, {
        temperatureIndex: plan.temperatureIndex,
        rows: summary.rows,
        chunksDone: done,
        rowsDone,
      });
      // Progress is best-effort: the next chunk need not wait for the server to confirm the
      // signal (two workflow-task round trips per chunk). Runs started before this change
      // awaited it, and replay must give them the same commands.
      if (patched('chunk-signal-not-awaited')) report?.catch(() => undefined);
      else await report;
      return summary;
    },
  );
  const rows = summaries.reduce((n, s) => n + s.rows, 0);
  const stall = stallOf([calibration, ...summaries]);
  if (rows !== plan.seededRows + plan.latentRows) {
    throw ApplicationFailure.nonRetryable(
      `temperature ${plan.temperature} (#${plan.temperatureIndex}): generated ${rows} rows, planned ${plan.seededRows + plan.latentRows}`,
    );
  }
  return {
    temperatureIndex: plan.temperatureIndex,
    temperature: plan.temperature,
    rows,
    chunks: summaries.length,
    ...(calibration ? { calibration } : {}),
    ...(stall !== undefined ? { eventLoopStallMs: stall } : {}),
  };
}
