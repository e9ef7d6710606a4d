// The CPU stages' work on stage threads (activities/stage-threads.ts, stage-thread.ts and its
// loader): the same files as in-process, errors that keep their class and code, cancellation
// that stops the thread, and threads loaded from the CLI bundle when the process runs from one.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  closeStageThreads,
  MAX_STAGE_THREADS,
  runOnStageThread,
  stageThreadEntry,
  stageThreadsAlive,
} from '../../activities/stage-threads.js';
import { NOTEBOOK_COUNTS_CONFIG } from '../../core/config.js';
import { countModelFromParams } from '../../core/counts/index.js';
import { dedupeGeneratedRows } from '../../core/dataset/index.js';
import { ValidationError } from '../../core/errors.js';
import { type CalibrationFitParams, fitCalibrationBias } from '../../core/generation/index.js';
import { RowStream, Stage } from '../../core/rng.js';
import { buildCli, CLI_BUILD_DIR, freshBuild } from '../../infra/cli-build.mjs';
import {
  conceptcapsCatalogue,
  conceptcapsTaxonomy,
  fixtureRows,
  writeFixtureFiles,
} from '../helpers/generated-rows-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'tagflow-stage-threads-'));
let inputs: string[];
beforeAll(async () => {
  const taxonomy = conceptcapsTaxonomy();
  const rows = fixtureRows({
    taxonomy,
    catalogue: conceptcapsCatalogue(taxonomy).slice(0, 400),
    temperatures: [0.5, 1.0],
  });
  inputs = await writeFixtureFiles(rows, join(dir, 'generated'), { rowsPerFile: 300 });
});
afterAll(async () => {
  delete (globalThis as Record<symbol, unknown>)[CLI_BUILD_DIR];
  await closeStageThreads();
  rmSync(dir, { recursive: true, force: true });
});

const read = (paths: { path: string }[]) => paths.map((p) => readFileSync(p.path));

/** A calibration's fixed-point steps over `rows` random probabilities (ConceptCaps taxonomy). */
function calibrationFit(rows: number, steps: number): CalibrationFitParams {
  const taxonomy = conceptcapsTaxonomy();
  const C = taxonomy.categories.length;
  const rng = new RowStream({ seed: 5, stage: Stage.CountSample, temperatureIndex: 0, row: 0 });
  return {
    taxonomy,
    selection: 'sample',
    seed: 9,
    temperatureIndex: 2,
    probs: Float32Array.from({ length: rows * taxonomy.size }, () => rng.uniform() ** 3),
    requests: Uint8Array.from({ length: rows * C }, () => 1 + rng.int(3)),
    rows,
    target: new Float64Array(taxonomy.size).fill(1 / taxonomy.size),
    steps,
    batchSize: 1024,
  };
}

describe('runOnStageThread', () => {
  it('writes the same files as the function run in this thread, and returns its result', async () => {
    const params = (name: string) => ({
      inputs,
      outputDir: join(dir, name, 'out'),
      workDir: join(dir, name, 'work'),
      partitions: 3,
    });
    const here = await dedupeGeneratedRows(params('here'));
    const there = await runOnStageThread('dedupeGeneratedRows', params('there'));
    expect(there.rowsOut).toBe(here.rowsOut);
    expect(there.groups).toEqual(here.groups);
    expect(there.outputs.map((o) => o.sha256)).toEqual(here.outputs.map((o) => o.sha256));
    expect(read(there.outputs)).toEqual(read(here.outputs));
  });

  it("fits a calibration's bias on a thread exactly as here, with counts coupled or not", async () => {
    const taxonomy = conceptcapsTaxonomy();
    const params = calibrationFit(3000, 3);
    const { rows } = params;
    const C = taxonomy.categories.length;
    const coupled: CalibrationFitParams = {
      ...params,
      selection: 'topk',
      requests: new Uint8Array(rows * C),
      coupling: {
        model: countModelFromParams({
          ...NOTEBOOK_COUNTS_CONFIG,
          categories: [...taxonomy.categories],
        }),
        calibration: {
          temperature: 1,
          expected: taxonomy.categories.map((_, c) =>
            Float64Array.from({ length: 64 }, (_, i) => c + i / 16),
          ),
        },
      },
    };
    for (const p of [params, coupled]) {
      const there = await runOnStageThread('fitCalibrationBias', p);
      const here = await fitCalibrationBias({ ...p, requests: p.requests.slice() });
      expect(there.meanJs).toEqual(here.meanJs);
      expect(there.bias).toEqual(here.bias);
    }
  });

  it('rejects with the error the task threw, as the class the retry policy goes by', async () => {
    const bad = runOnStageThread('dedupeGeneratedRows', {
      inputs,
      outputDir: join(dir, 'bad', 'out'),
      workDir: join(dir, 'bad', 'work'),
      partitions: 0,
    });
    await expect(bad).rejects.toBeInstanceOf(ValidationError);
    await expect(bad).rejects.toThrow('dedupe: partitions must be an integer in [1, 4096], got 0');
    // A file where the output folder should be: the system error keeps its code.
    writeFileSync(join(dir, 'a-file'), '');
    const err = await runOnStageThread('splitGeneratedRows', {
      inputs,
      outputDir: join(dir, 'a-file', 'split'),
      seed: 1,
      ratios: { train: 0.8, validation: 0.1, test: 0.1 },
    }).catch((e: NodeJS.ErrnoException) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as NodeJS.ErrnoException).code).toBe('ENOTDIR');
  });

  it('stops the thread when the activity is cancelled, and a task waiting for one', async () => {
    // Seconds of work: still running when the cancellation arrives.
    const slow = calibrationFit(60_000, 30);
    const env = new MockActivityEnvironment();
    const running = env.run(() => runOnStageThread('fitCalibrationBias', slow));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const alive = stageThreadsAlive();
    env.cancel();
    await expect(running).rejects.toBeInstanceOf(CancelledFailure);
    expect(stageThreadsAlive()).toBeLessThan(alive); // that thread is gone

    // Every thread busy: a cancelled task stops waiting for one.
    const busy = Array.from({ length: MAX_STAGE_THREADS }, () =>
      runOnStageThread('fitCalibrationBias', calibrationFit(3000, 2)),
    );
    const queued = new MockActivityEnvironment();
    const waiting = queued.run(() => runOnStageThread('fitCalibrationBias', slow));
    queued.cancel();
    await expect(waiting).rejects.toBeInstanceOf(CancelledFailure);
    await Promise.all(busy);
  });

  it(`runs at most one thread per core (${MAX_STAGE_THREADS} here); the other tasks wait their turn`, async () => {
    const tasks = MAX_STAGE_THREADS + 2;
    let most = 0;
    const watch = setInterval(() => {
      most = Math.max(most, stageThreadsAlive());
    }, 5);
    const params = Array.from({ length: tasks }, (_, i) => calibrationFit(2000 + i, 2));
    const there = await Promise.all(params.map((p) => runOnStageThread('fitCalibrationBias', p)));
    clearInterval(watch);
    expect(most).toBeLessThanOrEqual(MAX_STAGE_THREADS);
    for (let i = 0; i < tasks; i++)
      expect(there[i].meanJs).toEqual((await fitCalibrationBias(params[i])).meanJs);
  });

  it('loads the thread from the CLI bundle when the process runs from one', async () => {
    expect(stageThreadEntry()).toMatchObject({ tsx: true });
    expect(stageThreadEntry().entry).toMatch(/\/activities\/stage-thread\.ts$/);
    // The project's own build, as `tagflow` uses it (its packages resolve from the checkout).
    const build = freshBuild() ?? (await buildCli());
    (globalThis as Record<symbol, unknown>)[CLI_BUILD_DIR] = build;
    expect(stageThreadEntry()).toEqual({
      entry: `file://${join(build, 'stage-thread.js')}`,
      tsx: false,
    });
    await closeStageThreads(); // the idle thread came from the sources
    const params = (name: string) => ({
      inputs,
      outputDir: join(dir, name, 'out'),
      workDir: join(dir, name, 'work'),
    });
    const bundled = await runOnStageThread('dedupeGeneratedRows', params('bundled'));
    const here = await dedupeGeneratedRows(params('here-too'));
    expect(read(bundled.outputs)).toEqual(read(here.outputs));
  });
});
