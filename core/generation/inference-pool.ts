// The inference-thread backend: a pool of threads (inference-thread.mjs), each with sessions of
// its own, fed from one queue; large `generate` calls are cut into parts the threads share.
import { Worker } from 'node:worker_threads';
import type { GeneratedBatch, GenerateRequest, ModelFeeds } from './batch-kernels.mjs';
import { kernelSpec, type ModelBackend, type SessionOptions } from './model-backend.js';

type ThreadReply =
  | { id: number; ok: true; outputs?: Record<string, Float32Array | Uint16Array> }
  | { id: number; ok: false; message: string };

/**
 * A typed array whose buffer holds exactly its values: a message copies a view's whole buffer,
 * so a view into a larger one is copied first.
 */
function exact<T extends Float32Array | Int32Array | Uint16Array | Uint8Array>(data: T): T {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
    ? data
    : (data.slice() as T);
}

/** A generate request whose arrays are exact (see `exact`), to be posted to a thread. */
function exactRequest(request: GenerateRequest): GenerateRequest {
  const { temperature, states, seeds, select, bias } = request;
  return {
    ...request,
    bias: bias && exact(bias),
    temperature: exact(temperature),
    states: exact(states),
    seeds: seeds && { ...seeds, tags: exact(seeds.tags), counts: exact(seeds.counts) },
    select: select && { ...select, requests: exact(select.requests) },
  };
}

/** One inference thread and the calls in flight on it. */
class InferenceThread {
  private readonly worker = new Worker(new URL('./inference-thread.mjs', import.meta.url));
  private readonly pending = new Map<
    number,
    {
      resolve: (outputs: Record<string, Float32Array | Uint16Array>) => void;
      reject: (err: Error) => void;
    }
  >();
  private nextId = 0;
  failure: Error | undefined;

  constructor() {
    this.worker.on('message', (reply: ThreadReply) => {
      const request = this.pending.get(reply.id);
      if (!request) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      if (reply.ok) request.resolve(reply.outputs ?? {});
      else request.reject(new Error(reply.message));
    });
    this.worker.on('error', (err) => this.failAll(err));
    this.worker.on('exit', (code) =>
      this.failAll(new Error(`the inference thread exited (code ${code})`)),
    );
    // An idle thread must not keep the process alive; one with requests in flight must.
    this.worker.unref();
  }

  /** Calls in flight: where the next one should go. */
  get load(): number {
    return this.pending.size;
  }

  private failAll(err: Error) {
    this.failure ??= err;
    for (const { reject } of this.pending.values()) reject(err);
    this.pending.clear();
  }

  call(message: Record<string, unknown>): Promise<Record<string, Float32Array | Uint16Array>> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ ...message, id });
    });
  }

  async close(): Promise<void> {
    try {
      if (!this.failure) await this.call({ op: 'release' });
    } finally {
      await this.worker.terminate();
    }
  }
}

/**
 * Rows per part when a `generate` call is shared among inference threads (on CPU): small enough
 * that a stage's last batches keep every thread busy, large enough that onnxruntime runs them as
 * fast per row as whole batches (512 and 2,048 rows: both ≈ 2.7–3 µs a row, ConceptCaps decoder).
 */
export const GENERATE_PART_ROWS = 512;

/** Calls a thread holds at once: one running and one waiting, so it never idles on us. */
const CALLS_PER_THREAD = 2;

/** The rows start … end − 1 of a generate request (views, copied when posted). */
function requestRows(request: GenerateRequest, start: number, end: number): GenerateRequest {
  const { temperature, states, seeds, select } = request;
  const C = select ? select.ranges.length / 2 : 0;
  return {
    ...request,
    n: end - start,
    temperature: temperature.subarray(start, end),
    states: states.subarray(start * 4, end * 4),
    seeds: seeds && {
      ...seeds,
      tags: seeds.tags.subarray(start * seeds.S, end * seeds.S),
      counts: seeds.counts.subarray(start, end),
    },
    select: select && { ...select, requests: select.requests.subarray(start * C, end * C) },
  };
}

/** The parts' results as one batch's, in order. */
function joinParts(parts: GeneratedBatch[]): GeneratedBatch {
  const join = <T extends Float32Array | Uint16Array>(arrays: T[], make: (n: number) => T): T => {
    const joined = make(arrays.reduce((total, array) => total + array.length, 0));
    let at = 0;
    for (const array of arrays) {
      joined.set(array, at);
      at += array.length;
    }
    return joined;
  };
  if (parts.every((part) => 'tags' in part)) {
    return {
      tags: join(
        parts.map((part) => part.tags),
        (n) => new Uint16Array(n),
      ),
      counts: join(
        parts.map((part) => part.counts),
        (n) => new Uint16Array(n),
      ),
    };
  }
  return {
    probs: join(
      parts.map((part) => (part as { probs: Float32Array }).probs),
      (n) => new Float32Array(n),
    ),
  };
}

/**
 * The sessions on `count` inference threads. Calls wait in one queue and go to a thread as soon
 * as it holds fewer than CALLS_PER_THREAD; a `generate` call of more than `partRows` rows is cut
 * into parts that go through the queue one by one, so the threads share every batch to the end.
 */
export async function openOnThreads(
  count: number,
  partRows: number,
  encoderBytes: Uint8Array,
  decoderBytes: Uint8Array,
  options: SessionOptions,
): Promise<ModelBackend> {
  const threads = Array.from({ length: count }, () => new InferenceThread());
  const open = {
    op: 'open',
    encoder: encoderBytes,
    decoder: decoderBytes,
    options,
    kernels: kernelSpec(),
  };
  const opened = await Promise.allSettled(threads.map((thread) => thread.call(open)));
  const failed = opened.find((result) => result.status === 'rejected');
  if (failed) {
    await Promise.allSettled(threads.map((thread) => thread.close()));
    throw failed.reason;
  }
  type Outputs = Record<string, Float32Array | Uint16Array>;
  const queue: {
    message: Record<string, unknown>;
    resolve: (outputs: Outputs) => void;
    reject: (err: Error) => void;
  }[] = [];
  const dispatch = () => {
    while (queue.length > 0) {
      let thread: InferenceThread | undefined;
      for (const other of threads)
        if (other.load < CALLS_PER_THREAD && (!thread || other.load < thread.load)) thread = other;
      if (!thread) return;
      const { message, resolve, reject } = queue.shift() as (typeof queue)[number];
      thread.call(message).then(resolve, reject).finally(dispatch);
    }
  };
  const call = (message: Record<string, unknown>) =>
    new Promise<Outputs>((resolve, reject) => {
      queue.push({ message, resolve, reject });
      dispatch();
    });
  const generatePart = async (maxRows: number, request: GenerateRequest) =>
    (await call({ op: 'generate', maxRows, request: exactRequest(request) })) as GeneratedBatch;
  return {
    async run(model, feeds) {
      const copied: ModelFeeds = {};
      for (const [name, { data, dims }] of Object.entries(feeds))
        copied[name] = { data: exact(data), dims };
      return (await call({ op: 'run', session: model, feeds: copied })) as Record<
        string,
        Float32Array
      >;
    },
    async generate(maxRows, request) {
      const { n } = request;
      const parts = Math.ceil(n / partRows);
      if (parts <= 1) return generatePart(maxRows, request);
      // Rows spread evenly over the parts; each row's output depends on the row alone.
      const cut = (p: number) => Math.round((p * n) / parts);
      return joinParts(
        await Promise.all(
          Array.from({ length: parts }, (_, p) =>
            generatePart(maxRows, requestRows(request, cut(p), cut(p + 1))),
          ),
        ),
      );
    },
    async release() {
      const closed = await Promise.allSettled(threads.map((thread) => thread.close()));
      const failed = closed.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
