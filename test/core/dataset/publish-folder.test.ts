import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { PublishedRowsEncoder } from '../../../core/dataset/dataset-rows.js';
import {
  defaultPublishTarget,
  parsePublishTarget,
  publishDataset,
} from '../../../core/dataset/publish-dataset.js';
import { DATASET_MARKER } from '../../../core/dataset/publish-folder.js';
import { RawGeneratedRows } from '../../../core/dataset/raw-generated-rows.js';
import { ValidationError } from '../../../core/errors.js';
import { readArrowBatches } from '../../../core/io/index.js';
import { type SplitFixture, splitFixture } from '../../helpers/publish-fixture.js';
import { runPython } from '../../helpers/python-datasets.js';

const LOAD_SCRIPT = `
import json, sys, datasets
ds = datasets.load_dataset(sys.argv[1])
out = {
  "splits": {name: ds[name].num_rows for name in ds},
  "features": {name: repr(f) for name, f in ds["train"].features.items()},
  "sequence_ok": all(ds["train"].features[c] == datasets.Sequence(datasets.Value("string"))
                     for c in ds["train"].column_names if c.endswith("_list") or c.endswith("_tags")),
  "first": {name: ds[name][0] for name in ds},
  "files": sorted(len(ds[name].cache_files) for name in ds),
}
print(json.dumps(out))
`;

/** The rows of a split's Arrow files as published values, in order. */
async function expectedRows(fixture: SplitFixture, split: 'train' | 'validation' | 'test') {
  const encoder = new PublishedRowsEncoder(fixture.taxonomy);
  const rows = [];
  for (const path of fixture.splitFiles[split]) {
    for await (const batch of readArrowBatches(path)) {
      const raw = new RawGeneratedRows(batch);
      for (let i = 0; i < raw.length; i++) rows.push(encoder.row(raw, i));
    }
  }
  return rows;
}

describe('publishing to a folder', () => {
  let fixture: SplitFixture;
  beforeAll(async () => {
    fixture = await splitFixture(120);
  });

  const publish = (target: string, overrides: Partial<Parameters<typeof publishDataset>[0]> = {}) =>
    publishDataset({
      target,
      splitFiles: fixture.splitFiles,
      taxonomy: fixture.taxonomy,
      card: fixture.card,
      workDir: join(fixture.dir, 'work'),
      ...overrides,
    });

  it('writes a dataset that datasets.load_dataset reads: splits, counts, features, rows', async () => {
    const folder = join(fixture.dir, 'out', 'tags');
    const result = await publish(pathToFileURL(folder).href);
    expect(result.splits).toEqual(fixture.split.counts);
    expect(readdirSync(join(folder, 'data')).sort()).toEqual([
      'test-00000-of-00001.parquet',
      'train-00000-of-00001.parquet',
      'validation-00000-of-00001.parquet',
    ]);
    const loaded = runPython<{
      splits: Record<string, number>;
      features: Record<string, string>;
      sequence_ok: boolean;
      first: Record<string, Record<string, unknown>>;
    }>(LOAD_SCRIPT, [folder]);
    expect(loaded.splits).toEqual(fixture.split.counts);
    expect(loaded.sequence_ok).toBe(true);
    expect(Object.keys(loaded.features)).toEqual([
      'id',
      'aspect_list',
      'original_aspect_list',
      'temperature',
      'mode',
      'source_id',
      'tempo_tags',
      'genre_tags',
      'mood_tags',
      'instrument_tags',
    ]);
    expect(loaded.features.temperature).toBe("Value('float64')");
    expect(loaded.features.source_id).toBe("Value('string')");
    for (const split of ['train', 'validation', 'test'] as const) {
      expect(loaded.first[split]).toEqual((await expectedRows(fixture, split))[0]);
    }
  });

  it('round-trips every row, latent rows included, and recomputes ids with the documented formula', async () => {
    const folder = join(fixture.dir, 'out', 'all-rows');
    await publish(pathToFileURL(folder).href);
    const readme = readFileSync(join(folder, 'README.md'), 'utf8');
    const snippet = /```python\n(import hashlib[\s\S]*?)```/.exec(readme)![1];
    const rows = runPython<Record<string, unknown>[]>(
      `
import json, sys, datasets
${snippet}
ds = datasets.load_dataset(sys.argv[1], split="train")
print(json.dumps([dict(r) for r in ds]))
`,
      [folder],
    );
    const expected = await expectedRows(fixture, 'train');
    expect(rows).toEqual(expected);
    expect(expected.some((r) => r.mode === 'latent' && r.source_id === null)).toBe(true);

    // The README's Python function gives the published id (row positions from the Arrow rows).
    const encoder = new PublishedRowsEncoder(fixture.taxonomy);
    const samples: unknown[] = [];
    for await (const batch of readArrowBatches(fixture.splitFiles.train[0])) {
      const raw = new RawGeneratedRows(batch);
      for (const i of [0, raw.length - 1]) {
        const row = encoder.row(raw, i);
        samples.push([
          row.mode,
          raw.temperatureIndex[i],
          raw.rowIndex[i],
          row.source_id,
          row.original_aspect_list,
          row.temperature,
          row.id,
        ]);
      }
      break;
    }
    const recomputed = runPython<boolean[]>(
      `
import json, sys
${snippet}
print(json.dumps([tagflow_id(*s[:6]) == s[6] for s in json.loads(sys.argv[1])]))
`,
      [JSON.stringify(samples)],
    );
    expect(recomputed).toEqual(samples.map(() => true));
  });

  it('writes a card whose YAML front matter describes the data and whose body says how it was made', async () => {
    const folder = join(fixture.dir, 'out', 'card');
    const result = await publish(pathToFileURL(folder).href);
    const readme = readFileSync(join(folder, 'README.md'), 'utf8');
    const front = parseYaml(/^---\n([\s\S]*?)\n---\n/.exec(readme)![1]);
    expect(front.license).toBe('cc-by-4.0');
    // 941 rows in this fixture.
    expect(fixture.dedupe.rowsOut).toBeLessThan(1000);
    expect(front.size_categories).toEqual(['n<1K']);
    expect(front.task_categories).toEqual(['text-to-audio']);
    expect(front.configs).toEqual([
      {
        config_name: 'default',
        data_files: [
          { split: 'train', path: 'data/train-*' },
          { split: 'validation', path: 'data/validation-*' },
          { split: 'test', path: 'data/test-*' },
        ],
      },
    ]);
    expect(front.dataset_info.splits.map((s: { num_examples: number }) => s.num_examples)).toEqual([
      fixture.split.counts.train,
      fixture.split.counts.validation,
      fixture.split.counts.test,
    ]);
    const parquetBytes = result.files
      .filter((f) => f.path.endsWith('.parquet'))
      .reduce((s, f) => s + f.bytes, 0);
    expect(front.dataset_info.download_size).toBe(parquetBytes);
    for (const needle of [
      fixture.taxonomy.hash,
      'run-0001',
      'vae_final.pth',
      '0.5, 0.75, 1, 1, 1.25, 1.5, 2',
      `| rows generated | ${fixture.dedupe.rowsIn.toLocaleString('en-US')} |`,
      `${fixture.dedupe.rowsOut.toLocaleString('en-US')} (${(fixture.dedupe.rowsIn - fixture.dedupe.rowsOut).toLocaleString('en-US')} dropped)`,
      'tagflow 0.1.0',
      '| seed | 42 |',
      '| instrument | 1.960 |',
    ]) {
      expect(readme).toContain(needle);
    }
    // datasets reads the num_bytes it finds against the data: close to its own measure.
    const measured = runPython<Record<string, number>>(
      `
import json, sys, datasets
ds = datasets.load_dataset(sys.argv[1])
print(json.dumps({n: ds[n].data.nbytes for n in ds}))
`,
      [folder],
    );
    for (const split of front.dataset_info.splits) {
      expect(Math.abs(split.num_bytes - measured[split.name]) / measured[split.name]).toBeLessThan(
        0.05,
      );
    }
  });

  it('gives byte-identical files for the same input, whatever the split files’ chunking', async () => {
    const a = await publish(pathToFileURL(join(fixture.dir, 'out', 'same-a')).href);
    const b = await publish(pathToFileURL(join(fixture.dir, 'out', 'same-b')).href);
    expect(b.files).toEqual(a.files);
    // The same rows split into many small Arrow files publish to the same bytes.
    const rechunked = await splitFixtureRechunked(fixture);
    const c = await publish(pathToFileURL(join(fixture.dir, 'out', 'same-c')).href, {
      splitFiles: rechunked,
    });
    expect(c.files).toEqual(a.files);
  });

  it('shards large splits by size, and the shards load as one split', async () => {
    const folder = join(fixture.dir, 'out', 'sharded');
    const result = await publish(pathToFileURL(folder).href, {
      maxShardBytes: 64 * 1024,
      rowGroupRows: 100,
    });
    const train = result.files.filter((f) => f.path.startsWith('data/train-')).map((f) => f.path);
    expect(train.length).toBeGreaterThan(2);
    train.forEach((path, i) => {
      expect(path).toBe(
        `data/train-${String(i).padStart(5, '0')}-of-${String(train.length).padStart(5, '0')}.parquet`,
      );
    });
    for (const file of result.files.filter((f) => f.path.endsWith('.parquet'))) {
      // A shard holds about maxShardBytes of Arrow data; Parquet is smaller still.
      expect(file.bytes).toBeLessThan(64 * 1024);
    }
    const loaded = runPython<{ splits: Record<string, number> }>(LOAD_SCRIPT, [folder]);
    expect(loaded.splits).toEqual(fixture.split.counts);
  });

  it('writes CSV copies in the notebook’s format that pandas and ast read back', async () => {
    const folder = join(fixture.dir, 'out', 'csv');
    await publish(pathToFileURL(folder).href, { csv: true });
    const rows = runPython<Record<string, unknown>[]>(
      `
import ast, json, sys, pandas as pd
df = pd.read_csv(sys.argv[1] + "/csv/validation.csv", keep_default_na=False)
out = []
for r in df.to_dict("records"):
    out.append({k: (ast.literal_eval(v) if k.endswith("_list") or k.endswith("_tags") else (None if v == "" else v)) for k, v in r.items()})
print(json.dumps(out))
`,
      [folder],
    );
    expect(rows).toEqual(await expectedRows(fixture, 'validation'));
  });

  it('copies extra files and appends extra sections', async () => {
    const folder = join(fixture.dir, 'out', 'extras');
    const source = join(fixture.dir, 'metrics.json');
    writeFileSync(source, '{"coverage": 0.97}\n');
    const result = await publish(pathToFileURL(folder).href, {
      card: {
        ...fixture.card,
        extraSections: [{ title: 'Evaluation', markdown: 'Coverage **0.97**.' }],
        extraFiles: [{ path: 'report/metrics.json', source }],
      },
    });
    expect(readFileSync(join(folder, 'report/metrics.json'), 'utf8')).toBe('{"coverage": 0.97}\n');
    expect(result.files.map((f) => f.path)).toContain('report/metrics.json');
    expect(readFileSync(join(folder, 'README.md'), 'utf8')).toContain(
      '## Evaluation\n\nCoverage **0.97**.',
    );
    await expect(
      publish(pathToFileURL(join(fixture.dir, 'out', 'bad-extra')).href, {
        card: { ...fixture.card, extraFiles: [{ path: '../escape.json', source }] },
      }),
    ).rejects.toThrow(ValidationError);
  });

  it('replaces an earlier tagflow dataset and refuses any other folder', async () => {
    const folder = join(fixture.dir, 'out', 'replace');
    await publish(pathToFileURL(folder).href, { csv: true });
    expect(existsSync(join(folder, 'csv'))).toBe(true);
    await publish(pathToFileURL(folder).href);
    expect(existsSync(join(folder, 'csv'))).toBe(false);
    expect(existsSync(join(folder, DATASET_MARKER))).toBe(true);

    const foreign = join(fixture.dir, 'out', 'foreign');
    mkdirSync(foreign, { recursive: true });
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    await expect(publish(pathToFileURL(foreign).href)).rejects.toThrow(/not a tagflow dataset/);
    expect(readdirSync(foreign)).toEqual(['notes.txt']);
    expect(readdirSync(dirname(foreign)).filter((n) => n.includes('.tmp-'))).toEqual([]);

    // A marker that is there but not ours is called invalid, not missing.
    for (const [name, text, why] of [
      ['broken', '{"format": "tagflow-dat', /not readable JSON/],
      ['other', '{"format": "something-else"}', /does not say format "tagflow-dataset"/],
    ] as const) {
      const folder = join(fixture.dir, 'out', name);
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, DATASET_MARKER), text);
      const err = (await publish(pathToFileURL(folder).href).catch((e) => e)) as Error;
      expect(err).toBeInstanceOf(ValidationError);
      expect(err.message).toMatch(/has an invalid \.tagflow-dataset\.json/);
      expect(err.message).toMatch(why);
      expect(err.message).not.toMatch(/no \.tagflow-dataset\.json/);
      expect(readdirSync(folder)).toEqual([DATASET_MARKER]);
    }
  });

  it('leaves the target untouched when building fails or the parent cannot be written', async () => {
    const folder = join(fixture.dir, 'out', 'untouched');
    const first = await publish(pathToFileURL(folder).href);
    const before = readFileSync(join(folder, 'README.md'));
    const bad = { ...fixture.card, splits: { ...fixture.card.splits, train: 1 } };
    await expect(publish(pathToFileURL(folder).href, { card: bad })).rejects.toThrow(
      /split "train" has 1 rows, but its files hold/,
    );
    expect(readFileSync(join(folder, 'README.md')).equals(before)).toBe(true);
    expect(readdirSync(join(folder, 'data')).length).toBe(
      first.files.filter((f) => f.path.startsWith('data/')).length,
    );
    expect(
      readdirSync(dirname(folder)).filter((n) => n.includes('.tmp-') || n.includes('.old-')),
    ).toEqual([]);

    const blocker = join(fixture.dir, 'a-file');
    writeFileSync(blocker, 'not a folder');
    const err = (await publish(pathToFileURL(join(blocker, 'dataset')).href).catch(
      (e) => e,
    )) as Error;
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toContain(blocker);
  });

  it('parses targets', () => {
    expect(parsePublishTarget('file:///tmp/x')).toEqual({ kind: 'folder', dir: '/tmp/x' });
    expect(parsePublishTarget('hf://datasets/me/tags')).toEqual({ kind: 'hub', repo: 'me/tags' });
    expect(defaultPublishTarget('tags', '/work/here')).toBe('file:///work/here/out/tags');
    expect(parsePublishTarget('s3://bucket/x/y/')).toEqual({
      kind: 's3',
      url: 's3://bucket/x/y',
      bucket: 'bucket',
      prefix: 'x/y',
    });
    expect(() => parsePublishTarget('s3://b/x')).toThrow(/invalid bucket name "b"/);
    expect(() => parsePublishTarget('gs://bucket/x')).toThrow(ValidationError);
    expect(() => parsePublishTarget('hf://datasets/only-owner')).toThrow(ValidationError);
  });
});

/** The fixture's split rows rewritten as many small files with odd batch sizes. */
async function splitFixtureRechunked(fixture: SplitFixture) {
  const { GeneratedRowsView, GENERATED_ROWS_SCHEMA, GeneratedRowsBuilder } = await import(
    '../../../core/rows/index.js'
  );
  const { writeArrowFile } = await import('../../../core/io/index.js');
  const out: Record<'train' | 'validation' | 'test', string[]> = {
    train: [],
    validation: [],
    test: [],
  };
  for (const split of ['train', 'validation', 'test'] as const) {
    const rows = [];
    for (const path of fixture.splitFiles[split]) {
      for await (const batch of readArrowBatches(path)) {
        const view = new GeneratedRowsView(batch);
        for (let i = 0; i < view.length; i++) rows.push(view.row(i));
      }
    }
    for (let start = 0, n = 0; start < rows.length; start += 250, n++) {
      const batches = [];
      for (let b = start; b < Math.min(rows.length, start + 250); b += 13) {
        const builder = new GeneratedRowsBuilder(13);
        for (const row of rows.slice(b, Math.min(b + 13, start + 250))) builder.push(row);
        batches.push(builder.finish());
      }
      const path = join(fixture.dir, 'rechunked', split, `${n}.arrow`);
      await writeArrowFile(path, GENERATED_ROWS_SCHEMA, batches);
      out[split].push(path);
    }
  }
  return out;
}
