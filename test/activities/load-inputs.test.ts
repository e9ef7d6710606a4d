import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { loadInputs } from '../../activities/load-inputs.js';
import { ValidationError } from '../../core/errors.js';
import { loadTaxonomy } from '../../core/inputs/index.js';
import { demoRunThrough, inActivity, runFolder } from '../helpers/demo-activities.js';
import { REPO_ROOT } from '../helpers/pipeline.js';

const demo = (file: string) => join(REPO_ROOT, 'data', 'demo', file);

describe('loadInputs', () => {
  it('writes the catalogue as Arrow in the run folder and summarises the inputs', async () => {
    const run = await demoRunThrough('load');
    const loaded = run.loaded!;
    const taxonomy = loadTaxonomy(demo('taxonomy.json'));
    const csvRows = readFileSync(demo('catalogue.csv'), 'utf8').trim().split('\n').length - 1;
    expect(loaded.taxonomy).toEqual({
      hash: taxonomy.hash,
      tags: taxonomy.size,
      categories: [...taxonomy.categories],
    });
    expect(loaded.catalogue.rows).toBe(csvRows);
    expect(loaded.catalogue.sha256).toBe(
      createHash('sha256')
        .update(readFileSync(demo('catalogue.csv')))
        .digest('hex'),
    );
    expect(loaded.catalogue.key).toBe(`runs/${run.runId}/catalogue.arrow`);
    const table = tableFromIPC(readFileSync(runFolder(run, 'catalogue.arrow')));
    expect(table.numRows).toBe(csvRows);
    expect(table.getChild('id')!.get(0)).toBe('demo_0001');
    const genre = table.getChild('genre_tags')!.get(0)!.toArray() as Uint16Array;
    expect(Array.from(genre)).toEqual([taxonomy.index.get('country')]);
    const meta = JSON.parse(readFileSync(join(REPO_ROOT, 'models/demo/model.json'), 'utf8'));
    expect(loaded.model.latentDim).toBe(meta.latentDim);
  });

  it('checks the config again, since it crossed a process boundary', async () => {
    const run = await demoRunThrough('prepare');
    const raw = structuredClone(run.config);
    raw.generation.temperatures = [1, -1];
    await expect(inActivity(loadInputs, [{ runId: run.runId, config: raw }])).rejects.toThrow(
      new RegExp(
        `run ${run.runId} config: invalid configuration\\n {2}generation\\.temperatures\\[1\\]`,
      ),
    );
  });

  it('refuses a seed category the taxonomy does not have, naming the categories it has', async () => {
    const run = await demoRunThrough('prepare', {
      generation: { seeded: { seedCategories: ['genre', 'decade'] } },
    });
    const err = await inActivity(loadInputs, [run]).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toBe(
      'generation.seeded.seedCategories: "decade" is not a taxonomy category (tempo, genre, mood, instrument)',
    );
  });

  it('refuses an empty catalogue for seeded generation, and accepts it for latent only', async () => {
    const run = await demoRunThrough('prepare');
    const empty = join(run.dir, 'empty.csv');
    writeFileSync(empty, `${readFileSync(demo('catalogue.csv'), 'utf8').split('\n')[0]}\n`);
    const config = { ...run.config, catalogue: { ...run.config.catalogue, path: empty } };
    await expect(inActivity(loadInputs, [{ runId: run.runId, config }])).rejects.toThrow(
      `catalogue ${empty}: has no rows`,
    );
    const latentOnly = {
      ...config,
      generation: {
        ...config.generation,
        seeded: { ...config.generation.seeded, enabled: false },
      },
    };
    const loaded = await inActivity(loadInputs, [{ runId: run.runId, config: latentOnly }]);
    expect(loaded.catalogue.rows).toBe(0);
  });
});
