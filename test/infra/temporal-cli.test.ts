import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  findTemporalCli,
  installTemporalCli,
  localCliPath,
  TemporalCliError,
} from '../../infra/temporal-cli.mjs';

function fakeBinary(dir: string, name = 'temporal'): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, '#!/bin/sh\necho temporal version 0.0.0-fake\n');
  chmodSync(path, 0o755);
  return path;
}

describe('Temporal CLI lookup', () => {
  const root = mkdtempSync(join(tmpdir(), 'tagflow-cli-root-'));
  const onPathDir = mkdtempSync(join(tmpdir(), 'tagflow-cli-path-'));
  const onPath = fakeBinary(onPathDir);

  it('finds the binary on PATH when nothing else is there', () => {
    expect(findTemporalCli({ root, env: { PATH: onPathDir } })).toEqual({
      path: onPath,
      source: 'PATH',
    });
  });

  it('prefers the project-local install over PATH', () => {
    const projectRoot = mkdtempSync(join(tmpdir(), 'tagflow-cli-root-'));
    const local = localCliPath(projectRoot);
    fakeBinary(join(local, '..'));
    expect(findTemporalCli({ root: projectRoot, env: { PATH: onPathDir } })).toEqual({
      path: local,
      source: 'project',
    });
  });

  it('prefers TEMPORAL_CLI_PATH over everything', () => {
    const explicit = fakeBinary(mkdtempSync(join(tmpdir(), 'tagflow-cli-env-')), 'my-temporal');
    expect(
      findTemporalCli({ root, env: { PATH: onPathDir, TEMPORAL_CLI_PATH: explicit } }),
    ).toEqual({
      path: explicit,
      source: 'TEMPORAL_CLI_PATH',
    });
  });

  it('rejects a TEMPORAL_CLI_PATH that is not executable, naming it', () => {
    expect(() =>
      findTemporalCli({ root, env: { TEMPORAL_CLI_PATH: '/nonexistent/temporal' } }),
    ).toThrow(/TEMPORAL_CLI_PATH points to \/nonexistent\/temporal/);
  });

  it('finds nothing when nothing is there', () => {
    expect(findTemporalCli({ root, env: { PATH: '' } })).toBeUndefined();
  });

  it('explains what to do when there is neither a binary nor pip', () => {
    const env = { PATH: '', TAGFLOW_PYTHON: '/nonexistent/python' };
    expect(() => installTemporalCli({ root, env, log: () => {} })).toThrow(TemporalCliError);
    expect(() => installTemporalCli({ root, env, log: () => {} })).toThrow(
      /no Python with pip.*TEMPORAL_CLI_PATH.*TEMPORAL_ADDRESS/s,
    );
  });
});
