// Shared test plumbing: a client and workers against the run's Temporal server
// (see test/setup/temporal-server.ts), on task queues unique to the calling test.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { inject } from 'vitest';
import {
  createWorkers,
  type RunningWorkers,
  type WorkerOptions,
} from '../../workers/create-workers.js';
import type { QueueKind } from '../../workflows/task-queues.js';

export function temporalSettings() {
  return { address: inject('temporalAddress'), namespace: inject('temporalNamespace') };
}

export async function testClient(): Promise<{ client: Client; close: () => Promise<void> }> {
  const settings = temporalSettings();
  const connection = await Connection.connect({ address: settings.address });
  return {
    client: new Client({ connection, namespace: settings.namespace }),
    close: () => connection.close(),
  };
}

/** Starts workers on fresh queues (`<prefix>-cpu`, `<prefix>-gpu`) and runs them in the background. */
export async function startTestWorkers(
  options: Partial<Omit<WorkerOptions, 'connection'>> & { queues?: QueueKind[] } = {},
): Promise<RunningWorkers & { queuePrefix: string }> {
  const queuePrefix = options.queuePrefix ?? `test-${randomUUID().slice(0, 8)}`;
  const workers = await createWorkers({
    device: 'cpu',
    queues: ['cpu', 'gpu'],
    ...options,
    queuePrefix,
    connection: temporalSettings(),
  });
  void workers.run();
  return { ...workers, queuePrefix };
}
