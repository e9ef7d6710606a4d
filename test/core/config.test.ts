import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  loadRunConfig,
  NOTEBOOK_TEMPERATURES,
  parseRunConfig,
  resolveRunConfig,
} from '../../core/config.js';
import { ValidationError } from '../../core/errors.js';
import { REPO_ROOT, tempDir } from '../helpers/pipeline.js';

const minimal = {
  name: 'demo',
  taxonomy: 'taxonomy.json',
  catalogue: { path: 'catalogue.csv' },
  counts: { mode: 'fit', reference: 'corpus.csv' },
  model: { pack: '../models/demo' },
};

function issues(value: unknown): string {
  try {
    parseRunConfig(value, 'my.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as Error).message;
  }
  throw new Error('expected the config to be refused');
}

describe('parseRunConfig', () => {
  it('fills in the notebook defaults', () => {
    const config = parseRunConfig(minimal);
    expect(config.seed).toBe(42);
    expect(config.generation.temperatures).toEqual(NOTEBOOK_TEMPERATURES);
    expect(config.split).toEqual({ train: 0.9, validation: 0.05, test: 0.05, stratify: false });
    expect(config.catalogue.idColumn).toBe('id');
    expect(config.output.target).toBeUndefined();
  });

  it('names the source and every bad field with its path', () => {
    const message = issues({
      ...minimal,
      seed: 1.5,
      generation: { temperatures: [1, -2], batchSize: 0 },
      output: { target: 'gs://bucket' },
    });
    expect(message).toMatch(/^my\.yaml: invalid configuration/);
    expect(message).toContain('  seed: must be a whole number');
    expect(message).toContain('  generation.temperatures[1]: must be ≥ 0.001');
    expect(message).toContain('  generation.batchSize: must be > 0');
    expect(message).toContain('  output.target: must start with file://, hf://datasets/ or s3://');
  });

  it('refuses unknown keys, a bad name, and a missing required section', () => {
    expect(issues({ ...minimal, temperatures: [1] })).toMatch(/temperatures/);
    expect(issues({ ...minimal, name: '../escape' })).toMatch(/name: must be 1–100 characters/);
    const { model: _, ...noModel } = minimal;
    expect(issues(noModel)).toMatch(/^ {2}model: /m);
  });

  it('checks the split sums to 1 and that some generation mode is on', () => {
    expect(issues({ ...minimal, split: { train: 0.5, validation: 0.2, test: 0.2 } })).toMatch(
      /split: train \+ validation \+ test must sum to 1/,
    );
    expect(
      issues({
        ...minimal,
        generation: { seeded: { enabled: false }, latent: { enabled: false } },
      }),
    ).toMatch(/generation: enable seeded or latent generation/);
  });

  it('leaves tag coverage off under both presets and bounds minRowsPerTag', () => {
    expect(parseRunConfig(minimal).generation.minRowsPerTag).toBe(0);
    expect(parseRunConfig({ ...minimal, preset: 'notebook' }).generation.minRowsPerTag).toBe(0);
    expect(
      parseRunConfig({ ...minimal, generation: { minRowsPerTag: 250 } }).generation.minRowsPerTag,
    ).toBe(250);
    const bad = (minRowsPerTag: unknown) => issues({ ...minimal, generation: { minRowsPerTag } });
    expect(bad(-1)).toContain('  generation.minRowsPerTag: must be ≥ 0 (0 turns coverage off)');
    expect(bad(2.5)).toContain('  generation.minRowsPerTag: must be a whole number');
    expect(bad(10_001)).toContain('  generation.minRowsPerTag: must be ≤ 10000');
    expect(bad('lots')).toMatch(/ {2}generation\.minRowsPerTag: .*number/);
  });

  it('refuses params-mode counts with a non-positive mean', () => {
    expect(
      issues({
        ...minimal,
        counts: {
          mode: 'params',
          means: { genre: 0 },
          variances: {},
          maxCounts: {},
          correlation: [],
        },
      }),
    ).toMatch(/counts\.means\.genre: must be > 0/);
  });
});

describe('resolveRunConfig', () => {
  it('makes every path absolute against the base folder, leaving absolute ones alone', () => {
    const config = resolveRunConfig(
      parseRunConfig({
        ...minimal,
        catalogue: { path: '/data/catalogue.csv' },
        output: { target: 'file://out/x' },
      }),
      '/proj/configs',
    );
    expect(config.taxonomy).toBe('/proj/configs/taxonomy.json');
    expect(config.catalogue.path).toBe('/data/catalogue.csv');
    expect(config.model.pack).toBe('/proj/models/demo');
    expect(config.output.target).toBe(pathToFileURL('/proj/configs/out/x').href);
    expect(config.artifacts).toBe('/proj/configs/.tagflow/artifacts');
  });

  it('leaves hub targets and absolute file URLs as they are', () => {
    const hub = { ...minimal, output: { target: 'hf://datasets/me/tags' } };
    expect(resolveRunConfig(parseRunConfig(hub), '/p').output.target).toBe('hf://datasets/me/tags');
    const abs = { ...minimal, output: { target: 'file:///srv/my%20data' } };
    expect(resolveRunConfig(parseRunConfig(abs), '/p').output.target).toBe('file:///srv/my%20data');
  });

  it('leaves s3:// artifacts and targets as they are, and refuses malformed ones at parse time', () => {
    const s3 = {
      ...minimal,
      artifacts: 's3://team-bucket/tagflow/artifacts',
      output: { target: 's3://team-bucket/datasets/tags' },
    };
    const config = resolveRunConfig(parseRunConfig(s3), '/p');
    expect(config.artifacts).toBe('s3://team-bucket/tagflow/artifacts');
    expect(config.output.target).toBe('s3://team-bucket/datasets/tags');
    expect(issues({ ...minimal, artifacts: 's3://Team_Bucket/x' })).toContain(
      '  artifacts: "s3://Team_Bucket/x" has an invalid bucket name "Team_Bucket" (must be lowercase letters, digits, "." and "-", starting and ending with a letter or digit); expected s3://<bucket>/<prefix>',
    );
    expect(issues({ ...minimal, artifacts: 'gs://bucket/x' })).toContain(
      '  artifacts: must be a folder or s3://<bucket>/<prefix>',
    );
    expect(issues({ ...minimal, output: { target: 's3://bucket//x' } })).toMatch(
      /^ {2}output\.target: "s3:\/\/bucket\/\/x" has an empty, "\." or "\.\." folder in its prefix/m,
    );
  });
});

describe('loadRunConfig', () => {
  const dir = tempDir('config');

  it('resolves inputs against the file, derived folders against the working directory', () => {
    mkdirSync(join(dir, 'configs'), { recursive: true });
    const file = join(dir, 'configs', 'run.yaml');
    writeFileSync(file, stringify(minimal));
    const config = loadRunConfig(file, { seed: 9 }, '/work/here');
    expect(config.taxonomy).toBe(join(dir, 'configs', 'taxonomy.json'));
    expect(config.model.pack).toBe(join(dir, 'models', 'demo'));
    expect(config.artifacts).toBe('/work/here/.tagflow/artifacts');
    expect(config.output.target).toBe(pathToFileURL('/work/here/out/demo').href);
    expect(config.seed).toBe(9);
  });

  it('loads the bundled demo config', () => {
    const config = loadRunConfig(join(REPO_ROOT, 'data/demo/run.yaml'));
    expect(config.name).toBe('demo');
    expect(config.model.pack).toBe(join(REPO_ROOT, 'models/demo'));
  });

  it('names the file when it is missing, not YAML, or not a mapping', () => {
    const missing = join(dir, 'missing.yaml');
    expect(() => loadRunConfig(missing)).toThrow(`config ${missing}: cannot read file`);
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'name: [unclosed');
    expect(() => loadRunConfig(broken)).toThrow(`config ${broken}: not valid YAML/JSON`);
    const list = join(dir, 'list.yaml');
    writeFileSync(list, '- a\n- b\n');
    expect(() => loadRunConfig(list)).toThrow(/expected a mapping of settings/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, stringify({ ...minimal, seed: -1 }));
    expect(() => loadRunConfig(bad)).toThrow(
      new RegExp(`config ${bad}: invalid configuration\\n {2}seed`),
    );
  });
});
