// Embedded mode: when no TEMPORAL_ADDRESS is set, `tagflow run` brings its own Temporal dev
// server (SQLite persistence under .tagflow/temporal) and runs a worker for both queues in its
// own process. The run survives the process: start `tagflow run` again with the same config
// and the server comes back on the same SQLite file, the worker picks the run up where it was.
import { join, resolve } from 'node:path';
import { type DevServer, startDevServer } from '../infra/dev-server.js';
import type { TemporalConnectionSettings } from './connection.js';
import {
  createWorkers,
  DEFAULT_CONCURRENCY,
  installWorkerRuntime,
  type RunningWorkers,
  warmModelSession,
  workflowBundle,
} from './create-workers.js';

export interface EmbeddedTemporal {
  connection: TemporalConnectionSettings;
  server: DevServer;
  workers: RunningWorkers;
  /** Where the worker's log goes, unless `verbose` (the dev server's: `server.logFile`). */
  workerLogFile?: string;
  stop(): Promise<void>;
}

export async function startEmbeddedTemporal(params: {
  /** Project folder; state goes to <dir>/.tagflow/temporal (default: cwd). */
  dir?: string;
  ui?: boolean;
  device?: 'cpu' | 'cuda';
  threads?: number;
  /** The worker logs to stderr; else to .tagflow/worker.log. */
  verbose?: boolean;
  /** Told when each start-up step has ended (TAGFLOW_TRACE). */
  onStep?: (step: string) => void;
  /** The run's model pack: its inference session loads while the server and worker start. */
  modelPack?: string;
}): Promise<EmbeddedTemporal> {
  const stateDir = join(resolve(params.dir ?? process.cwd()), '.tagflow');
  const dataDir = join(stateDir, 'temporal');
  const workerLogFile = params.verbose ? undefined : join(stateDir, 'worker.log');
  // While the server starts: the workflow bundle is read (or built, after a change), and the
  // SDK's worker package and runtime are loaded.
  const ready = Promise.all([
    workflowBundle(),
    installWorkerRuntime(undefined, workerLogFile, false),
  ]);
  ready.catch(() => {});
  if (params.modelPack) {
    const pack = params.modelPack;
    void warmModelSession({ device: params.device ?? 'cpu', threads: params.threads }, pack).then(
      () => params.onStep?.('model session ready'),
    );
  }
  // The caller handles SIGINT/SIGTERM (cli/run.ts stops in seconds and says how to resume).
  const { server, connection, workers } = await startServerWithWorkers({
    dataDir,
    ui: params.ui ?? true,
    device: params.device,
    threads: params.threads,
    onServer: () => params.onStep?.('dev server ready'),
  });
  void workers.run();
  let stopped: Promise<void> | undefined;
  return {
    connection,
    server,
    workers,
    workerLogFile,
    stop() {
      stopped ??= (async () => {
        await workers.shutdown();
        await server.stop();
      })();
      return stopped;
    },
  };
}

/**
 * The dev server on `dataDir` and a worker for both queues in this process (embedded runs and
 * `tagflow server`); the server is stopped again when the workers cannot start.
 */
export async function startServerWithWorkers(params: {
  dataDir: string;
  ui: boolean;
  device?: 'cpu' | 'cuda';
  threads?: number;
  onServer?: () => void;
}): Promise<{
  server: DevServer;
  connection: TemporalConnectionSettings;
  workers: RunningWorkers;
}> {
  const server = await startDevServer({ dataDir: params.dataDir, ui: params.ui });
  params.onServer?.();
  const connection = { address: server.address, namespace: 'default' };
  try {
    const workers = await createWorkers({
      connection,
      queues: ['cpu', 'gpu'],
      device: params.device ?? 'cpu',
      threads: params.threads,
      // One process does everything, as a worker does (DEFAULT_CONCURRENCY): inference and the
      // CPU stages overlap.
      maxConcurrentActivities: DEFAULT_CONCURRENCY,
      prestartStageThread: true,
    });
    return { server, connection, workers };
  } catch (err) {
    await server.stop();
    throw err;
  }
}
