// `tagflow run --config <file>`: submit a run (or attach to it, when one of that name is
// already running), show its progress live, and print where the dataset went.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client, Connection, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { Command, InvalidArgumentError } from 'commander';
import { loadRunConfig, type RunConfig, type RunConfigInput } from '../core/config.js';
import type { RunInput, RunResult } from '../core/run-types.js';
import {
  connectionSettingsFromEnv,
  type TemporalConnectionSettings,
} from '../workers/connection.js';
import { type EmbeddedTemporal, startEmbeddedTemporal } from '../workers/embedded.js';
import { progressQuery, runWorkflowId } from '../workflows/generate-dataset.js';
import { DEFAULT_QUEUE_PREFIX, taskQueueName } from '../workflows/task-queues.js';
import { ProgressView } from './progress-view.js';

export async function connectClient(
  settings: TemporalConnectionSettings,
): Promise<{ client: Client; close(): Promise<void> }> {
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

/** The most specific message in a failure chain (workflow → child → activity → application). */
export function rootCauseMessage(err: unknown): string {
  let current: unknown = err;
  let message = err instanceof Error ? err.message : String(err);
  while (current instanceof Error) {
    if (current.message) message = current.message;
    current = (current as Error & { cause?: unknown }).cause;
  }
  return message;
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
}

export interface RunOutcome {
  result?: RunResult;
  workflowId: string;
  uiUrl?: string;
}

/**
 * Runs (or attaches to) the run described by `options.config`. In embedded mode (no
 * TEMPORAL_ADDRESS) the dev server and a worker live in this process for the run's duration.
 */
export async function runPipeline(options: RunOptions): Promise<RunOutcome> {
  const print = options.print ?? ((line: string) => console.log(line));
  const overrides: Partial<RunConfigInput> = {};
  if (options.name) overrides.name = options.name;
  if (options.seed !== undefined) overrides.seed = options.seed;
  const config: RunConfig = loadRunConfig(options.config, overrides);
  if (options.target) {
    config.output.target = /^(hf|file):\/\//.test(options.target)
      ? options.target
      : pathToFileURL(resolve(options.target)).href;
  }

  let embedded: EmbeddedTemporal | undefined;
  let settings = connectionSettingsFromEnv();
  if (!settings) {
    if (options.detach)
      throw new InvalidArgumentError(
        '--detach needs a cluster (TEMPORAL_ADDRESS); embedded runs live in this process',
      );
    embedded = await startEmbeddedTemporal({ ui: options.ui, device: options.device });
    settings = embedded.connection;
  }
  const onSignal = () => {
    print(
      '\ninterrupted: the run stays in the server (.tagflow/temporal); run the same command again to resume it',
    );
    void (embedded?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  const { client, close } = await connectClient(settings);
  const workflowId = runWorkflowId(config.name);
  const uiUrl = workflowUiUrl(
    embedded?.server.uiUrl ?? process.env.TEMPORAL_UI_URL,
    settings.namespace,
    workflowId,
  );
  try {
    const queuePrefix =
      options.queuePrefix ?? process.env.TAGFLOW_QUEUE_PREFIX ?? DEFAULT_QUEUE_PREFIX;
    if (embedded && queuePrefix !== DEFAULT_QUEUE_PREFIX) {
      throw new InvalidArgumentError(
        '--queue-prefix needs a cluster (TEMPORAL_ADDRESS); the embedded worker serves the default queues',
      );
    }
    const handle = await client.workflow.start('generateDataset', {
      taskQueue: taskQueueName('cpu', queuePrefix),
      workflowId,
      args: [{ runId: config.name, config, queuePrefix } satisfies RunInput],
      // Starting a run that is already going attaches to it instead of duplicating it.
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    print(`run ${config.name}: workflow ${workflowId}${uiUrl ? `\n  Temporal UI: ${uiUrl}` : ''}`);
    if (options.detach) return { workflowId, uiUrl };

    const view = new ProgressView({ enabled: options.progress, print });
    // One query at a time, and none left in flight when the connection closes.
    let following = true;
    const follow = (async () => {
      while (following) {
        try {
          view.update(await handle.query(progressQuery));
        } catch {
          // a query can fail while a worker restarts; the next one will tell
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    try {
      const result: RunResult = await handle.result();
      following = false;
      await follow;
      view.update(await handle.query(progressQuery));
      view.stop();
      return { result, workflowId, uiUrl };
    } catch (err) {
      following = false;
      await follow;
      view.stop();
      throw err;
    }
  } finally {
    process.off('SIGINT', onSignal);
    await close();
    await embedded?.stop();
  }
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
      'override the output target (file://<dir>, a folder, or hf://datasets/<owner>/<name>)',
    )
    .option('--no-progress', 'print stage changes instead of live progress bars')
    .option('--detach', 'submit and return without waiting (needs TEMPORAL_ADDRESS)', false)
    .option('--no-ui', 'embedded mode: do not serve the Temporal Web UI')
    .option('--device <device>', 'embedded mode: inference device (cpu or cuda)', 'cpu')
    .option(
      '--queue-prefix <prefix>',
      "task-queue prefix of the cluster's workers (default tagflow, or TAGFLOW_QUEUE_PREFIX)",
    )
    .action(async (options: Omit<RunOptions, 'print'>) => {
      const outcome = await runPipeline({ ...options, print });
      if (outcome.result) printRunResult(outcome.result, print);
    });
}

export function printRunResult(result: RunResult, print: (line: string) => void): void {
  print(`dataset: ${result.target}`);
  print(
    `  rows: ${result.rowsGenerated} generated, ${result.rowsUnique} unique; ` +
      `train ${result.splits.train}, validation ${result.splits.validation}, test ${result.splits.test}`,
  );
  if (result.evaluation) {
    const e = result.evaluation;
    print(
      `  quality: co-occurrence r ${e.cooccurrenceR === null ? 'n/a' : e.cooccurrenceR.toFixed(3)}, mean JS ${e.meanJs.toFixed(3)}, max W1 ${e.maxW1.toFixed(3)}`,
    );
  }
  if (result.publish.commit) {
    print(
      `  commit: ${result.publish.commit.oid}${result.publish.commit.alreadyPublished ? ' (already published by an earlier attempt)' : ''}`,
    );
  }
}

export { WorkflowFailedError, WorkflowNotFoundError };
