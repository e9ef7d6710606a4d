// The first activity of every run: claims the run folder for this configuration. Finished
// chunk files are reused on retries and reruns (see chunk-runner.ts), which is only sound
// while they were made from the same configuration: when a run of the same name comes back
// with a different one, the folder's old contents are removed first.
import { createHash } from 'node:crypto';
import type { RunConfig } from '../core/config.js';
import { runKey } from '../core/io/index.js';
import { logActivityEvent, maybeFailAtStart } from './instrumentation.js';
import { artifactStore } from './run-inputs.js';

interface RunMarker {
  runId: string;
  configSha256: string;
}

export function configFingerprint(config: RunConfig): string {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex');
}

export async function prepareRun({
  runId,
  config,
}: {
  runId: string;
  config: RunConfig;
}): Promise<{ reset: boolean }> {
  maybeFailAtStart('prepareRun');
  const store = artifactStore(config.artifacts);
  const markerKey = runKey(runId, 'run.json');
  const fingerprint = configFingerprint(config);
  let reset = false;
  if (store.exists(runKey(runId))) {
    const marker = store.exists(markerKey) ? store.readJson<RunMarker>(markerKey) : undefined;
    if (marker?.configSha256 !== fingerprint) {
      store.remove(runKey(runId));
      reset = true;
    }
  }
  store.writeJson(markerKey, { runId, configSha256: fingerprint } satisfies RunMarker);
  logActivityEvent({ activity: 'prepareRun', event: 'finish', reset });
  return { reset };
}
