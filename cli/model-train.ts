// `tagflow model train --taxonomy <json> --corpus <file> --out <dir> [options]`: trains a BetaVAE
// on a tag corpus and writes it as a model pack. Also runs on its own:
//   npx tsx cli/model-train.ts --taxonomy data/demo/taxonomy.json --corpus data/demo/corpus.csv --out <dir>
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ValidationError } from '../core/errors.js';
import {
  DEFAULT_TRAIN_CONFIG,
  type TrainBatchProgress,
  type TrainConfig,
  type TrainProgress,
} from '../models/train-config.js';
import type { trainVae } from '../models/train-vae.js';

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n))
    throw new InvalidArgumentError(`expected an integer, got "${value}"`);
  return n;
}

function number(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) {
    throw new InvalidArgumentError(`expected a number, got "${value}"`);
  }
  return n;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

interface TrainOptions {
  taxonomy: string;
  corpus: string;
  out: string;
  epochs: number;
  patience: number;
  hidden: number;
  latent: number;
  dropout: number;
  beta: number;
  lr: number;
  batch: number;
  validationFraction: number;
  seed: number;
  backend: 'wasm' | 'cpu';
  dropUnknownTags?: boolean;
  progress: boolean;
}

/**
 * The `train` subcommand (mounted under `tagflow model`). Bad input throws ValidationError;
 * the caller prints it and exits non-zero. `print` receives the summary lines; the progress
 * bar goes to stderr when it is a terminal, one line per epoch otherwise.
 */
export function modelTrainCommand(options: { print?: (line: string) => void } = {}): Command {
  const print = options.print ?? ((line: string) => console.log(line));
  const d = DEFAULT_TRAIN_CONFIG;
  return new Command('train')
    .description('train a BetaVAE on a tag corpus and write it as a model pack')
    .requiredOption('--taxonomy <json>', 'taxonomy JSON (the model input and output tags)')
    .requiredOption('--corpus <file>', 'tag corpus: CSV/TSV, JSON, JSONL, Parquet or Arrow')
    .requiredOption('--out <dir>', 'model pack folder to write (replaced if it is a model pack)')
    .option('--epochs <n>', 'most epochs', integer, d.maxEpochs)
    .option(
      '--patience <n>',
      'stop after n epochs without a better validation loss',
      integer,
      d.patience,
    )
    .option('--hidden <n>', 'hidden units', integer, d.hiddenDim)
    .option('--latent <n>', 'latent dimensions', integer, d.latentDim)
    .option('--dropout <p>', 'input dropout rate while training', number, d.dropout)
    .option('--beta <b>', 'weight of the KL term', number, d.beta)
    .option('--lr <rate>', 'Adam learning rate', number, d.learningRate)
    .option('--batch <n>', 'mini-batch size', integer, d.batchSize)
    .option('--validation-fraction <f>', 'share of rows held out', number, d.validationFraction)
    .option('--seed <n>', 'run seed (split, order, initialisation, dropout)', integer, d.seed)
    .addOption(
      new Option('--backend <name>', 'TensorFlow.js backend')
        .choices(['wasm', 'cpu'])
        .default(d.backend),
    )
    .option('--drop-unknown-tags', 'drop corpus tags not in the taxonomy (default: refuse)')
    .option('--no-progress', 'no progress bar or per-epoch lines')
    .action(async (opts: TrainOptions) => {
      // Loaded here, not when any `tagflow` command starts: corpus readers, the pack writer.
      const { loadTaxonomy, readTagCorpus } = await import('../core/inputs/index.js');
      const { writeTrainedPack } = await import('../models/train-export.js');
      const taxonomy = loadTaxonomy(opts.taxonomy);
      const corpus = await readTagCorpus({
        path: opts.corpus,
        taxonomy,
        unknownTags: opts.dropUnknownTags ? 'drop' : 'error',
      });
      for (const u of corpus.unknown) {
        print(`warning: dropped unknown tag ${JSON.stringify(u)}`);
      }
      const config: TrainConfig = {
        hiddenDim: opts.hidden,
        latentDim: opts.latent,
        dropout: opts.dropout,
        beta: opts.beta,
        learningRate: opts.lr,
        batchSize: opts.batch,
        maxEpochs: opts.epochs,
        patience: opts.patience,
        validationFraction: opts.validationFraction,
        seed: opts.seed,
        backend: opts.backend,
      };
      print(
        `training on ${opts.corpus}: ${corpus.rows} rows, ${taxonomy.size} tags; hidden ${config.hiddenDim}, latent ${config.latentDim}, β ${config.beta}, lr ${config.learningRate}, batch ${config.batchSize}, ≤ ${config.maxEpochs} epochs (patience ${config.patience}), seed ${config.seed}, ${config.backend}`,
      );

      const progress = opts.progress ? await progressReporter(print, config.maxEpochs) : undefined;
      const abort = new AbortController();
      const onSigint = () =>
        abort.abort(new ValidationError('training interrupted; nothing written'));
      process.once('SIGINT', onSigint);
      let result: Awaited<ReturnType<typeof trainVae>>;
      try {
        // Imported here: tfjs takes ~0.3 s to load, which every `tagflow` command would pay.
        const { trainVae } = await import('../models/train-vae.js');
        result = await trainVae({
          taxonomy,
          rows: corpus.tags,
          config,
          onProgress: progress?.epoch,
          onBatch: progress?.batch,
          signal: abort.signal,
        });
      } finally {
        progress?.stop();
        process.off('SIGINT', onSigint);
      }

      const meta = await writeTrainedPack({
        result,
        taxonomy,
        corpus: { source: opts.corpus, sha256: corpus.sha256, rows: corpus.rows },
        outDir: opts.out,
      });
      const f = result.finalLosses;
      const last = result.history.at(-1)!;
      print(
        `${result.stoppedEarly ? 'stopped early' : 'finished'} after ${result.epochs} epochs in ${formatDuration(last.elapsedMs)}; best epoch ${result.bestEpoch}`,
      );
      print(
        `  losses      train ${f.train.toFixed(4)}, validation ${f.validation.toFixed(4)} (reconstruction ${f.validationReconstruction.toFixed(4)}, KL ${f.validationKl.toFixed(4)})`,
      );
      print(
        `  split       ${result.split.trainRows} train / ${result.split.validationRows} validation rows`,
      );
      print(
        `  model pack  ${opts.out} (input ${meta.inputDim}, hidden ${meta.hiddenDim}, latent ${meta.latentDim})`,
      );
    });
}

/** A progress bar on a terminal (stderr); otherwise one printed line per epoch. */
async function progressReporter(print: (line: string) => void, maxEpochs: number) {
  const losses = (p: TrainProgress | undefined) =>
    p
      ? `train ${p.trainLoss.toFixed(3)} | val ${p.valLoss.toFixed(3)} (recon ${p.valReconstruction.toFixed(3)}, KL ${p.valKl.toFixed(3)}) | best @${p.bestEpoch}`
      : 'train – | val –';
  if (!process.stderr.isTTY) {
    return {
      epoch: (p: TrainProgress) =>
        print(
          `epoch ${p.epoch}/${p.maxEpochs} | ${losses(p)} | ${formatDuration(p.elapsedMs)} elapsed, ETA ≤ ${formatDuration(p.etaMs)}`,
        ),
      batch: undefined,
      stop: () => {},
    };
  }
  // The bar counts epochs, moving within one as its mini-batches finish.
  const { SingleBar } = await import('cli-progress');
  const bar = new SingleBar({
    format: '{bar} epoch {epoch}/{maxEpochs} | {losses} | ETA ≤ {eta}',
    barsize: 24,
    hideCursor: true,
  });
  bar.start(maxEpochs, 0, { epoch: 1, maxEpochs, losses: losses(undefined), eta: '…' });
  return {
    epoch: (p: TrainProgress) =>
      bar.update(p.epoch, { epoch: p.epoch, losses: losses(p), eta: formatDuration(p.etaMs) }),
    batch: (b: TrainBatchProgress) => {
      if (b.batch % 16 === 0) bar.update(b.epoch - 1 + b.batch / b.batches, { epoch: b.epoch });
    },
    stop: () => bar.stop(),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await modelTrainCommand().parseAsync(process.argv);
  } catch (err) {
    if (err instanceof ValidationError) {
      console.error(`error: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}
