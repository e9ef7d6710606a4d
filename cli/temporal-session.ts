// Commands other than `run` talk to the cluster named by TEMPORAL_ADDRESS or, without it, to
// the embedded dev server's state in .tagflow/temporal (started for the command's duration,
// with a worker, since queries on runs need one).
import type { Client } from '@temporalio/client';
import {
  connectionSettingsFromEnv,
  type TemporalConnectionSettings,
} from '../workers/connection.js';
import { type EmbeddedTemporal, startEmbeddedTemporal } from '../workers/embedded.js';
import { connectClient } from './run.js';

export interface TemporalSession {
  client: Client;
  settings: TemporalConnectionSettings;
  embedded?: EmbeddedTemporal;
}

export async function withTemporal<T>(fn: (session: TemporalSession) => Promise<T>): Promise<T> {
  let embedded: EmbeddedTemporal | undefined;
  let settings = connectionSettingsFromEnv();
  if (!settings) {
    embedded = await startEmbeddedTemporal({ ui: false });
    settings = embedded.connection;
  }
  const { client, close } = await connectClient(settings);
  try {
    return await fn({ client, settings, embedded });
  } finally {
    await close();
    await embedded?.stop();
  }
}
