// Concept-targeted sets (generation.concepts): one part of the run's concept list per call,
// written as one Parquet file of the published `concepts` config, with each concept's profile.
import { mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { countSampler } from '../core/counts/index.js';
import { conceptTable } from '../core/dataset/index.js';
import { conceptProfileR } from '../core/evaluation/index.js';
import {
  type ConceptRow,
  generateConceptRows,
  type InferenceSettings,
  loadVaeSession,
} from '../core/generation/index.js';
import type { Taxonomy } from '../core/inputs/index.js';
import { runKey, tempPathFor, writeParquetFile } from '../core/io/index.js';
import type { ConceptJob, ConceptPartSummary, ConceptSummary } from '../core/run-types.js';
import { maybeFailAtStart } from './instrumentation.js';
import { sweepBiases } from './latent-setup.js';
import {
  artifactStore,
  runCountModel,
  runTagCorpus,
  runTaxonomy,
  withModelPack,
} from './run-inputs.js';

/** The run's concept tags, in order: every tag, or the listed ones. */
export function conceptTags(taxonomy: Taxonomy, tags: 'all' | string[]): number[] {
  return tags === 'all' ? taxonomy.tags.map((_, j) => j) : tags.map((t) => taxonomy.index.get(t)!);
}

export function makeGenerateConcepts(inference: InferenceSettings) {
  return async function generateConcepts(job: ConceptJob): Promise<ConceptPartSummary> {
    maybeFailAtStart('generateConcepts');
    const store = artifactStore(job.artifacts);
    const taxonomy = runTaxonomy(job.taxonomy);
    const runner = await withModelPack(job.modelPack, (packDir) =>
      loadVaeSession({ ...inference, packDir, taxonomy }),
    );
    const biases = await sweepBiases(job, runner, taxonomy, store);
    const corpus = job.corpus ? await runTagCorpus({ ...job.corpus, taxonomy }) : undefined;
    const counts = countSampler(await runCountModel(store, job.runId));
    const concepts = conceptTags(taxonomy, job.concepts.tags).slice(job.part.start, job.part.end);
    const rows: (ConceptRow & { concept: number })[] = [];
    const summaries: ConceptSummary[] = [];
    for (const concept of concepts) {
      const generated = await generateConceptRows({
        runner,
        latentDim: runner.meta.latentDim,
        taxonomy,
        seed: job.seed,
        temperatures: job.temperatures,
        temperatureMode: job.temperatureMode ?? 'decoder',
        biases,
        prior: job.latentPrior === 'corpus' ? corpus?.tags : undefined,
        counts,
        concept,
        rows: job.concepts.rowsPerConcept,
        batchSize: job.batchSize,
      });
      for (const row of generated) rows.push({ ...row, concept });
      const positives = generated.filter((r) => r.positive).map((r) => r.tags);
      const profile = conceptProfileR(taxonomy, concept, positives, corpus?.tags);
      summaries.push({
        tag: taxonomy.tags[concept],
        positives: positives.length,
        negatives: generated.length - positives.length,
        referenceRows: profile.referenceRows,
        profileR: profile.r,
      });
    }
    const key = runKey(job.runId, job.part.key);
    const path = store.writePath(key);
    mkdirSync(dirname(path), { recursive: true });
    const temporary = tempPathFor(path);
    await writeParquetFile(temporary, conceptTable(taxonomy, rows).batches, { inMemory: true });
    renameSync(temporary, path);
    await store.commit(key);
    await store.writeJson(`${key}.json`, summaries);
    return { key, rows: rows.length, concepts: summaries };
  };
}
