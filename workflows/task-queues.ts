// Task queue names. Workflows and CPU-bound stages use the `cpu` queue; model inference and
// training use the `gpu` queue, served by workers started with `--queues gpu` (one process
// may serve both). A prefix keeps several deployments apart on one namespace.

export type QueueKind = 'cpu' | 'gpu';

export const DEFAULT_QUEUE_PREFIX = 'tagflow';

export function taskQueueName(kind: QueueKind, prefix = DEFAULT_QUEUE_PREFIX): string {
  return `${prefix}-${kind}`;
}
