// After a cancelled run: remove everything the run wrote to the artifact store. The output
// target needs no cleanup: it is only ever written by publish's atomic swap or single commit.

import type { RunConfig } from '../core/config.js';
import { runKey } from '../core/io/index.js';
import { logActivityEvent } from './instrumentation.js';
import { artifactStore } from './run-inputs.js';

export async function cleanupRun({
  runId,
  config,
}: {
  runId: string;
  config: RunConfig;
}): Promise<void> {
  await artifactStore(config.artifacts).remove(runKey(runId));
  logActivityEvent({ activity: 'cleanupRun', event: 'finish' });
}
