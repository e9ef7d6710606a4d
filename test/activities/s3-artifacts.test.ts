// The activities with `artifacts: s3://…` and `output.target: s3://…`, against a real
// S3-compatible server (moto): a demo run publishes the dataset a run on local folders
// publishes, a chunk killed part-way resumes on another worker (another cache) from the parts
// in the bucket, and a finished chunk is reused.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChunkHeartbeat } from '../../activities/chunk-runner.js';
import { evaluate } from '../../activities/evaluate.js';
import { artifactStore, clearRunInputCaches } from '../../activities/run-inputs.js';
import { verifyPublished } from '../../cli/verify.js';
import { NON_RETRYABLE_ERROR_TYPES } from '../../core/errors.js';
import { listRunFolders, runKey, S3Bucket } from '../../core/io/index.js';
import { planRunGeneration } from '../../core/plan.js';
import { type ChunkJob, chunkJobBase } from '../../core/run-types.js';
import { freePort } from '../../infra/dev-server.js';
import {
  activities,
  demoRunThrough,
  inActivity,
  publishDemoRun,
} from '../helpers/demo-activities.js';
import { demoConfig, tempDir } from '../helpers/pipeline.js';
import { useS3Server } from '../helpers/s3-server.js';

const s3 = useS3Server();
let bucket: string;

beforeAll(async () => {
  bucket = await s3.server.createBucket();
  process.env.TAGFLOW_CACHE_DIR = tempDir('s3-worker-a');
});
afterEach(() => {
  delete process.env.TAGFLOW_FAULTS;
});

/** This process becomes another worker: a cache of its own, nothing remembered. */
function switchWorker(name: string) {
  process.env.TAGFLOW_CACHE_DIR = tempDir(`s3-${name}`);
  clearRunInputCaches();
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('activities on an S3 artifact store', () => {
  it('fail the first stage for good on a missing bucket, and retryably on an unreachable endpoint', async () => {
    const dir = tempDir('s3-prepare');
    const missing = demoConfig('prepare-missing', dir, {
      artifacts: 's3://tagflow-missing-bucket/artifacts',
    });
    const gone = await inActivity(activities.prepareRun, [
      { runId: 'prepare-missing', config: missing },
    ]).catch((e) => e);
    expect(NON_RETRYABLE_ERROR_TYPES).toContain(gone.name);
    expect(gone.message).toMatch(/bucket "tagflow-missing-bucket" does not exist/);

    const endpoint = process.env.AWS_ENDPOINT_URL_S3;
    process.env.AWS_ENDPOINT_URL_S3 = `http://127.0.0.1:${await freePort()}`;
    try {
      const config = demoConfig('prepare-down', dir, {
        artifacts: `s3://${bucket}/unreachable`,
      });
      const down = await inActivity(activities.prepareRun, [
        { runId: 'prepare-down', config },
      ]).catch((e) => e);
      expect(NON_RETRYABLE_ERROR_TYPES).not.toContain(down.name);
      expect(down.message).toMatch(
        /cannot write .* at http:\/\/127\.0\.0\.1:\d+ \(AWS_ENDPOINT_URL_S3\): .*ECONNREFUSED/,
      );
    } finally {
      process.env.AWS_ENDPOINT_URL_S3 = endpoint;
      clearRunInputCaches();
    }
  });

  it('publish to S3 the dataset a run on local folders publishes', async () => {
    const local = await demoRunThrough('split');
    await inActivity(evaluate, [{ runId: local.runId, config: local.config }]);
    await publishDemoRun(local);

    const target = `s3://${bucket}/datasets/demo`;
    const remote = await demoRunThrough('split', {
      artifacts: `s3://${bucket}/artifacts`,
      output: { target },
    });
    await inActivity(evaluate, [{ runId: remote.runId, config: remote.config }]);
    const published = await publishDemoRun(remote);
    expect(published.target).toBe(target);
    // Nothing of the run on this machine's disk but the cache.
    expect(existsSync(join(remote.dir, 'artifacts'))).toBe(false);

    const dataset = new S3Bucket({ bucket, prefix: 'datasets/demo' }, 'dataset');
    const localDir = fileURLToPath(local.config.output.target!);
    const dataFiles = readdirSync(join(localDir, 'data')).sort();
    expect(dataFiles.length).toBeGreaterThan(0);
    for (const name of dataFiles) {
      const remoteBytes = await dataset.read(`data/${name}`);
      expect(remoteBytes && sha256(remoteBytes), name).toBe(
        sha256(readFileSync(join(localDir, 'data', name))),
      );
    }
    const keys = (await dataset.list('')).map((o) => o.key);
    expect(keys).toContain('report/metrics.json');
    expect(keys).toContain('.tagflow-dataset.json');
    expect(keys).not.toContain('.tagflow-publishing.json');
    const lines: string[] = [];
    await verifyPublished(target, { print: (l) => lines.push(l) });
    expect(lines).toEqual([`verified: ${keys.length - 1} files`]);

    const store = artifactStore(remote.config.artifacts);
    const runs = await listRunFolders(store);
    expect(runs.find((r) => r.runId === remote.runId)?.published).toBe(target);
    // After a cancelled run (or with keepArtifacts: false) the run's objects go, the dataset stays.
    await inActivity(activities.cleanupRun, [{ runId: remote.runId, config: remote.config }]);
    expect((await listRunFolders(store)).map((r) => r.runId)).not.toContain(remote.runId);
    expect(await dataset.list('')).toHaveLength(keys.length);
  }, 120_000);

  it('generate with a model pack kept in the store, as a trained pack is, from the cache', async () => {
    switchWorker('pack');
    const run = await demoRunThrough('counts', { artifacts: `s3://${bucket}/packs` });
    const store = artifactStore(run.config.artifacts);
    const packKey = runKey(run.runId, 'model');
    cpSync(run.config.model.pack, store.writePath(packKey), { recursive: true });
    await store.commit(packKey);
    const [chunk] = planRunGeneration(run.config.generation, run.loaded!.catalogue.rows).flatMap(
      (t) => t.chunks,
    );
    const base = { ...chunkJobBase(run.runId, run.config), chunk };
    const fromFolder = await inActivity(activities.generateSeededChunk, [base]);
    const onS3 = {
      ...base,
      modelPack: store.location(packKey),
      chunk: { ...chunk, key: `s3-${chunk.key}` },
    };
    expect(onS3.modelPack).toBe(`s3://${bucket}/packs/runs/${run.runId}/model`);
    switchWorker('pack-b');
    const fromS3 = await inActivity(activities.generateSeededChunk, [onS3]);
    expect(fromS3.sha256).toBe(fromFolder.sha256);
    expect(readdirSync(join(process.env.TAGFLOW_CACHE_DIR!))).toHaveLength(1);
  }, 120_000);

  it('resume a chunk on another worker from the parts in the bucket, and reuse a finished one', async () => {
    switchWorker('a');
    const run = await demoRunThrough('counts', { artifacts: `s3://${bucket}/resume` });
    const [full] = planRunGeneration(run.config.generation, run.loaded!.catalogue.rows).flatMap(
      (t) => t.chunks.filter((c) => c.mode === 'seeded'),
    );
    const job = (key: string): ChunkJob => ({
      ...chunkJobBase(run.runId, run.config),
      batchSize: 16,
      checkpointSeconds: 0,
      chunk: { ...full, key },
    });
    const reference = await inActivity(activities.generateSeededChunk, [job(full.key)]);

    const key = full.key.replace('.arrow', '-resumed.arrow');
    process.env.TAGFLOW_FAULTS = 'generateSeededChunk@3';
    const first = new MockActivityEnvironment(
      { attempt: 1 },
      { logger: new DefaultLogger('ERROR') },
    );
    const beats: ChunkHeartbeat[] = [];
    first.on('heartbeat', (d: ChunkHeartbeat) => beats.push(d));
    await expect(first.run(activities.generateSeededChunk, job(key))).rejects.toThrow(
      /injected fault/,
    );
    delete process.env.TAGFLOW_FAULTS;
    const store = artifactStore(run.config.artifacts);
    expect(await store.list(runKey(run.runId, `${key}.parts`))).toHaveLength(3);

    switchWorker('b');
    const second = new MockActivityEnvironment({ attempt: 2, heartbeatDetails: beats.at(-1) });
    const resumed = await second.run(activities.generateSeededChunk, job(key));
    expect(resumed).toMatchObject({ resumedBatches: 3, reused: false, sha256: reference.sha256 });
    expect(
      await artifactStore(run.config.artifacts).list(runKey(run.runId, `${key}.parts`)),
    ).toEqual([]);

    switchWorker('c');
    const again = await inActivity(activities.generateSeededChunk, [job(key)]);
    expect(again).toMatchObject({ reused: true, sha256: reference.sha256, rows: reference.rows });
  }, 120_000);
});
