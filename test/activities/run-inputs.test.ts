import { copyFileSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  artifactStore,
  clearRunInputCaches,
  RUN_FILES,
  runCatalogue,
  runCountModel,
  runSeededCounts,
  runTaxonomy,
} from '../../activities/run-inputs.js';
import { readCatalogue } from '../../core/inputs/index.js';
import { runKey } from '../../core/io/index.js';
import { demoRunThrough } from '../helpers/demo-activities.js';
import { REPO_ROOT, tempDir } from '../helpers/pipeline.js';

const demoTaxonomy = join(REPO_ROOT, 'data/demo/taxonomy.json');

describe('run inputs', () => {
  it('reads back the catalogue, counts and count model the first stages wrote', async () => {
    const run = await demoRunThrough('counts');
    const taxonomy = runTaxonomy(run.config.taxonomy);
    const catalogue = await runCatalogue(run.store, run.runId, taxonomy);
    const source = await readCatalogue({ path: run.config.catalogue.path, taxonomy });
    expect(catalogue.ids).toEqual(source.ids);
    expect(catalogue.tags.map((t) => Array.from(t))).toEqual(source.tags.map((t) => Array.from(t)));

    const counts = await runSeededCounts(run.store, run.runId, taxonomy);
    const C = taxonomy.categories.length;
    expect(counts).toHaveLength(catalogue.ids.length * C);
    expect(await runCountModel(run.store, run.runId)).toEqual(
      await run.store.readJson(runKey(run.runId, RUN_FILES.countModel)),
    );
  });

  it('caches per file, and sees a rewritten file', () => {
    const dir = tempDir('run-inputs');
    const path = join(dir, 'taxonomy.json');
    copyFileSync(demoTaxonomy, path);
    const first = runTaxonomy(path);
    expect(runTaxonomy(path)).toBe(first);

    const taxonomy = JSON.parse(readFileSync(path, 'utf8'));
    taxonomy.genre.push('polka');
    writeFileSync(path, JSON.stringify(taxonomy));
    utimesSync(path, new Date(), new Date(Date.now() + 5000));
    const second = runTaxonomy(path);
    expect(second).not.toBe(first);
    expect(second.size).toBe(first.size + 1);

    clearRunInputCaches();
    expect(runTaxonomy(path)).not.toBe(second);
    expect(artifactStore(dir)).toBe(artifactStore(dir));
  });

  it('names a count model file that is not a count model', async () => {
    const run = await demoRunThrough('prepare');
    await run.store.writeJson(runKey(run.runId, RUN_FILES.countModel), { kind: 'nonsense' });
    await expect(runCountModel(run.store, run.runId)).rejects.toThrow(
      run.store.path(runKey(run.runId, RUN_FILES.countModel)),
    );
  });
});
