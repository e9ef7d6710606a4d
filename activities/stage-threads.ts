// The CPU stages' heavy work — dedupe, split, evaluation, Parquet encoding and publishing —
// runs on threads of its own (node:worker_threads), never on the worker's main thread: a
// synchronous stretch there (seconds at millions of rows) would hold up the worker's event
// loop, and with it heartbeats, cancellation, workflow tasks and every other activity
// (activities/event-loop-watch.ts measures it; docs/speed.md has the figures).
//
// An activity calls `runOnStageThread(task, args)`; the task (activities/stage-thread.ts) gets
// an idle thread, a new one (at most one per core), or waits for the next one free. A thread is
// kept IDLE_MS after its task for the next stage of the run (starting one loads its modules:
// about 0.3 s from the CLI bundle, 1 s through tsx), and never keeps the process alive while
// idle. An activity cancelled meanwhile stops its thread (or stops waiting for one).
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SHARE_ENV, Worker } from 'node:worker_threads';
import { CancelledFailure, Context } from '@temporalio/activity';
import { HubAuthError, ValidationError } from '../core/errors.js';
import type { StageTaskName, StageTasks, ThreadError } from './stage-thread.js';

/** How long a thread waits for the next task before it is stopped (ms). */
export const IDLE_MS = 10_000;

/** Set by infra/cli-build.mjs to the folder of the bundle this process runs from. */
const CLI_BUILD = Symbol.for('tagflow.cliBuildDir');

/** Where the thread's module is: in the running bundle, else the source (through tsx). */
export function stageThreadEntry(): { entry: string; tsx: boolean } {
  const build = (globalThis as Record<symbol, unknown>)[CLI_BUILD];
  if (typeof build === 'string' && existsSync(join(build, 'stage-thread.js')))
    return { entry: pathToFileURL(join(build, 'stage-thread.js')).href, tsx: false };
  return { entry: new URL('./stage-thread.ts', import.meta.url).href, tsx: true };
}

type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: ThreadError };

/** The error a thread reported, as the class the workflow's retry policy goes by. */
function rebuildError(e: ThreadError): Error {
  const known: Record<string, new (message: string) => Error> = { ValidationError, HubAuthError };
  const err = new (known[e.name] ?? Error)(e.message);
  if (!known[e.name]) err.name = e.name;
  if (e.stack) err.stack = e.stack;
  if (e.code) (err as NodeJS.ErrnoException).code = e.code;
  return err;
}

class StageThread {
  private readonly worker: Worker;
  private pending?: { resolve: (value: unknown) => void; reject: (err: Error) => void };
  private nextId = 0;
  private idleTimer?: NodeJS.Timeout;
  dead = false;

  constructor() {
    const { entry, tsx } = stageThreadEntry();
    this.worker = new Worker(new URL('./stage-thread-loader.mjs', import.meta.url), {
      workerData: { stageThread: true, entry, tsx },
      // HF_TOKEN, HF_ENDPOINT and the like as the main thread has them now, not at start.
      env: SHARE_ENV,
    });
    live++;
    this.worker.on('message', (reply: Reply) => {
      const pending = this.pending;
      this.pending = undefined;
      if (reply.ok) pending?.resolve(reply.value);
      else pending?.reject(rebuildError(reply.error));
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) =>
      this.fail(new Error(`the stage thread exited (code ${code})`)),
    );
  }

  private fail(err: Error) {
    this.gone();
    this.pending?.reject(err);
    this.pending = undefined;
  }

  /** Counted out once, however it ended; a waiting task may start a thread of its own. */
  private gone() {
    idle.delete(this);
    clearTimeout(this.idleTimer);
    if (this.dead) return;
    this.dead = true;
    live--;
    wakeNext();
  }

  run(task: StageTaskName, args: unknown): Promise<unknown> {
    clearTimeout(this.idleTimer);
    this.worker.ref();
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage({ id: this.nextId++, task, args });
    });
  }

  /**
   * Waits IDLE_MS for the next task (indefinitely while no more than `warmFloor` are idle),
   * without keeping the process alive.
   */
  park() {
    this.worker.unref();
    idle.add(this);
    if (idle.size > warmFloor) {
      this.idleTimer = setTimeout(() => void this.stop(), IDLE_MS);
      this.idleTimer.unref();
    }
    wakeNext();
  }

  async stop(): Promise<void> {
    this.gone();
    await this.worker.terminate();
  }
}

/**
 * Stage threads at once, busy or idle: one per core. The work is CPU-bound, so more would only
 * share the same cores, and each thread holds its own heap and modules (about 50 MB idle).
 */
export const MAX_STAGE_THREADS = Math.max(1, availableParallelism());

const idle = new Set<StageThread>();
let live = 0;
/** Idle threads kept past IDLE_MS (prepareStageThreads). */
let warmFloor = 0;
/** Tasks waiting for a thread, first come first served. */
const waiting: (() => void)[] = [];

function wakeNext() {
  waiting.shift()?.();
}

/** An idle thread, a new one while fewer than MAX_STAGE_THREADS are alive, else the next free. */
async function takeThread(signal: AbortSignal | undefined, task: string): Promise<StageThread> {
  for (;;) {
    const parked = idle.values().next().value;
    if (parked) {
      idle.delete(parked);
      return parked;
    }
    if (live < MAX_STAGE_THREADS) return new StageThread();
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        waiting.splice(waiting.indexOf(wake), 1);
        reject(new CancelledFailure(`${task} cancelled`));
      };
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      waiting.push(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** The activity running this call, if any (its cancellation stops the thread). */
function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Runs `task(args)` on a stage thread; resolves with its result, or rejects with its error. */
export async function runOnStageThread<K extends StageTaskName>(
  task: K,
  args: Parameters<StageTasks[K]>[0],
): Promise<Awaited<ReturnType<StageTasks[K]>>> {
  const signal = currentContext()?.cancellationSignal;
  if (signal?.aborted) throw new CancelledFailure(`${task} cancelled`);
  const thread = await takeThread(signal, task);
  if (signal?.aborted) {
    thread.park();
    throw new CancelledFailure(`${task} cancelled`);
  }
  const stopOnCancel = () => void thread.stop();
  signal?.addEventListener('abort', stopOnCancel, { once: true });
  try {
    return (await thread.run(task, args)) as Awaited<ReturnType<StageTasks[K]>>;
  } catch (err) {
    if (signal?.aborted) throw new CancelledFailure(`${task} cancelled`);
    throw err;
  } finally {
    signal?.removeEventListener('abort', stopOnCancel);
    if (!thread.dead) thread.park();
  }
}

/**
 * A worker's stage threads made ready for its runs: up to `keepWarm` idle ones are kept past
 * IDLE_MS, so a long-lived worker's next run finds a warm thread, and with `prestart` one is
 * started now and loads its modules (a thread started for a stage first loads them, about
 * 0.3 s, then runs its code cold). On the notebook's job with `tagflow server` up, a run after
 * the threads had expired took 2.1 s against 1.1 s with a warm one (dedupe, split and publish
 * 1.1 s against 0.35 s).
 */
export function prepareStageThreads(keepWarm: number, prestart: boolean): void {
  warmFloor = keepWarm;
  if (!prestart || live > 0) return;
  const thread = new StageThread();
  thread.run('loadStageModules', null).then(
    () => {
      if (!thread.dead) thread.park();
    },
    () => undefined, // a stage that needs a thread starts one and reports its failure
  );
}

/** Stage threads alive now, busy or idle. */
export function stageThreadsAlive(): number {
  return live;
}

/** Stops the idle stage threads (a worker shutting down). */
export async function closeStageThreads(): Promise<void> {
  await Promise.all([...idle].map((thread) => thread.stop()));
}
