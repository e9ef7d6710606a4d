// `tagflow run --config <file>`: submit a run (or attach to it, when one of that name is
// already running), show its progress live, and print where the dataset went. It runs on the
// cluster named by TEMPORAL_ADDRESS, else on the project's background server (`tagflow server
// start`) when it is up — handed to that process, cli/local-run.ts — else in embedded mode
// (its own dev server and worker). The Temporal client and the config parser load only on
// the paths that use them.
import { relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Client } from '@temporalio/client';
import { Command, InvalidArgumentError } from 'commander';
import type { RunConfig, RunConfigInput } from '../core/config.js';
import {
  PROGRESS_QUERY,
  type RunInput,
  type RunProgress,
  type RunResult,
  runWorkflowId,
} from '../core/run-types.js';
import { isS3Url, parseS3Url } from '../core/s3-url.js';
import {
  connectionSettingsFromEnv,
  type TemporalConnectionSettings,
} from '../workers/connection.js';
import type { EmbeddedTemporal } from '../workers/embedded.js';
import { localServer } from '../workers/local-server.js';
import { DEFAULT_QUEUE_PREFIX, taskQueueName } from '../workflows/task-queues.js';
import { addHint, exhaustedActivity } from './failures.js';
import { retryReporter } from './retry-lines.js';
import { printRunResult } from './run-summary.js';

export async function connectClient(
  settings: TemporalConnectionSettings,
): Promise<{ client: Client; close(): Promise<void> }> {
  const { Client, Connection } = await import('@temporalio/client');
  const connection = await Connection.connect({
    address: settings.address,
    tls: settings.tls,
    apiKey: settings.apiKey,
  });
  return {
    client: new Client({ connection, namespace: settings.namespace }),
    close: () => connection.close(),
  };
}

export function workflowUiUrl(
  uiBase: string | undefined,
  namespace: string,
  workflowId: string,
): string | undefined {
  if (!uiBase) return undefined;
  return `${uiBase.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

export interface RunOptions {
  config: string;
  name?: string;
  seed?: number;
  target?: string;
  progress: boolean;
  detach: boolean;
  ui: boolean;
  device: 'cpu' | 'cuda';
  /** Task-queue prefix of the workers (default `tagflow`, or TAGFLOW_QUEUE_PREFIX). */
  queuePrefix?: string;
  /** Print lines here (default console.log). */
  print?: (line: string) => void;
  /** Embedded mode: the worker logs on the terminal, not to .tagflow/worker.log. */
  verbose?: boolean;
  /**
   * Embedded mode: once the run has completed, only start stopping the dev server and leave
   * the rest to the caller, which prints the result and ends the process (`exitAfterRun`).
   * Without it, runPipeline stops the embedded worker and server before it returns.
   */
  stopInBackground?: boolean;
  /** Where relative paths and the default target resolve, and .tagflow is (default: cwd). */
  cwd?: string;
  /** False: follow the run from this process even when the background server could (its own). */
  viaServer?: boolean;
  /** Told when each step of the command has ended (default: `trace`). */
  onStep?: (step: string) => void;
  /** Where progress goes (default: bars on a terminal, stage lines elsewhere). */
  view?: ProgressSink;
  /** False: leave SIGINT and SIGTERM to the caller (default: stop following, say how to resume). */
  handleSignals?: boolean;
}

/** What a run's progress is shown on (cli/progress-view.ts ProgressView, or a stream). */
export interface ProgressSink {
  update(progress: RunProgress): void;
  note(line: string): void;
  stop(): void;
}

/** Where a run went: a cluster, the project's background server, or its own embedded one. */
export type RunMode = 'cluster' | 'server' | 'embedded';

export interface RunOutcome {
  result?: RunResult;
  workflowId: string;
  uiUrl?: string;
  mode: RunMode;
  /** The embedded server and worker are still stopping: end the process (exitAfterRun). */
  stopping?: boolean;
}

/** The command that resumes (or follows again) this run: this process's own arguments. */
export function resumeCommand(argv = process.argv.slice(2)): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`);
  return ['tagflow', ...argv.map(quote)].join(' ');
}

/** TAGFLOW_TRACE=1: when each start-up step ended, in ms since the process started (stderr). */
export function trace(step: string): void {
  if (process.env.TAGFLOW_TRACE)
    console.error(`[trace ${performance.now().toFixed(0).padStart(6)} ms] ${step}`);
}

/** The cluster (TEMPORAL_ADDRESS), else the project's background server when it is up. */
export function chooseTemporal(cwd?: string): {
  settings?: TemporalConnectionSettings;
  mode: RunMode;
  uiBase?: string;
} {
  const cluster = connectionSettingsFromEnv();
  if (cluster) return { settings: cluster, mode: 'cluster', uiBase: process.env.TEMPORAL_UI_URL };
  const server = localServer(cwd);
  if (server)
    return {
      settings: { address: server.address, namespace: server.namespace },
      mode: 'server',
      uiBase: server.uiUrl,
    };
  return { mode: 'embedded' };
}

/**
 * Runs (or attaches to) the run described by `options.config`: on the cluster named by
 * TEMPORAL_ADDRESS, else on the project's background server (`tagflow server start`) when it
 * is up, else in embedded mode, with a dev server and a worker in this process for the run.
 */
export async function runPipeline(options: RunOptions): Promise<RunOutcome> {
  const cwd = resolve(options.cwd ?? process.cwd());
  if (options.viaServer !== false && !connectionSettingsFromEnv()) {
    const server = localServer(cwd);
    if (server?.control) {
      const { runOnLocalServer } = await import('./local-run.js');
      return runOnLocalServer(server.control, { ...options, cwd });
    }
  }
  const print = options.print ?? ((line: string) => console.log(line));
  const step = options.onStep ?? trace;
  const overrides: Partial<RunConfigInput> = {};
  if (options.name) overrides.name = options.name;
  if (options.seed !== undefined) overrides.seed = options.seed;
  // The progress bars load while the run is submitted.
  const progressView = options.view ? undefined : import('./progress-view.js');
  progressView?.catch(() => {});
  const { loadRunConfig } = await import('../core/config.js');
  // Named as given (errors quote it), unless it is relative to another folder than this process's.
  const file = cwd === resolve(process.cwd()) ? options.config : resolve(cwd, options.config);
  const config: RunConfig = loadRunConfig(file, overrides, cwd);
  if (options.target) {
    config.output.target = /^(hf|file|s3):\/\//.test(options.target)
      ? options.target
      : pathToFileURL(resolve(cwd, options.target)).href;
  }
  step('config loaded');

  const chosen = chooseTemporal(cwd);
  const { mode } = chosen;
  let embedded: EmbeddedTemporal | undefined;
  let settings = chosen.settings;
  const queuePrefix =
    options.queuePrefix ?? process.env.TAGFLOW_QUEUE_PREFIX ?? DEFAULT_QUEUE_PREFIX;
  if (mode !== 'cluster' && queuePrefix !== DEFAULT_QUEUE_PREFIX) {
    throw new InvalidArgumentError(
      `--queue-prefix needs a cluster (TEMPORAL_ADDRESS); the ${mode === 'server' ? "background server's" : 'embedded'} worker serves the default queues`,
    );
  }
  if (mode === 'embedded') {
    if (options.detach)
      throw new InvalidArgumentError(
        '--detach needs a cluster (TEMPORAL_ADDRESS) or `tagflow server start`; embedded runs live in this process',
      );
    // Imported here: the worker, activities and models load only where a worker runs.
    const { startEmbeddedTemporal } = await import('../workers/embedded.js');
    embedded = await startEmbeddedTemporal({
      ui: options.ui,
      device: options.device,
      verbose: options.verbose,
      onStep: step,
      // A trained pack does not exist yet.
      modelPack: config.train.enabled ? undefined : config.model.pack,
    });
    settings = embedded.connection;
    step('embedded server and worker up');
  }
  if (!settings) throw new Error('no Temporal connection');
  // Ctrl-C (or SIGTERM): stop within seconds and say how to resume; a second one exits at once.
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    print(
      mode === 'embedded'
        ? `\ninterrupted: run ${config.name} is resumable, its state is in .tagflow/temporal; resume it with: ${resumeCommand()}`
        : `\nstopped following: the run goes on in the server; follow it again with: ${resumeCommand()}`,
    );
    const stopping = embedded ? embedded.stop() : Promise.resolve();
    // In-flight work is retried on resume: waiting for it to finish buys nothing here.
    const deadline = new Promise((r) => setTimeout(r, 3_000).unref());
    void Promise.race([stopping, deadline]).finally(() => process.exit(130));
  };
  if (options.handleSignals !== false) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  let completed = false;
  const { client, close } = await connectClient(settings);
  const workflowId = runWorkflowId(config.name);
  const uiUrl = workflowUiUrl(
    embedded?.server.uiUrl ?? chosen.uiBase,
    settings.namespace,
    workflowId,
  );
  try {
    const handle = await client.workflow.start('generateDataset', {
      taskQueue: taskQueueName('cpu', queuePrefix),
      workflowId,
      args: [{ runId: config.name, config, queuePrefix } satisfies RunInput],
      // Starting a run that is already going attaches to it instead of duplicating it.
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    step('workflow submitted');
    print(`run ${config.name}: workflow ${workflowId}${uiUrl ? `\n  Temporal UI: ${uiUrl}` : ''}`);
    if (options.detach) return { workflowId, uiUrl, mode };

    const view =
      options.view ?? new (await progressView!).ProgressView({ enabled: options.progress, print });
    // One query at a time, and none left in flight when the connection closes.
    let following = true;
    let wake: (() => void) | undefined;
    const retries = retryReporter(client, workflowId, (line) => view.note(line));
    const follow = (async () => {
      while (following) {
        try {
          view.update(await handle.query<RunProgress>(PROGRESS_QUERY));
          await retries();
        } catch {
          // a query can fail while a worker restarts; the next one will tell
        }
        if (!following) break;
        await new Promise<void>((r) => {
          const timer = setTimeout(r, 500);
          wake = () => {
            clearTimeout(timer);
            r();
          };
        });
      }
    })();
    try {
      const result: RunResult = await handle.result();
      step('run completed');
      following = false;
      wake?.();
      await follow;
      view.update(await handle.query<RunProgress>(PROGRESS_QUERY));
      view.stop();
      completed = true;
      return {
        result,
        workflowId,
        uiUrl,
        mode,
        stopping: Boolean(embedded && options.stopInBackground),
      };
    } catch (err) {
      following = false;
      wake?.();
      await follow;
      view.stop();
      throw err;
    }
  } catch (err) {
    // Interrupted: the connection's failures are not the run's; the signal handler exits.
    if (interrupted) await new Promise(() => {});
    const exhausted = exhaustedActivity(err);
    if (exhausted) addHint(err, `${exhausted}: no attempts left (docs/operations.md, retries)`);
    if (embedded?.workerLogFile) {
      const logs = [embedded.workerLogFile, embedded.server.logFile].map((f) => relative('', f));
      addHint(err, `logs: ${logs[0]} (worker), ${logs[1]} (Temporal server)`);
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (embedded && completed && options.stopInBackground) {
      // Off the critical path: the dev server starts stopping now, the worker goes with the
      // process (the run is complete, nothing of it is in flight), the caller prints and exits.
      void embedded.server.stop();
      void close();
    } else {
      await close();
      await embedded?.stop();
    }
  }
}

/**
 * Ends the process once a completed embedded run's result is printed, while its dev server
 * stops on its own (it holds nothing the run needs; the next start waits for it to be gone).
 */
export function exitAfterRun(outcome: RunOutcome): void {
  if (outcome.stopping) {
    trace('result printed, exiting');
    process.exit(process.exitCode ?? 0);
  }
}

function deviceOption(value: string): 'cpu' | 'cuda' {
  if (value !== 'cpu' && value !== 'cuda') throw new InvalidArgumentError('expected cpu or cuda');
  return value;
}

/** A target URI (file://, hf://datasets/, s3://) or a plain folder; other schemes are refused. */
function targetOption(value: string): string {
  if (isS3Url(value)) {
    try {
      parseS3Url(value, '--target');
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message.replace(/^--target: /, ''));
    }
    return value;
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value) && !/^(file|hf):\/\//.test(value))
    throw new InvalidArgumentError(
      'expected file://<dir>, hf://datasets/<owner>/<name>, s3://<bucket>/<prefix> or a folder',
    );
  return value;
}

function seedOption(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new InvalidArgumentError('expected a whole number ≥ 0');
  return n;
}

export function runCommand(print: (line: string) => void = (l) => console.log(l)): Command {
  return new Command('run')
    .description('generate a dataset: submit the run (or attach to it) and follow its progress')
    .requiredOption('-c, --config <file>', 'run configuration (YAML or JSON)')
    .option('--name <name>', 'override the run name')
    .option('--seed <n>', 'override the seed', seedOption)
    .option(
      '--target <uri>',
      'override the output target (file://<dir>, a folder, hf://datasets/<owner>/<name> or s3://<bucket>/<prefix>)',
      targetOption,
    )
    .option('--no-progress', 'print stage changes instead of live progress bars')
    .option('--detach', 'submit and return without waiting (needs TEMPORAL_ADDRESS)', false)
    .option('--no-ui', 'embedded mode: do not serve the Temporal Web UI')
    .option(
      '--device <device>',
      'embedded mode: inference device (cpu or cuda)',
      deviceOption,
      'cpu',
    )
    .option('--verbose', "embedded mode: show the worker's log on the terminal", false)
    .option(
      '--queue-prefix <prefix>',
      "task-queue prefix of the cluster's workers (default tagflow, or TAGFLOW_QUEUE_PREFIX)",
    )
    .action(async (options: Omit<RunOptions, 'print'>) => {
      const outcome = await runPipeline({ ...options, print, stopInBackground: true });
      if (outcome.result) printRunResult(outcome.result, print);
      exitAfterRun(outcome);
    });
}
