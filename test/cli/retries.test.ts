// Transient failures as the terminal shows them: one line per failed attempt with its cause
// and the wait before the next, and an unreachable Hub target that fails the run after the
// publish stage's bounded attempts, with the last cause (cli/retry-lines.ts, the publish
// retry policy in workflows/generate-dataset.ts).
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { retryLine } from '../../cli/retry-lines.js';
import { freePort } from '../../infra/dev-server.js';
import { REPO_ROOT, runCli, tempDir } from '../helpers/pipeline.js';

const dir = tempDir('retries');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('retryLine', () => {
  const failure = {
    message: 'Activity task failed',
    cause: { message: 'fetch failed (connect ECONNREFUSED 127.0.0.1:1)\n    at stack' },
  };
  it('names the activity, the failed attempt, its root cause and the wait', () => {
    const now = 1_000_000;
    const line = retryLine(
      {
        activityType: { name: 'publish' },
        attempt: 4,
        maximumAttempts: 5,
        lastFailure: failure,
        nextAttemptScheduleTime: { seconds: 1008, nanos: 0 },
      },
      now,
    );
    expect(line).toBe(
      'publish: attempt 3 of 5 failed: fetch failed (connect ECONNREFUSED 127.0.0.1:1); retrying in 8 s',
    );
  });
  it('says nothing of a first attempt', () => {
    expect(retryLine({ activityType: { name: 'publish' }, attempt: 1 })).toBeUndefined();
  });
});

describe('an unreachable hf:// target', () => {
  it('prints each retry and fails after the bounded attempts with the last cause', async () => {
    const cwd = join(dir, 'hub');
    mkdirSync(cwd, { recursive: true });
    // A port nothing listens on: connections are refused.
    const port = await freePort();
    const started = Date.now();
    const result = await runCli(
      [
        'run',
        '--config',
        join(REPO_ROOT, 'data', 'demo', 'run.yaml'),
        '--target',
        'hf://datasets/me/unreachable',
        '--no-progress',
        '--no-ui',
      ],
      {
        cwd,
        env: {
          TEMPORAL_ADDRESS: undefined,
          TAGFLOW_FAULTS: undefined,
          HF_ENDPOINT: `http://127.0.0.1:${port}`,
          HF_TOKEN: 'hf_not_a_real_token',
        },
        timeoutMs: 120_000,
      },
    );
    expect(result.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(90_000);
    for (const [attempt, wait] of [
      [1, 2],
      [2, 4],
      [3, 8],
      [4, 16],
    ]) {
      expect(result.stdout).toMatch(
        new RegExp(
          `^publish: attempt ${attempt} of 5 failed: Hugging Face Hub unreachable .*ECONNREFUSED.*; retrying in (${wait}|${wait - 1}) s$`,
          'm',
        ),
      );
    }
    expect(result.stdout).not.toMatch(/attempt 5 of 5 failed/);
    expect(result.stderr).toMatch(/^tagflow: Hugging Face Hub unreachable .*ECONNREFUSED/m);
    expect(result.stderr).toContain('publish: no attempts left');
    expect(result.stdout + result.stderr).not.toMatch(/\n\s+at |\[WARN\]/);
  }, 150_000);
});
