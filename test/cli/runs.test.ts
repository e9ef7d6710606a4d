// `tagflow runs`, `tagflow clean` and `execution.keepArtifacts: false`, as a user runs them.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { REPO_ROOT, runCli, tempDir } from '../helpers/pipeline.js';

const dir = tempDir('runs-cli');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const embedded = {
  TEMPORAL_ADDRESS: undefined,
  TAGFLOW_ACTIVITY_LOG: undefined,
  TAGFLOW_FAULTS: undefined,
};

/** The demo, small, under another name, with its inputs' absolute paths. */
function demoConfig(name: string, execution: Record<string, unknown> = {}): string {
  const demo = parse(readFileSync(join(REPO_ROOT, 'data/demo/run.yaml'), 'utf8'));
  const at = (p: string) => join(REPO_ROOT, 'data/demo', p);
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    stringify({
      ...demo,
      name,
      taxonomy: at(demo.taxonomy),
      catalogue: { ...demo.catalogue, path: at(demo.catalogue.path) },
      counts: { ...demo.counts, reference: at(demo.counts.reference) },
      model: { pack: at(demo.model.pack) },
      generation: { temperatures: [1.0], chunkRows: 1000 },
      evaluate: { enabled: false },
      execution: { ...execution },
    }),
  );
  return file;
}

describe('tagflow runs and clean', () => {
  it('lists a published run, cleans it, and keepArtifacts: false cleans by itself', async () => {
    const kept = await runCli(['run', '--config', demoConfig('kept'), '--no-progress', '--no-ui'], {
      cwd: dir,
      env: embedded,
    });
    expect(kept.code, kept.stderr).toBe(0);
    const dropped = await runCli(
      [
        'run',
        '--config',
        demoConfig('dropped', { keepArtifacts: false }),
        '--no-progress',
        '--no-ui',
      ],
      { cwd: dir, env: embedded },
    );
    expect(dropped.code, dropped.stderr).toBe(0);
    expect(existsSync(join(dir, 'out', 'dropped', 'README.md'))).toBe(true);
    expect(existsSync(join(dir, '.tagflow/artifacts/runs/dropped'))).toBe(false);

    const listed = await runCli(['runs'], { cwd: dir, env: embedded });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(
      /^kept {2}[\d.]+ [KM]B in \d+ files, last written \S+ {2}published to file:\/\/.*\/out\/kept$/m,
    );
    expect(listed.stdout).not.toMatch(/^dropped/m);

    const refused = await runCli(['clean', 'nope'], { cwd: dir, env: embedded });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^tagflow: no run "nope" in the artifact store .* \(it holds: kept\)$/m,
    );
    const cleaned = await runCli(['clean', '--finished'], { cwd: dir, env: embedded });
    expect(cleaned.stdout).toMatch(/^removed 1 run \(kept\): [\d.]+ [KM]B freed$/m);
    expect(existsSync(join(dir, '.tagflow/artifacts/runs/kept'))).toBe(false);
    expect(existsSync(join(dir, 'out', 'kept', 'README.md'))).toBe(true); // the dataset stays
  }, 300_000);
});
