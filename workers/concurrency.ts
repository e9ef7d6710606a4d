// Worker concurrency defaults, apart from the worker wiring so that the `tagflow` command's
// option defaults do not load the SDK's worker and the activities.
import type { QueueKind } from '../workflows/task-queues.js';

/**
 * Activities a worker runs at once per queue. Four on the inference queue: a chunk's work
 * around the model runs beside it on the inference threads, and this thread's part (requests,
 * Arrow, files) is small, so four chunks keep both inference threads busy where two left them
 * waiting on each chunk's start and file (bench/generation.ts, latent: 0.48–0.56 of the ONNX
 * ceiling against 0.44–0.47 with two).
 */
export const DEFAULT_CONCURRENCY: Record<QueueKind, number> = { cpu: 2, gpu: 4 };
