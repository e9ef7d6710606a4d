// Stage 2: the count model (how many tags each category gets), fitted on a reference corpus
// or built from explicit parameters, and the requested counts of every catalogue row.
import { makeVector, Table, Uint8 } from 'apache-arrow';
import type { RunConfig } from '../core/config.js';
import {
  type CountModel,
  countModelFromParams,
  describeCountModel,
  fitCountModel,
  sampleCounts,
} from '../core/counts/index.js';
import { ValidationError } from '../core/errors.js';
import type { Taxonomy } from '../core/inputs/index.js';
import { runKey, writeArrowTable } from '../core/io/index.js';
import { Stage } from '../core/rng.js';
import type { CountsSummary } from '../core/run-types.js';
import { logActivityEvent, maybeFailAtStart } from './instrumentation.js';
import { artifactStore, RUN_FILES, runTagCorpus, runTaxonomy } from './run-inputs.js';

export async function buildCountModel(config: RunConfig, taxonomy: Taxonomy): Promise<CountModel> {
  const counts = config.counts;
  if (counts.mode === 'params') {
    return countModelFromParams({ categories: [...taxonomy.categories], ...counts });
  }
  const corpus = await runTagCorpus({
    path: counts.reference,
    taxonomy,
    tagColumns: counts.tagColumns,
  });
  if (corpus.rows === 0) {
    throw new ValidationError(
      `tag corpus ${counts.reference}: no rows to fit the count model on (counts.reference)`,
    );
  }
  return fitCountModel({
    categories: corpus.categories,
    counts: corpus.counts,
    rows: corpus.rows,
    source: { path: counts.reference, sha256: corpus.sha256, rows: corpus.rows },
  });
}

export async function fitCounts(params: {
  runId: string;
  config: RunConfig;
  catalogueRows: number;
}): Promise<CountsSummary> {
  maybeFailAtStart('fitCounts');
  const { runId, config, catalogueRows } = params;
  const taxonomy = runTaxonomy(config.taxonomy);
  const model = await buildCountModel(config, taxonomy);
  const store = artifactStore(config.artifacts);
  const modelKey = runKey(runId, RUN_FILES.countModel);
  await store.writeJson(modelKey, model);

  // The notebook draws one row of counts per catalogue track and uses it at every temperature.
  const counts = sampleCounts(model, {
    n: catalogueRows,
    seed: config.seed,
    stage: Stage.SeededCounts,
  });
  const C = taxonomy.categories.length;
  const columns = Object.fromEntries(
    taxonomy.categories.map((category, c) => {
      const column = new Uint8Array(catalogueRows);
      for (let r = 0; r < catalogueRows; r++) column[r] = counts[r * C + c];
      return [category, makeVector({ type: new Uint8(), data: column })];
    }),
  );
  const countsKey = runKey(runId, RUN_FILES.counts);
  await writeArrowTable(store.writePath(countsKey), new Table(columns), countsKey);
  await store.commit(countsKey);
  const described = describeCountModel(model, { sampleRows: 0 });
  logActivityEvent({ activity: 'fitCounts', event: 'finish' });
  return { kind: model.kind, key: modelKey, expectedMeans: described.expectedMeans };
}
