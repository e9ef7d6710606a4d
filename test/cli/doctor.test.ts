// `tagflow doctor` reports the cluster and one worker per queue, or says which queue has none.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/pipeline.js';
import { startTestWorkers, temporalSettings } from '../helpers/temporal.js';

const cluster = () => ({
  TEMPORAL_ADDRESS: temporalSettings().address,
  TEMPORAL_NAMESPACE: 'default',
});

describe('tagflow doctor', () => {
  let workers: Awaited<ReturnType<typeof startTestWorkers>>;
  beforeAll(async () => {
    workers = await startTestWorkers();
  });
  afterAll(async () => {
    await workers?.shutdown();
  });

  it('reports the cluster and the worker answering on each queue', async () => {
    const result = await runCli(['doctor', '--queue-prefix', workers.queuePrefix], {
      env: cluster(),
    });
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe(`temporal: ${temporalSettings().address} (namespace default)`);
    // The workers run in this test process: its pid answers on both queues.
    for (const [i, kind] of ['cpu', 'gpu'].entries()) {
      expect(lines[1 + i]).toMatch(
        new RegExp(
          `^ {2}${workers.queuePrefix}-${kind}: worker pid ${process.pid} on \\S+ \\(node ${process.version}, device cpu\\)$`,
        ),
      );
    }
  });

  it('takes the prefix from TAGFLOW_QUEUE_PREFIX too', async () => {
    const result = await runCli(['doctor'], {
      env: { ...cluster(), TAGFLOW_QUEUE_PREFIX: workers.queuePrefix },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`${workers.queuePrefix}-gpu: worker pid ${process.pid}`);
  });

  it('fails, naming the queue, when no worker serves it', async () => {
    const cpuOnly = await startTestWorkers({ queues: ['cpu'] });
    try {
      const result = await runCli(
        ['doctor', '--wait', '2', '--queue-prefix', cpuOnly.queuePrefix],
        {
          env: cluster(),
          timeoutMs: 60_000,
        },
      );
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(
        `no worker answered on ${cpuOnly.queuePrefix}-gpu within 2 s`,
      );
    } finally {
      await cpuOnly.shutdown();
    }
    const nobody = `nobody-${randomUUID().slice(0, 8)}`;
    const result = await runCli(['doctor', '--wait', '2', '--queue-prefix', nobody], {
      env: cluster(),
      timeoutMs: 60_000,
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`no worker answered on ${nobody}-cpu within 2 s`);
  });

  it('checks its own embedded server and worker without TEMPORAL_ADDRESS', async () => {
    const result = await runCli(['doctor'], {
      cwd: tempDir('doctor'),
      env: { TEMPORAL_ADDRESS: undefined, TAGFLOW_QUEUE_PREFIX: undefined },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^temporal: \S+:\d+ \(namespace default, embedded dev server\)$/m,
    );
    expect(result.stdout).toMatch(/^ {2}tagflow-cpu: worker pid \d+ on /m);
    expect(result.stdout).toMatch(/^ {2}tagflow-gpu: worker pid \d+ on /m);
  });
});
