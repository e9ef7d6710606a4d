// generation.minRowsPerTag on the real ConceptCaps model, through the workflow with real
// workers: a small latent job leaves many of the 200 tags in fewer than 50 rows; with
// minRowsPerTag: 50 every tag reaches 50 rows in the published dataset (as `datasets` loads it)
// or is named in report/coverage.json with a reason. The dataset is byte-identical whatever the
// chunking, and a rerun reuses every top-up part.
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunConfig } from '../../core/config.js';
import type { CoverageReport } from '../../core/dataset/index.js';
import type { RunInput, RunResult } from '../../core/run-types.js';
import { runWorkflowId } from '../../core/run-types.js';
import { taskQueueName } from '../../workflows/task-queues.js';
import { conceptcaps } from '../helpers/conceptcaps.js';
import { conceptcapsConfig, datasetDigest, readActivityLog, tempDir } from '../helpers/pipeline.js';
import { runPython } from '../helpers/python-datasets.js';
import { startTestWorkers, testClient } from '../helpers/temporal.js';

const MIN_ROWS = 50;

describe('tag coverage (ConceptCaps)', () => {
  let workers: Awaited<ReturnType<typeof startTestWorkers>>;
  let session: Awaited<ReturnType<typeof testClient>>;
  const dir = tempDir('coverage');
  const activityLog = join(dir, 'activities.jsonl');

  beforeAll(async () => {
    process.env.TAGFLOW_ACTIVITY_LOG = activityLog;
    workers = await startTestWorkers();
    session = await testClient();
  });
  afterAll(async () => {
    delete process.env.TAGFLOW_ACTIVITY_LOG;
    await workers?.shutdown();
    await session?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A small latent job: 3,000 rows over three temperatures, with minRowsPerTag. */
  function config(name: string, chunkRows: number, maxParallelChunks: number, minRows = MIN_ROWS) {
    return conceptcapsConfig(name, dir, {
      generation: {
        temperatures: [0.5, 1, 2],
        seeded: { enabled: false },
        latent: { rows: 3000 },
        chunkRows,
        minRowsPerTag: minRows,
      },
      execution: { maxParallelChunks },
    });
  }

  async function run(config: RunConfig): Promise<RunResult> {
    const handle = await session.client.workflow.start('generateDataset', {
      taskQueue: taskQueueName('cpu', workers.queuePrefix),
      workflowId: runWorkflowId(config.name),
      args: [{ runId: config.name, config, queuePrefix: workers.queuePrefix } satisfies RunInput],
    });
    return handle.result();
  }

  let first: RunConfig;
  let result: RunResult;

  it('gives every tag 50 rows, or names it with a reason, in a dataset datasets loads', async () => {
    first = await config(`cc-cover-${randomUUID().slice(0, 8)}`, 1000, 4);
    result = await run(first);
    const coverage = result.coverage!;
    expect(coverage.minRowsPerTag).toBe(MIN_ROWS);
    expect(coverage.tagsShort).toBeGreaterThan(20);
    expect(coverage.rowsAdded).toBeGreaterThan(500);
    const folder = fileURLToPath(result.target);
    const report = JSON.parse(
      readFileSync(join(folder, 'report', 'coverage.json'), 'utf8'),
    ) as CoverageReport;
    expect(report.rowsAdded).toBe(coverage.rowsAdded);
    const checked = runPython<{
      rows: number;
      ids: number;
      modes: Record<string, number>;
      perTag: Record<string, number>;
    }>(
      `
import json, sys, collections
import datasets
ds = datasets.load_dataset(sys.argv[1])
rows = [r for split in ds.values() for r in split]
modes = collections.Counter(r["mode"] for r in rows)
per_tag = collections.Counter(t for r in rows for t in set(r["aspect_list"]))
# A coverage row's first tag is the tag it tops up.
assert all(r["aspect_list"][0] in per_tag for r in rows if r["mode"] == "coverage")
print(json.dumps({"rows": len(rows), "ids": len({r["id"] for r in rows}), "modes": modes, "perTag": per_tag}))
`,
      [folder],
    );
    expect(checked.rows).toBe(result.rowsUnique);
    expect(checked.ids).toBe(checked.rows);
    expect(checked.modes).toEqual({
      latent: result.rowsUnique - coverage.rowsAdded,
      coverage: coverage.rowsAdded,
    });
    const taxonomy = JSON.parse(
      readFileSync(conceptcaps('concepts_to_tags.json'), 'utf8'),
    ) as Record<string, string[]>;
    const unreached = new Map(report.tags.filter((t) => !t.reached).map((t) => [t.tag, t]));
    for (const tag of Object.values(taxonomy).flat()) {
      const rows = checked.perTag[tag] ?? 0;
      const named = unreached.get(tag);
      if (named) {
        expect(rows).toBe(named.after);
        expect(named.reason).toMatch(/conditioned on it gave/);
      } else {
        expect(rows, tag).toBeGreaterThanOrEqual(MIN_ROWS);
      }
    }
    const card = readFileSync(join(folder, 'README.md'), 'utf8');
    expect(card).toContain('### Tag coverage');
    expect(card).toContain(
      `| rows added for tag coverage | ${String(coverage.rowsAdded).replace(/\B(?=(\d{3})+(?!\d))/g, ',')} (every tag in ≥ ${MIN_ROWS} rows`,
    );
  }, 300_000);

  it('is byte-identical under another chunking and retries, and a rerun reuses every top-up part', async () => {
    // Every coverage activity fails once and is retried.
    process.env.TAGFLOW_FAULTS = 'coverTags,generateCoverage';
    const retriedFrom = Date.now();
    let other: RunResult;
    try {
      other = await run(await config(`cc-cover-${randomUUID().slice(0, 8)}`, 350, 2));
    } finally {
      delete process.env.TAGFLOW_FAULTS;
    }
    expect(other.coverage).toEqual(result.coverage);
    expect(datasetDigest(other.target)).toEqual(datasetDigest(result.target));
    const retried = readActivityLog(activityLog).filter((l) => l.at >= retriedFrom);
    const coverage = ['coverTags', 'generateCoverage'];
    for (const activity of coverage)
      expect(retried.some((l) => l.activity === activity && l.attempt === 2)).toBe(true);
    // Attempts 1 failed before doing anything.
    expect(retried.some((l) => coverage.includes(l.activity) && l.attempt === 1)).toBe(false);

    const startedAt = Date.now();
    const again = await run(first);
    expect(datasetDigest(again.target)).toEqual(datasetDigest(result.target));
    const parts = readActivityLog(activityLog).filter(
      (l) => l.activity === 'generateCoverage' && l.at >= startedAt,
    );
    expect(parts.length).toBeGreaterThan(0);
    expect(parts.every((l) => l.event === 'reused')).toBe(true);
  }, 300_000);

  it('leaves every other row in its split: without the coverage rows it is the run without coverage', async () => {
    const plain = await run(await config(`cc-plain-${randomUUID().slice(0, 8)}`, 1000, 4, 0));
    expect(plain.coverage).toBeUndefined();
    expect(plain.rowsUnique).toBe(result.rowsUnique - result.coverage!.rowsAdded);
    const same = runPython<boolean>(
      `
import json, sys
import datasets
covered, plain = (datasets.load_dataset(p) for p in sys.argv[1:])
print(json.dumps(all(
    [r["id"] for r in covered[s] if r["mode"] != "coverage"] == [r["id"] for r in plain[s]]
    for s in ("train", "validation", "test"))))
`,
      [fileURLToPath(result.target), fileURLToPath(plain.target)],
    );
    expect(same).toBe(true);
  }, 300_000);
});
