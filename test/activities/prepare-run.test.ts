import { existsSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configFingerprint, prepareRun } from '../../activities/prepare-run.js';
import { runKey } from '../../core/io/index.js';
import { demoRunThrough, inActivity, runFolder } from '../helpers/demo-activities.js';

describe('prepareRun', () => {
  it('claims the run folder, keeps it for the same config and empties it for another', async () => {
    const run = await demoRunThrough('prepare');
    const { runId, config, store } = run;
    expect(store.readJson(runKey(runId, 'run.json'))).toEqual({
      runId,
      configSha256: configFingerprint(config),
    });
    const leftover = runFolder(run, 'catalogue.arrow');
    writeFileSync(leftover, 'from an earlier attempt');

    expect(await inActivity(prepareRun, [{ runId, config }])).toEqual({ reset: false });
    expect(existsSync(leftover)).toBe(true);

    const changed = { ...config, seed: config.seed + 1 };
    expect(await inActivity(prepareRun, [{ runId, config: changed }])).toEqual({ reset: true });
    expect(existsSync(leftover)).toBe(false);
    expect(store.readJson<{ configSha256: string }>(runKey(runId, 'run.json')).configSha256).toBe(
      configFingerprint(changed),
    );
  });

  it('empties a folder without a marker (it cannot say which config made it)', async () => {
    const run = await demoRunThrough('prepare');
    run.store.remove(runKey(run.runId, 'run.json'));
    writeFileSync(runFolder(run, 'stale.json'), '{}');
    expect(await inActivity(prepareRun, [{ runId: run.runId, config: run.config }])).toEqual({
      reset: true,
    });
    expect(run.store.list(runKey(run.runId))).toEqual([runKey(run.runId, 'run.json')]);
  });

  it('fingerprints every setting', async () => {
    const { config } = await demoRunThrough('prepare');
    expect(configFingerprint(structuredClone(config))).toBe(configFingerprint(config));
    const other = structuredClone(config);
    other.generation.temperatures = [0.75, 1.25];
    expect(configFingerprint(other)).not.toBe(configFingerprint(config));
  });
});
