// Trains the full-size ConceptCaps BetaVAE with tagflow's trainer on musiccaps_distilled.csv and
// compares its validation loss with the imported PyTorch checkpoint vae_final.pth, on the same
// held-out rows with the same loss definition (models/train-metrics.ts), both run as ONNX
// model packs through onnxruntime.
//
//   npx tsx bench/train-vs-imported.ts [--epochs 250] [--patience 10] [--seed 42] [--backend wasm|cpu]
//
// --epochs caps the run (early stopping usually ends it sooner). Caveat: vae_final.pth was
// trained by ConceptCaps on data that may include these validation rows; our model never saw
// them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { clearVaeSessionCache, loadVaeSession } from '../core/generation/index.js';
import { loadTaxonomy, readTagCorpus } from '../core/inputs/index.js';
import { importCheckpoint } from '../models/import-checkpoint.js';
import { writeTrainedPack } from '../models/train-export.js';
import { evaluateVae, type VaeLosses, type VaeRunner } from '../models/train-metrics.js';
import {
  DEFAULT_TRAIN_CONFIG,
  splitTrainValidation,
  type TrainBackend,
  trainVae,
} from '../models/train-vae.js';
import { conceptcaps } from '../test/helpers/conceptcaps.js';

const { values: args } = parseArgs({
  options: {
    epochs: { type: 'string', default: '250' },
    patience: { type: 'string', default: String(DEFAULT_TRAIN_CONFIG.patience) },
    seed: { type: 'string', default: String(DEFAULT_TRAIN_CONFIG.seed) },
    backend: { type: 'string', default: 'wasm' },
  },
});
const config = {
  ...DEFAULT_TRAIN_CONFIG,
  maxEpochs: Number(args.epochs),
  patience: Number(args.patience),
  seed: Number(args.seed),
  backend: args.backend as TrainBackend,
};

const dir = mkdtempSync(join(tmpdir(), 'tagflow-bench-train-'));
try {
  const taxonomy = loadTaxonomy(conceptcaps('concepts_to_tags.json'));
  const corpusPath = conceptcaps('musiccaps_distilled.csv');
  const corpus = await readTagCorpus({ path: corpusPath, taxonomy });
  const split = splitTrainValidation({
    rows: corpus.rows,
    validationFraction: config.validationFraction,
    seed: config.seed,
  });

  console.log(
    `training on musiccaps_distilled.csv: ${corpus.rows} rows (${split.train.length} train / ${split.validation.length} validation), ` +
      `hidden ${config.hiddenDim}, latent ${config.latentDim}, batch ${config.batchSize}, lr ${config.learningRate}, β ${config.beta}, dropout ${config.dropout}, ` +
      `≤ ${config.maxEpochs} epochs, patience ${config.patience}, seed ${config.seed}, ${config.backend} backend`,
  );
  const result = await trainVae({
    taxonomy,
    rows: corpus.tags,
    config,
    onProgress: (p) => {
      if (p.epoch % 10 === 0 || p.epoch === 1) {
        console.log(
          `  epoch ${p.epoch}: train ${p.trainLoss.toFixed(3)}, validation ${p.valLoss.toFixed(3)} (best @${p.bestEpoch}), ${(p.elapsedMs / 1000).toFixed(0)} s`,
        );
      }
    },
  });
  const elapsed = result.history.at(-1)!.elapsedMs / 1000;

  const trainedDir = join(dir, 'trained');
  await writeTrainedPack({
    result,
    taxonomy,
    corpus: { source: corpusPath, sha256: corpus.sha256, rows: corpus.rows },
    outDir: trainedDir,
  });
  const importedDir = join(dir, 'imported');
  await importCheckpoint({
    checkpointPath: conceptcaps('vae_final.pth'),
    taxonomy,
    outDir: importedDir,
  });

  const evaluate = (model: VaeRunner, indices: Uint32Array, epsilonSeed: number | null) =>
    evaluateVae({
      model,
      rows: corpus.tags,
      indices,
      inputDim: taxonomy.size,
      latentDim: config.latentDim,
      beta: config.beta,
      epsilonSeed,
    });
  const rowsOf: [string, VaeLosses, VaeLosses, VaeLosses][] = [];
  for (const [name, packDir] of [
    ['tagflow trainer (this run)', trainedDir],
    ['imported vae_final.pth', importedDir],
  ]) {
    const session = await loadVaeSession({ packDir, taxonomy });
    rowsOf.push([
      name,
      await evaluate(session, split.validation, config.seed),
      await evaluate(session, split.validation, null),
      await evaluate(session, split.train, config.seed),
    ]);
  }

  const f = (v: number) => v.toFixed(3).padStart(8);
  console.log();
  console.log(
    `trained ${result.epochs} epochs (cap ${config.maxEpochs}, ${result.stoppedEarly ? 'stopped early' : 'ran to the cap'}), best epoch ${result.bestEpoch}; ` +
      `${elapsed.toFixed(0)} s, ${(elapsed / result.epochs).toFixed(2)} s per epoch (${split.train.length} rows + validation)`,
  );
  console.log(
    'Losses per row (BCE summed over 200 tags; KL summed over 128 latent dims; total = recon + 0.25·KL);',
  );
  console.log(
    `validation = the same ${split.validation.length} held-out rows, z = mu + σ·ε with ε fixed per row (seed ${config.seed}).`,
  );
  console.log();
  console.log(
    '| model                      | val recon | val KL   | val total | val recon, z = mu | train-split recon |',
  );
  console.log(
    '| -------------------------- | --------: | -------: | --------: | ----------------: | ----------------: |',
  );
  for (const [name, val, valMu, train] of rowsOf) {
    console.log(
      `| ${name.padEnd(26)} |  ${f(val.reconstruction)} | ${f(val.kl)} |  ${f(val.total)} |          ${f(valMu.reconstruction)} |          ${f(train.reconstruction)} |`,
    );
  }
  console.log();
  console.log(
    `(the trainer's own tfjs evaluation of its best epoch: validation reconstruction ${result.finalLosses.validationReconstruction.toFixed(3)})`,
  );
} finally {
  await clearVaeSessionCache();
  rmSync(dir, { recursive: true, force: true });
}
