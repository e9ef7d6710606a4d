// Builds the Temporal workers of one process: one Worker per task queue it serves, all
// sharing one connection, one workflow bundle and one set of activities.

import { fileURLToPath } from 'node:url';
import {
  bundleWorkflowCode,
  DefaultLogger,
  type LogLevel,
  NativeConnection,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { type ActivityDeps, createActivities } from '../activities/index.js';
import { clearVaeSessionCache } from '../core/generation/index.js';
import { type QueueKind, taskQueueName } from '../workflows/task-queues.js';
import type { TemporalConnectionSettings } from './connection.js';

/**
 * Activities a worker runs at once per queue. Four on the inference queue: a chunk's work
 * around the model runs beside it on the inference threads, and this thread's part (requests,
 * Arrow, files) is small, so four chunks keep both inference threads busy where two left them
 * waiting on each chunk's start and file (bench/generation.ts, latent: 0.48–0.56 of the ONNX
 * ceiling against 0.44–0.47 with two).
 */
export const DEFAULT_CONCURRENCY: Record<QueueKind, number> = { cpu: 2, gpu: 4 };

export interface WorkerOptions {
  connection: TemporalConnectionSettings;
  queues: QueueKind[];
  queuePrefix?: string;
  /** Inference device for activities on the gpu queue. */
  device: ActivityDeps['device'];
  /** Concurrent activity executions per queue (default DEFAULT_CONCURRENCY). */
  maxConcurrentActivities?: Partial<Record<QueueKind, number>>;
  /** Concurrent workflow tasks (default 10). */
  maxConcurrentWorkflowTasks?: number;
  /** onnxruntime threads per inference session (default: all cores but one, core/generation/inference.ts). */
  threads?: number;
  /** Inference threads per model session (default DEFAULT_INFERENCE_THREADS; 0: in process). */
  inferenceThreads?: number;
  /** How long running activities get to finish on shutdown before they are cancelled (default 10 s). */
  shutdownGraceSeconds?: number;
}

export interface RunningWorkers {
  workers: Worker[];
  connection: NativeConnection;
  /** Resolves when every worker has stopped. */
  run(): Promise<void>;
  /** Graceful shutdown: stop polling, let running activities finish or cancel, close the connection. */
  shutdown(): Promise<void>;
}

let runtimeInstalled = false;

/**
 * Sets the SDK's log level for this process (default from TAGFLOW_LOG_LEVEL, else WARN).
 * Only the first call has an effect: the Temporal runtime is configured once per process.
 */
export function installWorkerRuntime(
  level: LogLevel = (process.env.TAGFLOW_LOG_LEVEL as LogLevel) || 'WARN',
) {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger(level) });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The workflow bundle, built once per process (webpack takes about two seconds). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)),
    logger: {
      log() {},
      trace() {},
      debug() {},
      info() {},
      warn: console.warn,
      error: console.error,
    },
  });
  return bundle;
}

export async function createWorkers(options: WorkerOptions): Promise<RunningWorkers> {
  installWorkerRuntime();
  const connection = await NativeConnection.connect({
    address: options.connection.address,
    tls: options.connection.tls,
    apiKey: options.connection.apiKey,
  });
  const workflowBundleCode = await workflowBundle();
  const activities = createActivities({
    device: options.device,
    threads: options.threads,
    inferenceThreads: options.inferenceThreads,
  });
  const concurrency = { ...DEFAULT_CONCURRENCY, ...options.maxConcurrentActivities };
  const workers = await Promise.all(
    options.queues.map((kind) =>
      Worker.create({
        connection,
        namespace: options.connection.namespace,
        taskQueue: taskQueueName(kind, options.queuePrefix),
        workflowBundle: workflowBundleCode,
        activities,
        maxConcurrentActivityTaskExecutions: concurrency[kind],
        maxConcurrentWorkflowTaskExecutions: options.maxConcurrentWorkflowTasks ?? 10,
        shutdownGraceTime: `${options.shutdownGraceSeconds ?? 10} seconds`,
      }),
    ),
  );
  let running: Promise<void> | undefined;
  // A signal handler and the normal end of `run` may both ask: the connection closes once.
  let stopped: Promise<void> | undefined;
  return {
    workers,
    connection,
    run() {
      running ??= Promise.all(workers.map((w) => w.run())).then(() => undefined);
      return running;
    },
    shutdown() {
      stopped ??= (async () => {
        for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
        await running;
        // No activity runs any more: release the model sessions and stop their inference threads.
        await clearVaeSessionCache();
        await connection.close();
      })();
      return stopped;
    },
  };
}
