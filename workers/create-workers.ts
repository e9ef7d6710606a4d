// Builds the Temporal workers of one process: one Worker per task queue it serves, all
// sharing one connection, one workflow bundle and one set of activities.

// The SDK's worker package is imported when a worker is made, not when this file is: it
// loads the native bridge and webpack, which a `tagflow` process that only submits to a
// server never needs.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type {
  LogEntry,
  LogLevel,
  NativeConnection,
  Worker,
  WorkflowBundle,
} from '@temporalio/worker';
import { type ActivityDeps, createActivities } from '../activities/index.js';
import { closeStageThreads, prepareStageThreads } from '../activities/stage-threads.js';
import { clearVaeSessionCache, loadVaeSession } from '../core/generation/index.js';
import { type QueueKind, taskQueueName } from '../workflows/task-queues.js';
import { DEFAULT_CONCURRENCY } from './concurrency.js';
import type { TemporalConnectionSettings } from './connection.js';
import { loadWorkflowBundle } from './workflow-bundle.js';

export { DEFAULT_CONCURRENCY } from './concurrency.js';

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
  /**
   * Start a CPU-stage thread now, while the worker starts (embedded runs and `tagflow server`,
   * whose first run would wait for it otherwise); a cluster worker starts one on first use.
   */
  prestartStageThread?: boolean;
  /** How long running activities get to finish on shutdown before they are cancelled (default 10 s). */
  shutdownGraceSeconds?: number;
}

export interface RunningWorkers {
  /** The first queue's worker, then the others once made (createWorkers). */
  workers: Worker[];
  connection: NativeConnection;
  /** Resolves when every worker has stopped. */
  run(): Promise<void>;
  /** Graceful shutdown: stop polling, let running activities finish or cancel, close the connection. */
  shutdown(): Promise<void>;
}

let runtimeInstalled = false;

/** JSON.stringify replacer that keeps an error's name, message and stack. */
function withErrors(_key: string, value: unknown): unknown {
  return value instanceof Error
    ? { name: value.name, message: value.message, stack: value.stack }
    : value;
}

/**
 * Sets the SDK's log level for this process (default from TAGFLOW_LOG_LEVEL, else WARN) and
 * where its log goes: stderr, or appended to `logFile` (embedded mode keeps the terminal for
 * progress), and whether the SDK handles SIGINT/SIGTERM. Only the first call has an effect: the Temporal runtime is configured once per
 * process.
 */
export async function installWorkerRuntime(
  level: LogLevel = (process.env.TAGFLOW_LOG_LEVEL as LogLevel) || 'WARN',
  logFile?: string,
  /** The SDK shuts workers down on SIGINT/SIGTERM; embedded mode handles them itself. */
  sdkSignals = true,
): Promise<void> {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const { DefaultLogger, Runtime } = await import('@temporalio/worker');
  const toFile = logFile
    ? (entry: LogEntry) => {
        const at = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
        const meta =
          entry.meta && Object.keys(entry.meta).length
            ? ` ${JSON.stringify(entry.meta, withErrors)}`
            : '';
        try {
          appendFileSync(logFile, `${at} [${entry.level}] ${entry.message}${meta}\n`);
        } catch {
          // A log that cannot be written must not fail the run.
        }
      }
    : undefined;
  if (logFile) {
    mkdirSync(dirname(logFile), { recursive: true });
    appendFileSync(logFile, '');
  }
  Runtime.install({
    logger: new DefaultLogger(level, toFile),
    ...(sdkSignals ? {} : { shutdownSignals: [] }),
  });
}

let bundle: Promise<WorkflowBundle> | undefined;

/**
 * The workflow bundle, once per process: read from the cache in .tagflow/workflow-bundle/
 * (built there by webpack, about two seconds, when the workflow sources changed).
 */
export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= loadWorkflowBundle().then(({ code }) => ({ code }));
  return bundle;
}

/**
 * Loads a model pack's inference session (its threads, onnxruntime sessions and kernels) into
 * the cache the chunk activities of workers made with the same settings use, so a run's first
 * chunk does not wait for it. Failures are left to the run: its load stage names them.
 */
export async function warmModelSession(
  settings: Pick<WorkerOptions, 'device' | 'threads' | 'inferenceThreads'>,
  packDir: string,
): Promise<void> {
  try {
    await loadVaeSession({
      device: settings.device,
      threads: settings.threads,
      inferenceThreads: settings.inferenceThreads,
      packDir,
    });
  } catch {
    // the load stage reports a pack that does not load
  }
}

export async function createWorkers(options: WorkerOptions): Promise<RunningWorkers> {
  await installWorkerRuntime();
  const { NativeConnection, Worker } = await import('@temporalio/worker');
  // The bundle is read (or built) while the connection is made.
  const bundleCode = workflowBundle();
  const connection = await NativeConnection.connect({
    address: options.connection.address,
    tls: options.connection.tls,
    apiKey: options.connection.apiKey,
  });
  const workflowBundleCode = await bundleCode.catch(async (err) => {
    await connection.close();
    throw err;
  });
  const activities = createActivities({
    device: options.device,
    threads: options.threads,
    inferenceThreads: options.inferenceThreads,
  });
  const concurrency = { ...DEFAULT_CONCURRENCY, ...options.maxConcurrentActivities };
  const create = (kind: QueueKind) =>
    Worker.create({
      connection,
      namespace: options.connection.namespace,
      taskQueue: taskQueueName(kind, options.queuePrefix),
      workflowBundle: workflowBundleCode,
      activities,
      maxConcurrentActivityTaskExecutions: concurrency[kind],
      maxConcurrentWorkflowTaskExecutions: options.maxConcurrentWorkflowTasks ?? 10,
      shutdownGraceTime: `${options.shutdownGraceSeconds ?? 10} seconds`,
    });
  // Each Worker loads the workflow bundle into a VM of its own (0.3 s or more on a busy
  // machine): the first queue's is made first, and the others while it already serves, so a
  // run's first tasks (on the cpu queue) need not wait for the inference queue's worker.
  const [firstKind, ...otherKinds] = options.queues;
  const first = await create(firstKind).catch(async (err) => {
    await connection.close();
    throw err;
  });
  // The CPU stages' thread, ready (and kept) for the runs this worker serves.
  if (options.queues.includes('cpu')) prepareStageThreads(1, options.prestartStageThread ?? false);
  const workers: Worker[] = [first];
  const others = Promise.all(otherKinds.map(create)).then((made) => {
    workers.push(...made);
    return made;
  });
  others.catch(() => {}); // run() reports it
  let running: Promise<void> | undefined;
  // A signal handler and the normal end of `run` may both ask: the connection closes once.
  let stopped: Promise<void> | undefined;
  return {
    workers,
    connection,
    run() {
      running ??= Promise.all([
        first.run(),
        // Those shutdown already started (and stopped) are not run again.
        others.then((made) =>
          Promise.all(made.filter((w) => w.getState() === 'INITIALIZED').map((w) => w.run())),
        ),
      ]).then(() => undefined);
      return running;
    },
    shutdown() {
      stopped ??= (async () => {
        if (first.getState() === 'RUNNING') first.shutdown();
        const all = [first, ...(await others.catch(() => [] as Worker[]))];
        // A worker made but not yet run holds the connection too: run it, to shut it down.
        const late = all.filter((w) => w.getState() === 'INITIALIZED').map((w) => w.run());
        for (const w of all) if (w.getState() === 'RUNNING') w.shutdown();
        await Promise.all([running, ...late].map((p) => p?.catch(() => undefined)));
        // No activity runs any more: release the model sessions and stop their inference threads
        // and the idle stage threads.
        await Promise.all([clearVaeSessionCache(), closeStageThreads()]);
        await connection.close();
      })();
      return stopped;
    },
  };
}
