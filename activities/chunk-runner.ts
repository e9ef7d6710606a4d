// Runs one generation chunk as a resumable activity.
//
// Each finished batch is written atomically as a part file beside the chunk's final file,
// and the activity heartbeats `{ batchesDone }`. A retried attempt (worker lost, injected
// fault, timeout) reads the last heartbeat's details and continues after the batches it
// records, provided their parts are on disk. When all batches are there, the parts are
// concatenated into the chunk file (atomically) and removed. A chunk file that already
// exists was finished by an earlier attempt whose completion never reached the server: it is
// returned as is, not recomputed. Rows are a pure function of their keys, so the result is
// the same bytes however often the chunk was interrupted.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CancelledFailure, Context } from '@temporalio/activity';
import type { RecordBatch } from 'apache-arrow';
import {
  type ArrowManifest,
  describeSchema,
  readArrowBatches,
  sha256File,
  writeArrowFile,
} from '../core/arrow-io.js';
import { type ArtifactStore, runKey } from '../core/artifact-store.js';
import { GENERATED_ROWS_SCHEMA } from '../core/generated-rows.js';
import type { PlannedChunk } from '../core/plan.js';
import { logActivityEvent, maybeFailAfterBatches } from './instrumentation.js';

export interface ChunkHeartbeat {
  batchesDone: number;
  rowsDone: number;
}

export interface ChunkResult extends ArrowManifest {
  /** True when the chunk file was already complete and nothing was computed. */
  reused: boolean;
  /** Batches taken over from an earlier attempt. */
  resumedBatches: number;
}

const partName = (batch: number) => `part-${String(batch).padStart(6, '0')}.arrow`;

async function* concatParts(partsDir: string, count: number): AsyncGenerator<RecordBatch> {
  for (let b = 0; b < count; b++) yield* readArrowBatches(join(partsDir, partName(b)));
}

/** Number of consecutive parts 0..k-1 present in `partsDir`. */
function partsOnDisk(partsDir: string): number {
  if (!existsSync(partsDir)) return 0;
  const present = new Set(readdirSync(partsDir));
  let k = 0;
  while (present.has(partName(k))) k++;
  return k;
}

export async function runGenerationChunk(params: {
  activity: string;
  store: ArtifactStore;
  runId: string;
  chunk: PlannedChunk;
  totalBatches: number;
  /** Yields the chunk's batches from `startBatch` on. */
  batches: (startBatch: number) => AsyncIterable<RecordBatch>;
}): Promise<ChunkResult> {
  const { activity, store, runId, chunk, totalBatches } = params;
  const key = runKey(runId, chunk.key);
  const finalPath = store.path(key);
  const partsDir = `${finalPath}.parts`;
  const context = Context.current();

  if (existsSync(finalPath) && !existsSync(partsDir)) {
    const rows = chunk.rowEnd - chunk.rowStart;
    logActivityEvent({ activity, key: chunk.key, event: 'reused' });
    return {
      path: key,
      rows,
      bytes: statSync(finalPath).size,
      sha256: await sha256File(finalPath),
      schema: describeSchema(GENERATED_ROWS_SCHEMA),
      reused: true,
      resumedBatches: totalBatches,
    };
  }

  const recorded = (context.info.heartbeatDetails as ChunkHeartbeat | undefined)?.batchesDone ?? 0;
  const startBatch = Math.min(recorded, partsOnDisk(partsDir));
  if (startBatch === 0) rmSync(partsDir, { recursive: true, force: true });
  logActivityEvent({ activity, key: chunk.key, event: 'start', startBatch });

  let batchesDone = startBatch;
  let rowsDone = 0;
  for await (const batch of params.batches(startBatch)) {
    if (context.cancellationSignal.aborted) throw new CancelledFailure('chunk cancelled');
    await writeArrowFile(join(partsDir, partName(batchesDone)), GENERATED_ROWS_SCHEMA, [batch]);
    batchesDone++;
    rowsDone += batch.numRows;
    context.heartbeat({ batchesDone, rowsDone } satisfies ChunkHeartbeat);
    maybeFailAfterBatches(activity, batchesDone);
  }
  if (batchesDone !== totalBatches) {
    throw new Error(`chunk ${chunk.key}: wrote ${batchesDone} of ${totalBatches} batches`);
  }
  const manifest = await writeArrowFile(
    finalPath,
    GENERATED_ROWS_SCHEMA,
    concatParts(partsDir, totalBatches),
    key,
  );
  rmSync(partsDir, { recursive: true, force: true });
  logActivityEvent({
    activity,
    key: chunk.key,
    event: 'finish',
    rows: manifest.rows,
    resumedBatches: startBatch,
  });
  return { ...manifest, reused: false, resumedBatches: startBatch };
}
