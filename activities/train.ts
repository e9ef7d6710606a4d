// Optional first stage: retrain the BetaVAE on a (grown) corpus and use the new pack for this
// run. Heartbeats once per epoch; a cancelled run stops at the next mini-batch. A retried
// attempt trains again from the start (same seed, same weights).
import { Context } from '@temporalio/activity';
import type { RunConfig } from '../core/config.js';
import { ValidationError } from '../core/errors.js';
import { readTagCorpus } from '../core/inputs/index.js';
import { runKey } from '../core/io/index.js';
import type { TrainSummary } from '../core/run-types.js';
import { writeTrainedPack } from '../models/train-export.js';
import { recordHeartbeat } from './heartbeat.js';
import { logActivityEvent, maybeFailAtStart } from './instrumentation.js';
import { artifactStore, RUN_FILES, runTaxonomy } from './run-inputs.js';

export async function train({
  runId,
  config,
}: {
  runId: string;
  config: RunConfig;
}): Promise<TrainSummary> {
  maybeFailAtStart('train');
  const corpusPath =
    config.train.corpus ?? (config.counts.mode === 'fit' ? config.counts.reference : undefined);
  if (!corpusPath) {
    throw new ValidationError(
      'train.corpus: required when training is enabled and counts are not fitted on a corpus',
    );
  }
  const taxonomy = runTaxonomy(config.taxonomy);
  const corpus = await readTagCorpus({ path: corpusPath, taxonomy });
  const context = Context.current();
  // Imported here: tfjs takes ~0.3 s to load, which every worker and `tagflow` process would
  // otherwise pay at start-up for a stage few runs have.
  const { trainVae } = await import('../models/train-vae.js');
  const result = await trainVae({
    taxonomy,
    rows: corpus.tags,
    config: { seed: config.seed, ...config.train.config },
    onProgress: (p) => recordHeartbeat({ epoch: p.epoch, valLoss: p.valLoss }, context),
    onBatch: () => context.heartbeat(),
    signal: context.cancellationSignal,
  });
  const store = artifactStore(config.artifacts);
  const packKey = runKey(runId, RUN_FILES.model);
  await store.remove(packKey);
  await writeTrainedPack({
    result,
    taxonomy,
    corpus: { source: corpusPath, sha256: corpus.sha256, rows: corpus.rows },
    outDir: store.writePath(packKey),
  });
  await store.commit(packKey);
  // A folder, or an s3:// URL that the activities using the pack fetch into their cache.
  const packDir = store.location(packKey);
  logActivityEvent({ activity: 'train', event: 'finish', epochs: result.epochs });
  return { packDir, epochs: result.epochs, validationLoss: result.finalLosses.validation };
}
