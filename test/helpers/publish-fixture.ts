// A small run's worth of generated rows taken through dedupe and split, plus the card that
// describes them: the input every publish test starts from.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatasetCardInfo } from '../../core/dataset/index.js';
import {
  DEFAULT_SPLIT_RATIOS,
  type DedupeResult,
  dedupeGeneratedRows,
  type SplitResult,
  splitGeneratedRows,
} from '../../core/dataset/index.js';
import type { Taxonomy } from '../../core/inputs/index.js';
import type { GeneratedRow } from '../../core/rows/index.js';
import {
  conceptcapsCatalogue,
  conceptcapsTaxonomy,
  fixtureRows,
  NOTEBOOK_TEMPERATURES,
  writeFixtureFiles,
} from './generated-rows-fixture.js';

export interface SplitFixture {
  dir: string;
  taxonomy: Taxonomy;
  rows: GeneratedRow[];
  dedupe: DedupeResult;
  split: SplitResult;
  splitFiles: Record<'train' | 'validation' | 'test', string[]>;
  card: DatasetCardInfo;
}

/** `tracks` catalogue tracks × the notebook's 7 temperatures, seeded and latent. */
export async function splitFixture(tracks = 120, seed = 42): Promise<SplitFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'tagflow-publish-'));
  const taxonomy = conceptcapsTaxonomy();
  const rows = fixtureRows({
    taxonomy,
    catalogue: conceptcapsCatalogue(taxonomy).slice(0, tracks),
  });
  const inputs = await writeFixtureFiles(rows, join(dir, 'generated'), {
    rowsPerFile: 100,
    batchRows: 37,
  });
  const dedupe = await dedupeGeneratedRows({
    inputs,
    outputDir: join(dir, 'dedupe'),
    workDir: join(dir, 'work'),
  });
  const split = await splitGeneratedRows({
    inputs: dedupe.outputs.map((o) => o.path),
    outputDir: join(dir, 'split'),
    seed,
    ratios: DEFAULT_SPLIT_RATIOS,
  });
  const splitFiles = {
    train: split.outputs.train.map((o) => o.path),
    validation: split.outputs.validation.map((o) => o.path),
    test: split.outputs.test.map((o) => o.path),
  };
  const card: DatasetCardInfo = {
    name: 'tagflow-test-tags',
    runId: 'run-0001',
    seed,
    taxonomy: { hash: taxonomy.hash, categories: [...taxonomy.categories], tags: taxonomy.size },
    model: {
      provenance: { kind: 'pytorch-checkpoint', file: 'vae_final.pth' },
      summary: 'The ConceptCaps Beta-VAE.',
    },
    countModel: {
      kind: 'params',
      summary: 'The notebook’s log-normal marginals.',
      means: { tempo: 1.24, genre: 1.25, mood: 1.75, instrument: 1.96 },
    },
    temperatures: NOTEBOOK_TEMPERATURES,
    rowsGenerated: dedupe.rowsIn,
    rowsAfterDedupe: dedupe.rowsOut,
    splits: split.counts,
    toolVersion: '0.1.0',
    split: { ratios: DEFAULT_SPLIT_RATIOS, stratified: false },
    dedupeGroups: dedupe.groups,
  };
  return { dir, taxonomy, rows, dedupe, split, splitFiles, card };
}
