// `tagflow worker` as its own process: the queues it serves, where its prefix comes from, and
// clear refusals of a missing cluster or an unknown queue.

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runCli, TAGFLOW_BIN, waitUntil } from '../helpers/pipeline.js';
import { temporalSettings } from '../helpers/temporal.js';

describe('tagflow worker', () => {
  it('serves <TAGFLOW_QUEUE_PREFIX>-cpu and -gpu by default, and doctor finds it there', async () => {
    const prefix = `envprefix-${randomUUID().slice(0, 8)}`;
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: temporalSettings().address,
      TAGFLOW_QUEUE_PREFIX: prefix,
    };
    const child = spawn(process.execPath, [TAGFLOW_BIN, 'worker', '--shutdown-grace', '1'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (d) => {
      output += d;
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await waitUntil(() => output.includes('serving'), 60_000, 'the worker to start');
      expect(output).toContain(`serving ${prefix}-cpu, ${prefix}-gpu on ${env.TEMPORAL_ADDRESS}`);
      expect(output).toContain(`pid ${child.pid})`);
      const doctor = await runCli(['doctor'], { env });
      expect(doctor.code, doctor.stderr).toBe(0);
      expect(doctor.stdout).toContain(`${prefix}-cpu: worker pid ${child.pid}`);
      expect(doctor.stdout).toContain(`${prefix}-gpu: worker pid ${child.pid}`);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, output).toBe(0);
    expect(output).toContain('SIGTERM received, shutting down');
  });

  it('refuses to start without a cluster, or with an unknown queue', async () => {
    const alone = await runCli(['worker'], { env: { TEMPORAL_ADDRESS: undefined } });
    expect(alone.code).not.toBe(0);
    expect(alone.stderr).toContain('tagflow worker needs a cluster: set TEMPORAL_ADDRESS');
    const typo = await runCli(['worker', '--queues', 'cpu,tpu'], {
      env: { TEMPORAL_ADDRESS: temporalSettings().address },
    });
    expect(typo.code).not.toBe(0);
    expect(typo.stderr).toContain('unknown queue "tpu"');
  });
});
