import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configFingerprint, prepareRun } from '../../activities/prepare-run.js';
import { ValidationError } from '../../core/errors.js';
import { runKey } from '../../core/io/index.js';
import { demoRunThrough, inActivity, runFolder } from '../helpers/demo-activities.js';

describe('prepareRun', () => {
  it('claims the run folder, keeps it for the same config and empties it for another', async () => {
    const run = await demoRunThrough('prepare');
    const { runId, config, store } = run;
    expect(await store.readJson(runKey(runId, 'run.json'))).toEqual({
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
    expect(
      (await store.readJson<{ configSha256: string }>(runKey(runId, 'run.json'))).configSha256,
    ).toBe(configFingerprint(changed));
  });

  it('empties a folder without a marker (it cannot say which config made it)', async () => {
    const run = await demoRunThrough('prepare');
    await run.store.remove(runKey(run.runId, 'run.json'));
    writeFileSync(runFolder(run, 'stale.json'), '{}');
    expect(await inActivity(prepareRun, [{ runId: run.runId, config: run.config }])).toEqual({
      reset: true,
    });
    expect(await run.store.list(runKey(run.runId))).toEqual([runKey(run.runId, 'run.json')]);
  });

  it('tries the artifacts folder first: a file there fails at once, naming the field and path', async () => {
    const run = await demoRunThrough('prepare');
    const file = join(run.dir, 'not-a-folder');
    writeFileSync(file, 'keep me');
    for (const artifacts of [file, join(file, 'artifacts')]) {
      const config = { ...run.config, artifacts };
      const err = await inActivity(prepareRun, [{ runId: run.runId, config }]).catch((e) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect(err.message).toMatch(
        new RegExp(`^artifacts: cannot use ${artifacts}: (it|${file}) is a file, not a folder$`),
      );
    }
    expect(readFileSync(file, 'utf8')).toBe('keep me');
  });

  it('tries the parent of a file:// target, creating nothing there', async () => {
    const run = await demoRunThrough('prepare');
    const file = join(run.dir, 'a-file');
    writeFileSync(file, 'keep me');
    const target = join(file, 'dataset');
    const config = {
      ...run.config,
      output: { ...run.config.output, target: pathToFileURL(target).href },
    };
    const err = await inActivity(prepareRun, [{ runId: run.runId, config }]).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toBe(
      `output.target: cannot use ${target}: ${file} is a file, not a folder`,
    );
    // A target whose folders do not exist yet is fine, and is not created here.
    const later = join(run.dir, 'out', 'later', 'dataset');
    const ok = { ...config, output: { ...config.output, target: pathToFileURL(later).href } };
    await inActivity(prepareRun, [{ runId: run.runId, config: ok }]);
    expect(existsSync(join(run.dir, 'out', 'later'))).toBe(false);
  });

  it('fingerprints every setting', async () => {
    const { config } = await demoRunThrough('prepare');
    expect(configFingerprint(structuredClone(config))).toBe(configFingerprint(config));
    const other = structuredClone(config);
    other.generation.temperatures = [0.75, 1.25];
    expect(configFingerprint(other)).not.toBe(configFingerprint(config));
  });
});
