// Stage 1: validate everything a run depends on, before any expensive work, and turn the
// source catalogue into Arrow (tags as global ids) in the run folder. A bad taxonomy, a
// catalogue with unknown tags or a category without a column, count parameters that do not
// fit the taxonomy, a model pack built for another taxonomy or that does not load and run as
// its model.json says (tried on one row), or an output target that cannot be written ends the
// run here, as a non-retryable failure.

import { basename } from 'node:path';
import { parseRunConfig, type RunConfig } from '../core/config.js';
import { countModelFromParams } from '../core/counts/index.js';
import {
  parsePublishTarget,
  preflightFolderTarget,
  preflightS3Target,
} from '../core/dataset/index.js';
import { classifyFsError, ValidationError } from '../core/errors.js';
import { checkModelPack } from '../core/generation/index.js';
import { loadTaxonomy, readCatalogue } from '../core/inputs/index.js';
import { runKey, writeArrowTable } from '../core/io/index.js';
import type { LoadSummary } from '../core/run-types.js';
import { readModelPackMeta } from '../models/model-pack.js';
import { logActivityEvent, maybeFailAtStart } from './instrumentation.js';
import { artifactStore, RUN_FILES, withModelPack } from './run-inputs.js';

export async function loadInputs(params: {
  runId: string;
  config: RunConfig;
}): Promise<LoadSummary> {
  try {
    return await load(params);
  } catch (err) {
    // A file that may not be read, or a folder where a file should be, stays so on a retry.
    throw classifyFsError(err, 'load');
  }
}

async function load({
  runId,
  config: raw,
}: {
  runId: string;
  config: RunConfig;
}): Promise<LoadSummary> {
  maybeFailAtStart('loadInputs');
  logActivityEvent({ activity: 'loadInputs', event: 'start' });
  // The config crossed a process boundary as JSON; check it again rather than trust it.
  const config = parseRunConfig(raw, `run ${runId} config`);
  const taxonomy = loadTaxonomy(config.taxonomy);

  for (const category of config.generation.seeded.seedCategories) {
    if (!taxonomy.categories.includes(category)) {
      throw new ValidationError(
        `generation.seeded.seedCategories: "${category}" is not a taxonomy category (${taxonomy.categories.join(', ')})`,
      );
    }
  }
  const concepts = config.generation.concepts;
  if (concepts && concepts.tags !== 'all') {
    concepts.tags.forEach((tag, i) => {
      if (!taxonomy.index.has(tag)) {
        throw new ValidationError(
          `generation.concepts.tags[${i}]: "${tag}" is not a tag of the taxonomy ${basename(config.taxonomy)}`,
        );
      }
    });
  }
  if (config.counts.mode === 'params') {
    countModelFromParams({ categories: [...taxonomy.categories], ...config.counts });
  }
  const meta = await withModelPack(config.model.pack, async (pack) => {
    const meta = readModelPackMeta(pack);
    await checkModelPack(pack, meta, taxonomy);
    return meta;
  });

  const target = parsePublishTarget(config.output.target!);
  if (target.kind === 'folder') preflightFolderTarget(target.dir);
  if (target.kind === 's3') await preflightS3Target(target.url);

  const catalogue = await readCatalogue({
    path: config.catalogue.path,
    taxonomy,
    idColumn: config.catalogue.idColumn,
    tagColumns: config.catalogue.tagColumns,
    // Every category must have a column, or be opted out with `tagColumns: {category: null}`.
    requireAllCategories: true,
    configField: 'catalogue.tagColumns',
    unknownTags: config.catalogue.unknownTags,
  });
  if (catalogue.rows === 0 && config.generation.seeded.enabled) {
    throw new ValidationError(`catalogue ${config.catalogue.path}: has no rows`);
  }
  const store = artifactStore(config.artifacts);
  const key = runKey(runId, RUN_FILES.catalogue);
  await writeArrowTable(store.writePath(key), catalogue.table, key);
  await store.commit(key);
  logActivityEvent({ activity: 'loadInputs', event: 'finish', rows: catalogue.rows });
  return {
    taxonomy: { hash: taxonomy.hash, tags: taxonomy.size, categories: [...taxonomy.categories] },
    catalogue: {
      rows: catalogue.rows,
      sha256: catalogue.sha256,
      key,
      unknownTagsDropped: catalogue.unknown.reduce((n, u) => n + u.rows, 0),
      missingCategories: catalogue.missingCategories,
    },
    model: {
      latentDim: meta.latentDim,
      provenance:
        meta.provenance.kind === 'imported'
          ? `imported from ${meta.provenance.source}`
          : `trained by ${meta.createdWith}`,
    },
  };
}
