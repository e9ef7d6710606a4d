// The `tagflow` command line.
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { version } from '../core/version.js';
import { workerCommand } from '../workers/worker.js';
import { doctorCommand } from './doctor.js';
import { evaluateCommand } from './evaluate.js';
import { errorHint, rootCauseMessage } from './failures.js';
import { modelImportCommand } from './model-import.js';
import { modelTrainCommand } from './model-train.js';
import { reproduceCommand } from './reproduce.js';
import { exitAfterRun, runCommand, runPipeline } from './run.js';
import { printRunResult } from './run-summary.js';
import { cleanCommand, runsCommand } from './runs.js';
import { scheduleCommand } from './schedule.js';
import { serverCommand } from './server.js';
import { statusCommand } from './status.js';
import { verifyCommand } from './verify.js';

const demoConfig = fileURLToPath(new URL('../data/demo/run.yaml', import.meta.url));

export function buildProgram(print: (line: string) => void = (l) => console.log(l)): Command {
  const program = new Command()
    .name('tagflow')
    .description('Synthetic music-tag datasets from a Beta-VAE, run as a durable Temporal workflow')
    .version(version);
  program.addCommand(runCommand(print));
  program
    .command('demo')
    .description(
      'run the whole pipeline on the bundled demo inputs (data/demo/run.yaml → ./out/demo)',
    )
    .option('--no-progress', 'print stage changes instead of live progress bars')
    .option('--verbose', "show the worker's log on the terminal", false)
    .action(async (options: { progress: boolean; verbose: boolean }) => {
      const outcome = await runPipeline({
        config: demoConfig,
        progress: options.progress,
        detach: false,
        ui: true,
        device: 'cpu',
        verbose: options.verbose,
        print,
        stopInBackground: true,
      });
      if (!outcome.result) return;
      printRunResult(outcome.result, print);
      const { printExampleRows } = await import('./examples.js');
      await printExampleRows(outcome.result.target, print);
      if (outcome.mode === 'server' && outcome.uiUrl)
        print(`Temporal UI: ${outcome.uiUrl} (tagflow server is up: the link keeps working)`);
      else if (outcome.mode === 'embedded')
        print(
          'Temporal UI: the embedded server stopped with this run, so its link no longer works; ' +
            '`tagflow server start` keeps a server with the UI up for the next runs',
        );
      else if (outcome.uiUrl) print(`Temporal UI: ${outcome.uiUrl}`);
      exitAfterRun(outcome);
    });
  program.addCommand(statusCommand(print));
  program.addCommand(workerCommand());
  program.addCommand(scheduleCommand(print));
  program.addCommand(evaluateCommand(print));
  program.addCommand(doctorCommand(print));
  program.addCommand(serverCommand(print));
  program.addCommand(verifyCommand(print));
  program.addCommand(reproduceCommand(print));
  program.addCommand(runsCommand(print));
  program.addCommand(cleanCommand(print));
  program
    .command('model')
    .description('model packs: import a PyTorch checkpoint, train a BetaVAE')
    .addCommand(modelImportCommand({ print }))
    .addCommand(modelTrainCommand({ print }));
  return program;
}

/** Parses argv and runs; every failure is one clear line on stderr and a non-zero exit. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (err) {
    console.error(`tagflow: ${rootCauseMessage(err)}`);
    const hint = errorHint(err);
    if (hint) console.error(`  ${hint}`);
    return 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv);
}
