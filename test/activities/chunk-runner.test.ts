// The seeded and latent chunk activities (activities/chunk-runner.ts under them) on the real
// ConceptCaps run inputs, in a MockActivityEnvironment: how rows are cut into chunks must not
// change them, and a chunk killed part-way resumes after its last finished batch.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChunkHeartbeat } from '../../activities/chunk-runner.js';
import { fitCounts } from '../../activities/fit-counts.js';
import { makeGenerateLatentChunk } from '../../activities/generate-latent.js';
import { makeGenerateSeededChunk } from '../../activities/generate-seeded.js';
import { InjectedFault } from '../../activities/instrumentation.js';
import { loadInputs } from '../../activities/load-inputs.js';
import { prepareRun } from '../../activities/prepare-run.js';
import { clearRunInputCaches } from '../../activities/run-inputs.js';
import type { RunConfig } from '../../core/config.js';
import { clearVaeSessionCache, loadVaeSession } from '../../core/generation/index.js';
import { loadTaxonomy } from '../../core/inputs/index.js';
import { LocalArtifactStore, readArrowBatches, runKey } from '../../core/io/index.js';
import { type PlannedChunk, planGeneration } from '../../core/plan.js';
import { GeneratedRowsView } from '../../core/rows/index.js';
import {
  type ChunkJob,
  type ChunkSummary,
  chunkJobBase,
  type LoadSummary,
} from '../../core/run-types.js';
import { conceptcapsConfig, readActivityLog, tempDir } from '../helpers/pipeline.js';

const dir = tempDir('chunk-runner');
const RUN = 'chunks';
const TEMPERATURES = [0.75, 2.0];
const BATCH = 256;
let config: RunConfig;
let catalogueRows: number;

const generateSeededChunk = makeGenerateSeededChunk({ device: 'cpu' });
const generateLatentChunk = makeGenerateLatentChunk({ device: 'cpu' });

beforeAll(async () => {
  config = await conceptcapsConfig(RUN, dir, { seed: 7 });
  const env = new MockActivityEnvironment();
  await env.run(prepareRun, { runId: RUN, config });
  const loaded = (await env.run(loadInputs, { runId: RUN, config })) as LoadSummary;
  catalogueRows = loaded.catalogue.rows;
  await env.run(fitCounts, { runId: RUN, config, catalogueRows });
}, 120_000);
afterEach(() => {
  delete process.env.TAGFLOW_FAULTS;
  delete process.env.TAGFLOW_ACTIVITY_LOG;
});
afterAll(async () => {
  clearRunInputCaches();
  await clearVaeSessionCache();
  rmSync(dir, { recursive: true, force: true });
});

/** A chunk job that checkpoints after every batch (the run's default waits 10 s). */
function job(chunk: PlannedChunk, checkpointSeconds = 0): ChunkJob {
  return { ...chunkJobBase(RUN, config), batchSize: BATCH, checkpointSeconds, chunk };
}

/** Attempt 1 of the job, killed by an injected fault after 3 batches; its heartbeats. */
async function attemptKilledAfterThreeBatches(
  activity: string,
  killed: ChunkJob,
): Promise<ChunkHeartbeat[]> {
  process.env.TAGFLOW_FAULTS = `${activity}@3`;
  // (The mock's logger reports the injected failure; only errors are worth printing.)
  const first = new MockActivityEnvironment({ attempt: 1 }, { logger: new DefaultLogger('ERROR') });
  const beats: ChunkHeartbeat[] = [];
  first.on('heartbeat', (d: ChunkHeartbeat) => beats.push(d));
  await expect(runChunk(killed, first)).rejects.toThrow(InjectedFault);
  return beats;
}

function runChunk(j: ChunkJob, env = new MockActivityEnvironment()): Promise<ChunkSummary> {
  return env.run(j.chunk.mode === 'seeded' ? generateSeededChunk : generateLatentChunk, j);
}

function chunkPath(chunk: PlannedChunk): string {
  return new LocalArtifactStore(config.artifacts).path(runKey(RUN, chunk.key));
}

/** The rows of chunk files in order, one JSON line per row (all columns). */
async function rowLines(chunks: readonly PlannedChunk[]): Promise<string[]> {
  const lines: string[] = [];
  for (const chunk of chunks) {
    for await (const batch of readArrowBatches(chunkPath(chunk))) {
      const view = new GeneratedRowsView(batch);
      for (let i = 0; i < view.length; i++) lines.push(JSON.stringify(view.row(i)));
    }
  }
  return lines;
}

const digest = (lines: readonly string[]) =>
  createHash('sha256').update(lines.join('\n')).digest('hex');

function plan(chunkRows: number) {
  return planGeneration({
    temperatures: TEMPERATURES,
    catalogueRows,
    seeded: true,
    latent: true,
    chunkRows,
  });
}

describe('chunk activities', () => {
  it('write the same rows whether a temperature is cut into chunks of 257 or 5,000 rows', async () => {
    const coarse = plan(5000);
    const fine = plan(257);
    for (let t = 0; t < TEMPERATURES.length; t++) {
      for (const mode of ['seeded', 'latent'] as const) {
        const coarseChunks = coarse[t].chunks.filter((c) => c.mode === mode);
        const fineChunks = fine[t].chunks.filter((c) => c.mode === mode);
        expect(coarseChunks.length).toBe(1);
        expect(fineChunks.length).toBe(Math.ceil(coarseChunks[0].rowEnd / 257));
        for (const chunk of [...coarseChunks, ...fineChunks]) {
          const summary = await runChunk(job(chunk));
          expect(summary).toMatchObject({ rows: chunk.rowEnd - chunk.rowStart, reused: false });
        }
        const coarseRows = await rowLines(coarseChunks);
        const fineRows = await rowLines(fineChunks);
        expect(coarseRows.length).toBe(coarseChunks[0].rowEnd);
        expect(digest(fineRows)).toBe(digest(coarseRows));
        // Row indices are the plan's, in order, with nothing lost or repeated.
        expect(fineRows.map((line) => JSON.parse(line).rowIndex)).toEqual(
          Array.from({ length: coarseRows.length }, (_, i) => i),
        );
      }
    }
  }, 240_000);

  it.each(['seeded', 'latent'] as const)(
    'resume a %s chunk killed mid-way after its last finished batch, with the same bytes',
    async (mode) => {
      const full = plan(5000)[1].chunks.find((c) => c.mode === mode)!;
      // The same rows under a key of their own (the uninterrupted file stays for comparison).
      const chunk: PlannedChunk = { ...full, key: full.key.replace('.arrow', '-resumed.arrow') };
      const totalBatches = Math.ceil((chunk.rowEnd - chunk.rowStart) / BATCH);
      const activity = mode === 'seeded' ? 'generateSeededChunk' : 'generateLatentChunk';
      if (!existsSync(chunkPath(full))) await runChunk(job(full));
      const uninterrupted = await runChunk(job(full)); // finished: reused as is
      expect(uninterrupted.reused).toBe(true);

      // Count the rows the model sees: the activities share this process's cached session.
      const taxonomy = loadTaxonomy(config.taxonomy);
      const session = await loadVaeSession({ packDir: config.model.pack, taxonomy, device: 'cpu' });
      const generate = session.generate;
      let generatedRows = 0;
      session.generate = (request) => {
        generatedRows += request.n;
        return generate.call(session, request);
      };
      const log = join(dir, `${mode}-activity.log`);
      try {
        process.env.TAGFLOW_ACTIVITY_LOG = log;
        const beats = await attemptKilledAfterThreeBatches(activity, job(chunk));
        expect(beats.map((b) => b.batchesDone)).toEqual([1, 2, 3]);
        // Batches run two deep: the fourth was in the model when the attempt died, and is lost.
        expect(generatedRows).toBe(4 * BATCH);
        expect(existsSync(chunkPath(chunk))).toBe(false);
        expect(readdirSync(`${chunkPath(chunk)}.parts`)).toHaveLength(3);
        const parts = readdirSync(`${chunkPath(chunk)}.parts`).map((name) =>
          readFileSync(join(`${chunkPath(chunk)}.parts`, name)),
        );

        // Attempt 2 gets the last heartbeat's details, as Temporal hands them to a retry.
        generatedRows = 0;
        const second = new MockActivityEnvironment({
          attempt: 2,
          heartbeatDetails: beats.at(-1),
        });
        const resumedBeats: ChunkHeartbeat[] = [];
        second.on('heartbeat', (d: ChunkHeartbeat) => resumedBeats.push(d));
        // The parts on disk must be what attempt 1 wrote when attempt 2 starts.
        const beforeResume = readdirSync(`${chunkPath(chunk)}.parts`).map((name) =>
          readFileSync(join(`${chunkPath(chunk)}.parts`, name)),
        );
        expect(beforeResume).toEqual(parts);
        const resumed = await runChunk(job(chunk), second);
        expect(resumed.resumedBatches).toBe(3);
        expect(resumed.reused).toBe(false);
        // Only batches 3.. were computed again.
        expect(generatedRows).toBe(chunk.rowEnd - chunk.rowStart - 3 * BATCH);
        expect(resumedBeats.map((b) => b.batchesDone)).toEqual(
          Array.from({ length: totalBatches - 3 }, (_, i) => 4 + i),
        );
        const starts = readActivityLog(log).filter((l) => l.event === 'start');
        expect(starts.map((l) => [l.attempt, l.startBatch])).toEqual([
          [1, 0],
          [2, 3],
        ]);
        expect(existsSync(`${chunkPath(chunk)}.parts`)).toBe(false);
      } finally {
        session.generate = generate;
      }
      // Same batch size, same rows: the resumed file is byte-identical to the uninterrupted one.
      expect(fileSha256(chunkPath(chunk))).toBe(fileSha256(chunkPath(full)));
      expect(await rowLines([chunk])).toEqual(await rowLines([full]));
    },
    120_000,
  );

  it('recompute from a torn part on: parts are not fsynced, so an OS crash may cut one short', async () => {
    const full = plan(5000)[0].chunks.find((c) => c.mode === 'latent')!;
    const chunk: PlannedChunk = { ...full, key: full.key.replace('.arrow', '-torn.arrow') };
    if (!existsSync(chunkPath(full))) await runChunk(job(full));
    const beats = await attemptKilledAfterThreeBatches('generateLatentChunk', job(chunk));
    // Tear the second part: the file is there but holds only half its bytes.
    const partsDir = `${chunkPath(chunk)}.parts`;
    const second = join(partsDir, readdirSync(partsDir).sort()[1]);
    writeFileSync(second, readFileSync(second).subarray(0, 1000));

    const retry = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: beats.at(-1) });
    const resumed = await runChunk(job(chunk), retry);
    expect(resumed.resumedBatches).toBe(1);
    expect(fileSha256(chunkPath(chunk))).toBe(fileSha256(chunkPath(full)));
  }, 120_000);
  it('write no part files before the checkpoint interval: a retry then computes the chunk again', async () => {
    const full = plan(5000)[0].chunks.find((c) => c.mode === 'seeded')!;
    const chunk: PlannedChunk = { ...full, key: full.key.replace('.arrow', '-unsaved.arrow') };
    if (!existsSync(chunkPath(full))) await runChunk(job(full));
    const beats = await attemptKilledAfterThreeBatches('generateSeededChunk', job(chunk, 3600));
    expect(beats.map((b) => [b.batchesDone, b.rowsDone])).toEqual([
      [0, BATCH],
      [0, 2 * BATCH],
      [0, 3 * BATCH],
    ]);
    expect(existsSync(`${chunkPath(chunk)}.parts`)).toBe(false);

    const retry = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: beats.at(-1) });
    const again = await runChunk(job(chunk, 3600), retry);
    expect(again.resumedBatches).toBe(0);
    expect(fileSha256(chunkPath(chunk))).toBe(fileSha256(chunkPath(full)));
  }, 120_000);
});

function fileSha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}
