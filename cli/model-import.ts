// `tagflow model import <checkpoint> --taxonomy <json> --out <dir>`.
import { Command } from 'commander';

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

/**
 * The `import` subcommand (mounted under `tagflow model`). Bad input throws ValidationError;
 * the caller prints it and exits non-zero. `print` receives the summary lines.
 */
export function modelImportCommand(options: { print?: (line: string) => void } = {}): Command {
  const print = options.print ?? ((line: string) => console.log(line));
  return new Command('import')
    .description('import a PyTorch BetaVAE checkpoint (state_dict .pth) as a model pack')
    .argument('<checkpoint>', 'PyTorch checkpoint saved with torch.save(model.state_dict(), path)')
    .requiredOption('--taxonomy <json>', 'taxonomy JSON the model was trained on')
    .requiredOption('--out <dir>', 'model pack folder to write (replaced if it is a model pack)')
    .action(async (checkpoint: string, opts: { taxonomy: string; out: string }) => {
      // Loaded here: the checkpoint reader and the ONNX writer serve only this command.
      const { loadTaxonomy } = await import('../core/inputs/index.js');
      const { importCheckpoint } = await import('../models/import-checkpoint.js');
      const taxonomy = loadTaxonomy(opts.taxonomy);
      const meta = await importCheckpoint({
        checkpointPath: checkpoint,
        taxonomy,
        outDir: opts.out,
      });
      print(`imported ${checkpoint} → model pack ${opts.out}`);
      print(
        `  dimensions  input ${meta.inputDim}, hidden ${meta.hiddenDim}, latent ${meta.latentDim}, batch norm ${meta.batchNorm ? `yes (eps ${meta.batchNormEps})` : 'no'}`,
      );
      print(
        `  taxonomy    ${meta.taxonomy.hash} (${taxonomy.size} tags in ${taxonomy.categories.length} categories)`,
      );
      const files = Object.entries(meta.files).map(
        ([file, { bytes }]) => `${file} (${formatBytes(bytes)})`,
      );
      print(`  files       ${[...files, 'model.json'].join(', ')}`);
    });
}
