// The calibrate activity: a temperature's bias is fitted once, kept in the run folder, found
// again by a retry, and read by every chunk of that temperature.
import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { calibrationKey } from '../../activities/latent-setup.js';
import { planRunGeneration } from '../../core/plan.js';
import { chunkJobBase } from '../../core/run-types.js';
import { activities, demoRunThrough, inActivity } from '../helpers/demo-activities.js';

describe('calibrateTags', () => {
  it('fits each temperature once, and a retry finds the same file', async () => {
    const run = await demoRunThrough('counts');
    const job = chunkJobBase(run.runId, run.config);
    const first = await inActivity(activities.calibrateTags, [
      { ...job, chunk: { temperatureIndex: 1, temperature: 1.5 } },
    ]);
    expect(first.key).toBe(calibrationKey(run.runId, 1));
    expect(first.meanJsAfter).toBeLessThan(first.meanJsBefore);
    const file = run.store.path(first.key);
    const written = { text: readFileSync(file, 'utf8'), mtime: statSync(file).mtimeMs };
    const saved = JSON.parse(written.text);
    expect(saved.bias).toHaveLength(96);
    expect(saved.temperature).toBe(1.5);

    const retry = await inActivity(
      activities.calibrateTags,
      [
        { ...job, chunk: { temperatureIndex: 1, temperature: 1.5 } },
        // a second attempt, as Temporal would run it
      ],
      { attempt: 2 },
    );
    // The same summary; each attempt reports the event-loop stall it saw itself.
    expect(retry).toEqual({ ...first, eventLoopStallMs: retry.eventLoopStallMs });
    expect(statSync(file).mtimeMs).toBe(written.mtime);
  }, 120_000);

  it('is what a chunk reads: without calibration the same rows differ', async () => {
    const calibrated = await demoRunThrough('generate');
    const plain = await demoRunThrough('generate', {
      generation: {
        temperatures: [0.75, 1.5],
        latent: { rows: 120 },
        chunkRows: 100,
        calibration: { enabled: false },
      },
    });
    const chunkOf = (run: typeof calibrated) => {
      const plan = planRunGeneration(run.config.generation, run.loaded!.catalogue.rows);
      const chunk = plan[1].chunks.find((c) => c.mode === 'latent')!;
      return readFileSync(run.store.path(`runs/${run.runId}/${chunk.key}`));
    };
    expect(await calibrated.store.exists(calibrationKey(calibrated.runId, 0))).toBe(true);
    expect(await plain.store.exists(calibrationKey(plain.runId, 0))).toBe(false);
    expect(chunkOf(calibrated).equals(chunkOf(plain))).toBe(false);
  }, 120_000);
});
