// Runs one generation chunk as a resumable activity.
//
// Finished batches are checkpointed as part files beside the chunk's final file (one per
// batch, written atomically) once `checkpointSeconds` of work have passed since the last
// checkpoint, and the activity heartbeats `{ batchesDone }`, the batches saved so far. A short
// chunk thus writes its rows once; a long one loses at most that much work to a crash. A
// retried attempt (worker lost, injected fault, timeout) reads the last heartbeat's details
// and continues after the batches it records, provided their parts are on disk and readable. When all batches are there, the
// chunk file is written (atomically, fsynced) from the batches in memory — those this attempt
// computed, and those it read back from an earlier attempt's parts — and the parts are
// removed. Parts are not fsynced: they only save recomputation, and a part lost or torn by an
// OS crash is simply computed again, so a disk flush per batch would buy nothing. A chunk file
// that already exists was finished by an earlier attempt whose completion never reached the
// server: it is returned as is, not recomputed. Rows are a pure function of their keys, so the result is
// the same bytes however often the chunk was interrupted. Parts and chunk files go through the
// artifact store (written locally, then committed), so that on S3 another worker can resume.
import { CancelledFailure, Context } from '@temporalio/activity';
import type { RecordBatch } from 'apache-arrow';
import {
  type ArrowManifest,
  type ArtifactStore,
  describeSchema,
  readArrowBatches,
  runKey,
  writeArrowFile,
} from '../core/io/index.js';
import type { PlannedChunk } from '../core/plan.js';
import { GENERATED_ROWS_SCHEMA } from '../core/rows/index.js';
import { recordHeartbeat } from './heartbeat.js';
import { logActivityEvent, maybeFailAfterBatches } from './instrumentation.js';

export interface ChunkHeartbeat {
  /** Batches saved as part files: where a retry resumes. */
  batchesDone: number;
  /** Rows computed by this attempt (progress). */
  rowsDone: number;
}

export interface ChunkResult extends ArrowManifest {
  /** True when the chunk file was already complete and nothing was computed. */
  reused: boolean;
  /** Batches taken over from an earlier attempt. */
  resumedBatches: number;
}

const partName = (batch: number) => `part-${String(batch).padStart(6, '0')}.arrow`;

/**
 * The batches of parts 0..k−1 of an earlier attempt, for the largest k ≤ `limit` such that all
 * of them are present and readable (a torn part ends the run of usable ones).
 */
async function readParts(
  store: ArtifactStore,
  partsKey: string,
  limit: number,
): Promise<RecordBatch[]> {
  if (limit === 0) return [];
  const present = new Set(await store.list(partsKey));
  const keys: string[] = [];
  for (let b = 0; b < limit && present.has(`${partsKey}/${partName(b)}`); b++)
    keys.push(`${partsKey}/${partName(b)}`);
  const copies = await store.readLocal(keys);
  try {
    const parts: RecordBatch[] = [];
    for (const path of copies.paths) {
      try {
        const batches: RecordBatch[] = [];
        for await (const batch of readArrowBatches(path)) batches.push(batch);
        if (batches.length !== 1) break;
        parts.push(batches[0]);
      } catch {
        break;
      }
    }
    return parts;
  } finally {
    copies.release();
  }
}

export async function runGenerationChunk(params: {
  activity: string;
  store: ArtifactStore;
  runId: string;
  chunk: PlannedChunk;
  totalBatches: number;
  /** Seconds of work between checkpoints (0: after every batch). */
  checkpointSeconds: number;
  /** Yields the chunk's batches from `startBatch` on. */
  batches: (startBatch: number) => AsyncIterable<RecordBatch>;
}): Promise<ChunkResult> {
  const { activity, store, runId, chunk, totalBatches } = params;
  const key = runKey(runId, chunk.key);
  const partsKey = `${key}.parts`;
  const context = Context.current();

  if ((await store.exists(key)) && (await store.list(partsKey)).length === 0) {
    const rows = chunk.rowEnd - chunk.rowStart;
    logActivityEvent({ activity, key: chunk.key, event: 'reused' });
    const { bytes, sha256 } = await store.describe(key);
    return {
      path: key,
      rows,
      bytes,
      sha256,
      schema: describeSchema(GENERATED_ROWS_SCHEMA),
      reused: true,
      resumedBatches: totalBatches,
    };
  }

  const recorded = (context.info.heartbeatDetails as ChunkHeartbeat | undefined)?.batchesDone ?? 0;
  // Batch b of the chunk is batches[b]: those taken over from parts, then those computed.
  const batches = await readParts(store, partsKey, recorded);
  const startBatch = batches.length;
  if (startBatch === 0) await store.remove(partsKey);
  logActivityEvent({ activity, key: chunk.key, event: 'start', startBatch });

  let batchesDone = startBatch;
  let saved = startBatch;
  let rowsDone = 0;
  let lastCheckpoint = Date.now();
  for await (const batch of params.batches(startBatch)) {
    if (context.cancellationSignal.aborted) throw new CancelledFailure('chunk cancelled');
    batches.push(batch);
    batchesDone++;
    rowsDone += batch.numRows;
    if (Date.now() - lastCheckpoint >= params.checkpointSeconds * 1000) {
      for (; saved < batchesDone; saved++) {
        const part = `${partsKey}/${partName(saved)}`;
        await writeArrowFile(store.writePath(part), GENERATED_ROWS_SCHEMA, [batches[saved]], part, {
          sync: false,
        });
        await store.commit(part);
      }
      lastCheckpoint = Date.now();
    }
    recordHeartbeat({ batchesDone: saved, rowsDone } satisfies ChunkHeartbeat, context);
    maybeFailAfterBatches(activity, batchesDone);
  }
  if (batchesDone !== totalBatches) {
    throw new Error(`chunk ${chunk.key}: wrote ${batchesDone} of ${totalBatches} batches`);
  }
  const manifest = await writeArrowFile(store.writePath(key), GENERATED_ROWS_SCHEMA, batches, key);
  await store.commit(key, manifest.sha256);
  await store.remove(partsKey);
  logActivityEvent({
    activity,
    key: chunk.key,
    event: 'finish',
    rows: manifest.rows,
    resumedBatches: startBatch,
  });
  return { ...manifest, reused: false, resumedBatches: startBatch };
}
