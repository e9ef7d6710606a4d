// Commands other than `run` talk to the cluster named by TEMPORAL_ADDRESS, else to the
// project's background server (`tagflow server start`) when it is up, else to the embedded
// dev server's state in .tagflow/temporal (started for the command's duration, with a worker,
// since queries on runs need one).
import type { Client } from '@temporalio/client';
import type { TemporalConnectionSettings } from '../workers/connection.js';
import type { EmbeddedTemporal } from '../workers/embedded.js';
import { chooseTemporal, connectClient, type RunMode } from './run.js';

export interface TemporalSession {
  client: Client;
  settings: TemporalConnectionSettings;
  embedded?: EmbeddedTemporal;
  mode: RunMode;
}

export async function withTemporal<T>(fn: (session: TemporalSession) => Promise<T>): Promise<T> {
  let embedded: EmbeddedTemporal | undefined;
  const chosen = chooseTemporal();
  let settings = chosen.settings;
  if (!settings) {
    const { startEmbeddedTemporal } = await import('../workers/embedded.js');
    embedded = await startEmbeddedTemporal({ ui: false });
    settings = embedded.connection;
  }
  const { client, close } = await connectClient(settings);
  try {
    return await fn({ client, settings, embedded, mode: chosen.mode });
  } finally {
    await close();
    await embedded?.stop();
  }
}
