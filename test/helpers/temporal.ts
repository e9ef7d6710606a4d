// Shared test plumbing: a client and workers against the run's Temporal server
// (see test/setup/temporal-server.ts), on task queues unique to the calling test.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, inject } from 'vitest';
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

export type TestWorkers = Awaited<ReturnType<typeof startTestWorkers>>;

/**
 * Workers on fresh queues and a client, started before the calling describe block's tests and
 * stopped after them (after the block's own afterAll hooks, which may still need the client).
 */
export function useTestTemporal(): { readonly workers: TestWorkers; readonly client: Client } {
  let workers: TestWorkers | undefined;
  let session: Awaited<ReturnType<typeof testClient>> | undefined;
  beforeAll(async () => {
    workers = await startTestWorkers();
    session = await testClient();
  });
  afterAll(async () => {
    await workers?.shutdown();
    await session?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useTestTemporal: read it inside a test or hook');
    return value;
  };
  return {
    get workers() {
      return started(workers);
    },
    get client() {
      return started(session).client;
    },
  };
}
