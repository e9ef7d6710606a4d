// A stage thread: runs the CPU-bound work of the CPU stages for the worker's main thread
// (activities/stage-threads.ts). Each task is a pure core function over local files: plain
// data in, plain data out (structured clone), so the thread shares nothing with the main
// thread but the file system and the environment.
//
// Loaded by stage-thread-loader.mjs: from the CLI's esbuild bundle (infra/cli-build.mjs builds
// this file as an entry of its own) or, when the worker runs from the sources, through tsx.
//
// Messages in:  { id, task, args }
// Messages out: { id, ok: true, value } | { id, ok: false, error: { name, message, stack, code } }
import { parentPort, workerData } from 'node:worker_threads';

/**
 * `load()`'s export `name`, imported when first called: a thread loads only the modules of the
 * tasks it runs (a calibration thread no Parquet, charts or Hub client).
 */
function lazy<M, K extends keyof M>(load: () => Promise<M>, name: K): M[K] {
  return (async (args: unknown) =>
    ((await load())[name] as (args: unknown) => unknown)(args)) as M[K];
}

const dataset = () => import('../core/dataset/index.js');

/** What a stage thread can run, by name. */
export const STAGE_TASKS = {
  dedupeGeneratedRows: lazy(dataset, 'dedupeGeneratedRows'),
  splitGeneratedRows: lazy(dataset, 'splitGeneratedRows'),
  publishDataset: lazy(dataset, 'publishDataset'),
  evaluateGeneratedRows: lazy(() => import('../core/evaluation/index.js'), 'evaluateGeneratedRows'),
  fitCalibrationBias: lazy(() => import('../core/generation/index.js'), 'fitCalibrationBias'),
  /** The CPU stages' modules, loaded before a thread's first stage (prepareStageThreads). */
  loadStageModules: async (_args: null) => {
    await dataset();
    return true;
  },
};
export type StageTasks = typeof STAGE_TASKS;
export type StageTaskName = keyof StageTasks;

/** An error as it crosses to the main thread: a clone would drop its class and its code. */
export interface ThreadError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

export interface StageTaskRequest {
  id: number;
  task: StageTaskName;
  args: unknown;
}

function describeError(err: unknown): ThreadError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const code = (err as NodeJS.ErrnoException).code;
  return {
    name: err.name,
    message: err.message,
    stack: err.stack,
    ...(typeof code === 'string' && { code }),
  };
}

// Only in a thread started as a stage thread (a test may import the task table anywhere).
const port = workerData?.stageThread ? parentPort : null;
port?.on('message', async ({ id, task, args }: StageTaskRequest) => {
  try {
    const run = STAGE_TASKS[task] as (args: unknown) => Promise<unknown>;
    if (!run) throw new Error(`stage thread: no task ${task}`);
    port.postMessage({ id, ok: true, value: await run(args) });
  } catch (err) {
    port.postMessage({ id, ok: false, error: describeError(err) });
  }
});
