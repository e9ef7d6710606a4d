// The pipeline as one durable workflow. Each stage is an activity; generation fans out as one
// child workflow per temperature (keeping every history small for runs of tens of millions
// of rows), each running its chunks with a concurrency limit, except for runs of a few dozen
// chunks, which run them from this workflow (core/plan.ts generatesInline). Payloads are
// small summaries; rows live in the artifact store.
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
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  generatesInline,
  planConcepts,
  planRunGeneration,
  type TemperaturePlan,
} from '../core/plan.js';
import {
  type ChunkDone,
  type ChunkJob,
  type CoverageSummary,
  chunkJobBase,
  type EventLoopStall,
  PROGRESS_QUERY,
  type RunInput,
  type RunProgress,
  type RunResult,
  STAGES,
  type StageName,
  type TemperatureSummary,
} from '../core/run-types.js';
import { cpuActivities, gpuActivities, publishActivity } from './activity-proxies.js';
import { mapWithConcurrency } from './concurrency.js';
import { taskQueueName } from './task-queues.js';

export const progressQuery = defineQuery<RunProgress>(PROGRESS_QUERY);
export const chunkDoneSignal = defineSignal<[ChunkDone]>('chunkDone');

/** The largest `eventLoopStallMs` in a stage's result: an activity's, or the most of a list's. */
function stallOf(result: unknown): number | undefined {
  const list = Array.isArray(result) ? result : [result];
  const stalls = list
    .map((r) => (r as EventLoopStall | null | undefined)?.eventLoopStallMs)
    .filter((ms): ms is number => typeof ms === 'number');
  return stalls.length > 0 ? Math.max(...stalls) : undefined;
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
    // Runs started before inline generation existed replay with their children.
    const inline = generatesInline(plan) && patched('few-chunks-without-children');
    const generated = await stage('generate', () =>
      mapWithConcurrency(
        plan,
        config.execution.maxParallelTemperatures,
        async (temperaturePlan) => {
          const t = progress.temperatures[temperaturePlan.temperatureIndex];
          const summary = inline
            ? await temperatureChunks(
                gpu,
                temperaturePlan,
                jobBase,
                config.execution.maxParallelChunks,
                (chunksDone, rowsDone) => {
                  t.chunksDone = chunksDone;
                  t.rows = rowsDone;
                  recountProgress();
                },
              )
            : await executeChild(generateTemperature, {
                workflowId: `${workflowInfo().workflowId}/t${String(temperaturePlan.temperatureIndex).padStart(3, '0')}`,
                args: [{ input: { ...input, config }, plan: temperaturePlan, job: jobBase }],
                parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
                // On the inference queue, next to its chunk activities: where the server
                // allows eager dispatch, a worker with a free slot gets each chunk straight back
                // from the workflow task that schedules it. Older runs kept the parent's queue.
                ...(patched('temperature-children-on-gpu-queue')
                  ? { taskQueue: taskQueueName('gpu', input.queuePrefix) }
                  : {}),
              });
          // A finished temperature is exact, whatever its last progress signals are doing.
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
  const parentId = workflowInfo().parent?.workflowId;
  const parent = parentId ? getExternalWorkflowHandle(parentId) : undefined;
  let done = 0;
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
  return temperatureChunks(
    gpuActivities(input),
    plan,
    job,
    input.config.execution.maxParallelChunks,
    async (chunksDone, rowsDone, rows) => {
      done = chunksDone;
      const report = parent?.signal(chunkDoneSignal, {
        temperatureIndex: plan.temperatureIndex,
        rows,
        chunksDone,
        rowsDone,
      });
      // Progress is best-effort: the next chunk need not wait for the server to confirm the
      // signal (two workflow-task round trips per chunk). Runs started before this change
      // awaited it, and replay must give them the same commands.
      if (patched('chunk-signal-not-awaited')) report?.catch(() => undefined);
      else await report;
    },
  );
}

/**
 * A temperature's tag calibration (when the run calibrates), then its chunks, at most
 * `maxParallelChunks` in flight; `onChunk` hears the temperature's totals after each chunk.
 * Checks that the chunks made the planned rows.
 */
async function temperatureChunks(
  gpu: ReturnType<typeof gpuActivities>,
  plan: TemperaturePlan,
  job: Omit<ChunkJob, 'chunk'>,
  maxParallelChunks: number,
  onChunk: (chunksDone: number, rowsDone: number, rows: number) => Promise<void> | void,
): Promise<TemperatureSummary> {
  // Tag calibration first: every chunk of the temperature reads its bias.
  const calibration = job.calibration
    ? await gpu.calibrateTags({
        ...job,
        chunk: { temperatureIndex: plan.temperatureIndex, temperature: plan.temperature },
      })
    : undefined;
  let done = 0;
  let rowsDone = 0;
  const summaries = await mapWithConcurrency(plan.chunks, maxParallelChunks, async (chunk) => {
    const chunkJob: ChunkJob = { ...job, chunk };
    const summary =
      chunk.mode === 'seeded'
        ? await gpu.generateSeededChunk(chunkJob)
        : await gpu.generateLatentChunk(chunkJob);
    done++;
    rowsDone += summary.rows;
    await onChunk(done, rowsDone, summary.rows);
    return summary;
  });
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
