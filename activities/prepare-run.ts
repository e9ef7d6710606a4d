// The first activity of every run: claims the run folder for this configuration. Finished
// chunk files are reused on retries and reruns (see chunk-runner.ts), which is only sound
// while they were made from the same configuration: when a run of the same name comes back
// with a different one, the folder's old contents are removed first.
//
// Before anything else it tries the places the run will write: the artifact store (a folder
// created, then a file written, renamed and deleted in it; in S3 an object written, read and
// deleted), the parent of a file:// output target and an s3:// target's prefix. A place that
// cannot be written fails the run here, at once, naming the config field.
import { createHash } from 'node:crypto';
import type { RunConfig } from '../core/config.js';
import { parsePublishTarget, s3TargetBucket } from '../core/dataset/index.js';
import { probeWritableFolder, runKey } from '../core/io/index.js';
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
  await store.probe('artifacts');
  if (config.output.target) {
    const target = parsePublishTarget(config.output.target);
    if (target.kind === 'folder') {
      probeWritableFolder(target.dir, 'output.target', { create: false, parent: true });
    }
    if (target.kind === 's3') await s3TargetBucket(target.url).probe('output.target');
  }
  const markerKey = runKey(runId, 'run.json');
  const fingerprint = configFingerprint(config);
  let reset = false;
  if (await store.exists(runKey(runId))) {
    const marker = (await store.exists(markerKey))
      ? await store.readJson<RunMarker>(markerKey)
      : undefined;
    if (marker?.configSha256 !== fingerprint) {
      await store.remove(runKey(runId));
      reset = true;
    }
  }
  await store.writeJson(markerKey, { runId, configSha256: fingerprint } satisfies RunMarker);
  logActivityEvent({ activity: 'prepareRun', event: 'finish', reset });
  return { reset };
}
