// The worker entry point: `tagflow worker` (or `tsx workers/worker.ts`).
//
//   tagflow worker --queues cpu,gpu --device cpu --cpu-concurrency 2 --gpu-concurrency 4
//
// Connects to TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE (TLS and API-key settings: see
// workers/connection.ts) and serves the named queues until SIGINT or SIGTERM, then shuts
// down gracefully: it stops polling, lets running activities finish within the grace period,
// and exits. A GPU node runs `--queues gpu --device cuda`; cheap nodes run `--queues cpu`.
import { Command, InvalidArgumentError, Option } from 'commander';
import { ValidationError } from '../core/errors.js';
import { DEFAULT_INFERENCE_THREADS } from '../core/inference-defaults.js';
import { DEFAULT_QUEUE_PREFIX, type QueueKind } from '../workflows/task-queues.js';
import { DEFAULT_CONCURRENCY } from './concurrency.js';
import { connectionSettingsFromEnv } from './connection.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number ≥ 1');
  return n;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number ≥ 0');
  return n;
}

function queueList(value: string): QueueKind[] {
  const queues = value.split(',').map((q) => q.trim());
  for (const q of queues)
    if (q !== 'cpu' && q !== 'gpu')
      throw new InvalidArgumentError(`unknown queue "${q}" (use cpu, gpu or cpu,gpu)`);
  return queues as QueueKind[];
}

export interface WorkerCommandOptions {
  queues: QueueKind[];
  device: 'cpu' | 'cuda';
  cpuConcurrency: number;
  gpuConcurrency: number;
  threads?: number;
  inferenceThreads: number;
  queuePrefix: string;
  shutdownGrace: number;
}

export function workerCommand(): Command {
  return new Command('worker')
    .description(
      'serve tagflow task queues on a Temporal cluster (TEMPORAL_ADDRESS) until SIGINT/SIGTERM',
    )
    .option('--queues <list>', 'task queues to serve: cpu, gpu or cpu,gpu', queueList, [
      'cpu',
      'gpu',
    ] as QueueKind[])
    .addOption(
      new Option('--device <device>', 'inference device for gpu-queue work')
        .choices(['cpu', 'cuda'])
        .default('cpu'),
    )
    .option(
      '--cpu-concurrency <n>',
      'concurrent activities on the cpu queue',
      positiveInt,
      DEFAULT_CONCURRENCY.cpu,
    )
    .option(
      '--gpu-concurrency <n>',
      'concurrent activities on the gpu queue',
      positiveInt,
      DEFAULT_CONCURRENCY.gpu,
    )
    .option(
      '--threads <n>',
      'onnxruntime threads per inference session (default: all cores but one, shared by the inference threads)',
      positiveInt,
    )
    .option(
      '--inference-threads <n>',
      "threads the model runs on beside the activities (0: on the activities' own thread)",
      nonNegativeInt,
      DEFAULT_INFERENCE_THREADS,
    )
    .option(
      '--queue-prefix <prefix>',
      'task-queue name prefix (default tagflow, or TAGFLOW_QUEUE_PREFIX)',
      process.env.TAGFLOW_QUEUE_PREFIX || DEFAULT_QUEUE_PREFIX,
    )
    .option(
      '--shutdown-grace <seconds>',
      'time running activities get to finish on shutdown',
      positiveInt,
      10,
    )
    .action(async (options: WorkerCommandOptions) => {
      await runWorker(options);
    });
}

export async function runWorker(options: WorkerCommandOptions): Promise<void> {
  const connection = connectionSettingsFromEnv();
  if (!connection) {
    throw new ValidationError(
      'tagflow worker needs a cluster: set TEMPORAL_ADDRESS (and TEMPORAL_NAMESPACE, TLS settings as needed). ' +
        '`tagflow run` without TEMPORAL_ADDRESS starts an embedded server with its own worker instead.',
    );
  }
  const { createWorkers } = await import('./create-workers.js');
  const workers = await createWorkers({
    connection,
    queues: options.queues,
    queuePrefix: options.queuePrefix,
    device: options.device,
    threads: options.threads,
    inferenceThreads: options.inferenceThreads,
    maxConcurrentActivities: { cpu: options.cpuConcurrency, gpu: options.gpuConcurrency },
    shutdownGraceSeconds: options.shutdownGrace,
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(
      `tagflow worker: ${signal} received, shutting down (grace ${options.shutdownGrace} s)`,
    );
    void workers.shutdown();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  console.error(
    `tagflow worker: serving ${options.queues.map((q) => `${options.queuePrefix}-${q}`).join(', ')} on ${connection.address} ` +
      `(namespace ${connection.namespace}, device ${options.device}, pid ${process.pid})`,
  );
  await workers.run();
  await workers.shutdown();
}

// Run directly: `tsx workers/worker.ts --queues gpu --device cuda`.
if (import.meta.url === `file://${process.argv[1]}`) {
  workerCommand()
    .parseAsync(process.argv)
    .catch((err: Error) => {
      console.error(`tagflow worker: ${err.message}`);
      process.exit(1);
    });
}
