// `tagflow run` while the project's background server is up (`tagflow server start`): the run
// is handed to that process over its control endpoint (workers/control-endpoint.ts), which has
// the Temporal client, the config parser and a warm worker loaded already; this process shows
// what it streams back. So a run's own process loads neither the client nor the parser
// (about 0.3 s of every start, docs/speed.md). The run is an ordinary workflow on the server,
// started and followed there by the same runPipeline as anywhere else.
import type { RunProgress } from '../core/run-types.js';
import { type ControlAddress, callControlEndpoint } from '../workers/control-endpoint.js';
import { addHint, errorHint, rootCauseMessage } from './failures.js';
import {
  type ProgressSink,
  type RunOptions,
  type RunOutcome,
  resumeCommand,
  runPipeline,
  trace,
} from './run.js';

/** The settings of a run that travel to the server (RunOptions without its callbacks). */
type HandedOptions = Omit<RunOptions, 'print' | 'onStep' | 'view' | 'handleSignals' | 'viaServer'>;

interface RunRequest {
  options: HandedOptions;
  /** The command's folder: relative paths and the default target resolve there. */
  cwd: string;
}

/** One line of the server's answer. */
type RunEvent =
  | { line: string }
  | { note: string }
  | { progress: RunProgress }
  | { step: string }
  | { outcome: RunOutcome }
  | { error: { message: string; hint?: string } };

export async function runOnLocalServer(
  control: ControlAddress,
  options: RunOptions,
): Promise<RunOutcome> {
  const print = options.print ?? ((line: string) => console.log(line));
  const step = options.onStep ?? trace;
  const view: ProgressSink =
    options.view ??
    new (await import('./progress-view.js')).ProgressView({ enabled: options.progress, print });
  const { print: _p, onStep: _s, view: _v, handleSignals, viaServer: _h, ...handed } = options;
  const request: RunRequest = { options: handed, cwd: options.cwd ?? process.cwd() };
  const abort = new AbortController();
  // Ctrl-C stops following; the run goes on in the server.
  const onSignal = () => {
    view.stop();
    print(
      `\nstopped following: the run goes on in the server; follow it again with: ${resumeCommand()}`,
    );
    abort.abort();
    process.exit(130);
  };
  if (handleSignals !== false) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  let outcome: RunOutcome | undefined;
  let failure: Error | undefined;
  try {
    await callControlEndpoint(
      control,
      request,
      (line) => {
        const event = line as RunEvent;
        if ('line' in event) print(event.line);
        else if ('note' in event) view.note(event.note);
        else if ('progress' in event) view.update(event.progress);
        else if ('step' in event) step(event.step);
        else if ('outcome' in event) outcome = event.outcome;
        else if ('error' in event) {
          failure = new Error(event.error.message);
          if (event.error.hint) addHint(failure, event.error.hint);
        }
      },
      abort.signal,
    );
  } finally {
    view.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (failure) throw failure;
  if (!outcome) throw new Error('the background server ended the run without its outcome');
  return outcome;
}

/** The server's side: the handed run through runPipeline in this process, each line sent back. */
export async function serveHandedRun(body: unknown, send: (line: unknown) => void): Promise<void> {
  const { options, cwd } = body as RunRequest;
  const event = (e: RunEvent) => send(e);
  try {
    const outcome = await runPipeline({
      ...options,
      cwd,
      viaServer: false,
      handleSignals: false,
      print: (line) => event({ line }),
      onStep: (name) => event({ step: name }),
      view: {
        update: (progress) => event({ progress }),
        note: (note) => event({ note }),
        stop() {},
      },
    });
    event({ outcome });
  } catch (err) {
    event({ error: { message: rootCauseMessage(err), hint: errorHint(err) } });
  }
}
