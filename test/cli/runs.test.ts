// `tagflow runs`, `tagflow clean` and `execution.keepArtifacts: false`, as a user runs them,
// on a local artifact folder and on an S3 bucket (a real S3-compatible server, moto).
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { freePort } from '../../infra/dev-server.js';
import { REPO_ROOT, runCli, tempDir } from '../helpers/pipeline.js';
import { useS3Server } from '../helpers/s3-server.js';

const s3 = useS3Server();

const dir = tempDir('runs-cli');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const embedded = {
  TEMPORAL_ADDRESS: undefined,
  TAGFLOW_ACTIVITY_LOG: undefined,
  TAGFLOW_FAULTS: undefined,
};

/** The demo, small, under another name, with its inputs' absolute paths. */
function demoConfig(
  name: string,
  execution: Record<string, unknown> = {},
  places: Record<string, unknown> = {},
): string {
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
      ...places,
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

  it('run, list, verify and clean runs whose artifacts and dataset are in S3', async () => {
    const bucket = await s3.server.createBucket();
    const artifacts = `s3://${bucket}/tagflow/artifacts`;
    const target = `s3://${bucket}/datasets/on-s3`;
    const ran = await runCli(
      [
        'run',
        '--config',
        demoConfig('on-s3', {}, { artifacts, output: { target } }),
        '--no-progress',
        '--no-ui',
      ],
      { cwd: dir, env: embedded },
    );
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain(`dataset: ${target}`);
    expect(ran.stderr).not.toMatch(/Warning|\[WARN\]/);

    const listed = await runCli(['runs', '--artifacts', artifacts], { cwd: dir, env: embedded });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(
      new RegExp(
        `^on-s3 {2}[\\d.]+ [KM]B in \\d+ files, last written \\S+ {2}published to ${target}$`,
        'm',
      ),
    );
    const verified = await runCli(['verify', target], { cwd: dir, env: embedded });
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^verified: \d+ files$/m);

    const cleaned = await runCli(['clean', '--finished', '--artifacts', artifacts], {
      cwd: dir,
      env: embedded,
    });
    expect(cleaned.stdout).toMatch(/^removed 1 run \(on-s3\): [\d.]+ [KM]B freed$/m);
    const after = await runCli(['runs', '--artifacts', artifacts], { cwd: dir, env: embedded });
    expect(after.stdout).toBe(`no runs in ${artifacts}\n`);
    // The dataset stays.
    expect((await runCli(['verify', target], { cwd: dir, env: embedded })).code).toBe(0);
  }, 300_000);

  it('names a missing bucket, and an unreachable endpoint after retrying, without a stack trace', async () => {
    const missing = await runCli(['runs', '--artifacts', 's3://tagflow-no-such-bucket/x'], {
      cwd: dir,
      env: embedded,
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /^tagflow: artifact store s3:\/\/tagflow-no-such-bucket\/x: cannot list runs\/: the bucket "tagflow-no-such-bucket" does not exist at http:\/\/127\.0\.0\.1:\d+ \(AWS_ENDPOINT_URL_S3\) \(NoSuchBucket\)$/m,
    );
    const port = await freePort();
    const unreachable = await runCli(['clean', 'old-run', '--artifacts', 's3://some-bucket/x'], {
      cwd: dir,
      env: { ...embedded, AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}` },
    });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(
      new RegExp(
        `^tagflow: artifact store s3://some-bucket/x: cannot list runs/ at http://127\\.0\\.0\\.1:${port} \\(AWS_ENDPOINT_URL_S3\\): .*ECONNREFUSED.*, \\d attempts\\)$`,
        'm',
      ),
    );
    for (const r of [missing, unreachable]) expect(r.stderr).not.toMatch(/^\s+at /m);
  }, 60_000);
});
