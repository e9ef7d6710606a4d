import { createHash } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { parse } from 'csv-parse/sync';
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

  it('refuses a category without a catalogue column unless the config opts it out', async () => {
    const run = await demoRunThrough('prepare');
    const [header, ...rows] = readFileSync(demo('catalogue.csv'), 'utf8').split('\n');
    const misspelt = join(run.dir, 'misspelt.csv');
    writeFileSync(misspelt, [header.replace('mood_tags', 'mood_tag'), ...rows].join('\n'));
    const withCatalogue = (path: string, tagColumns?: Record<string, string | null>) => ({
      runId: run.runId,
      config: { ...run.config, catalogue: { ...run.config.catalogue, path, tagColumns } },
    });
    const err = await inActivity(loadInputs, [withCatalogue(misspelt)]).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toBe(
      `catalogue ${misspelt}: no "mood_tags" column for category "mood" (columns: id, genre_tags, mood_tag, instrument_tags, tempo_tags, aspect_list; "mood_tag" looks like a misspelling of it) — rename the column, name it in catalogue.tagColumns (mood: <column>), or say the file has no mood tags with catalogue.tagColumns: {mood: null}`,
    );
    // A column no name resembles is still an error: every category must have one.
    const noMood = join(run.dir, 'no-mood.json');
    const records = parse(readFileSync(demo('catalogue.csv')), { columns: true }) as Record<
      string,
      string
    >[];
    writeFileSync(noMood, JSON.stringify(records.map(({ mood_tags: _, ...rest }) => rest)));
    await expect(inActivity(loadInputs, [withCatalogue(noMood)])).rejects.toThrow(
      /no "mood_tags" column for category "mood" \(columns: id, genre_tags, instrument_tags, tempo_tags, aspect_list; the nearest name is "aspect_list"\)/,
    );
    const optedOut = await inActivity(loadInputs, [withCatalogue(noMood, { mood: null })]);
    expect(optedOut.catalogue.missingCategories).toEqual(['mood']);
    const mapped = await inActivity(loadInputs, [withCatalogue(misspelt, { mood: 'mood_tag' })]);
    expect(mapped.catalogue.missingCategories).toEqual([]);
  });

  it('checks count parameters against the taxonomy, naming the config fields', async () => {
    const run = await demoRunThrough('prepare', {
      generation: { corpus: demo('corpus.csv'), temperatures: [1], latent: { rows: 10 } },
    });
    const { tempo: _, ...means } = { tempo: 1.2, genre: 1.3, mood: 1.4, instrument: 1.5 };
    const config = {
      ...run.config,
      counts: {
        mode: 'params' as const,
        means,
        variances: { genre: 0.5, mood: 0.5, instrument: 0.5 },
        maxCounts: { genre: 4, mood: 4, instrument: 4 },
        correlation: [
          [1, 0, 0],
          [0, 1, 0],
          [0, 0, 1],
        ],
      },
    };
    await expect(inActivity(loadInputs, [{ runId: run.runId, config }])).rejects.toThrow(
      new ValidationError('counts.means.tempo: must be a positive number, got undefined'),
    );
  });

  it('tries the model pack on one row: a model.json that disagrees with its ONNX files fails', async () => {
    const run = await demoRunThrough('prepare');
    const pack = join(run.dir, 'pack');
    cpSync(join(REPO_ROOT, 'models', 'demo'), pack, { recursive: true });
    const meta = JSON.parse(readFileSync(join(pack, 'model.json'), 'utf8'));
    writeFileSync(join(pack, 'model.json'), JSON.stringify({ ...meta, latentDim: 8 }));
    const config = { ...run.config, model: { pack } };
    const err = await inActivity(loadInputs, [{ runId: run.runId, config }]).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toBe(
      `model pack ${pack}: encoder.onnx has output mu of width 16, but model.json's latentDim is 8`,
    );
  });
});
