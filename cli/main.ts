// The `tagflow` command line.
import { Command } from 'commander';
import { version } from '../core/version.js';

const program = new Command()
  .name('tagflow')
  .description('Synthetic music-tag datasets from a Beta-VAE, run as a durable Temporal workflow')
  .version(version);

program
  .command('demo')
  .description('run the whole pipeline on the bundled demo inputs')
  .action(() => {
    console.log(
      `tagflow ${version}: synthetic music-tag datasets from a Beta-VAE, run as a Temporal workflow.`,
    );
    console.log('The pipeline stages are being built; see README.md for what works today.');
  });

await program.parseAsync(process.argv);
