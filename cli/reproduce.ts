// `tagflow reproduce <dataset> --inputs <dir>…`: make a published dataset again from its recipe
// (tagflow.yaml) and compare the result with it file by file.
//
// 1. verify the dataset (every file against its marker's digests);
// 2. find each input the recipe lists in the --inputs folders by sha256, and refuse, before
//    anything is written, when one is missing or differs;
// 3. stage the inputs under the recipe's file names in .tagflow/reproduce/<run>/ and write a
//    run configuration there; run it as an ordinary run (embedded mode without
//    TEMPORAL_ADDRESS), publishing to --out (default ./out/<name>-reproduced);
// 4. compare: `identical`, or the files that differ (exit 1).
// A failed run leaves --out untouched (publishing is the last, atomic step) and keeps its work
// folder, so the same command resumes it.
import { mkdirSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import type { HubOptions } from '../core/dataset/index.js';
import { ValidationError } from '../core/errors.js';
import { version } from '../core/version.js';
import { runPipeline } from './run.js';
import { printRunResult } from './run-summary.js';
import { reportVerification } from './verify.js';

export interface ReproduceOptions {
  /** A dataset folder, file:// URL or hf://datasets/<owner>/<name>[@<revision>]. */
  dataset: string;
  /** Folders to look for the recipe's inputs in. */
  inputs: string[];
  /** Where the reproduction is published (default ./out/<name>-reproduced). */
  out?: string;
  progress: boolean;
  ui: boolean;
  queuePrefix?: string;
  /** Where relative paths, .tagflow/ and ./out are (default: the working directory). */
  cwd?: string;
  hub?: HubOptions;
  print?: (line: string) => void;
}

export interface ReproduceOutcome {
  /** The reproduction's folder. */
  out: string;
  identical: boolean;
  /** One line per file that differs. */
  differences: string[];
}

/** Whether `path` is `dir` or inside it. */
const inside = (path: string, dir: string) => {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

export async function reproduceDataset(options: ReproduceOptions): Promise<ReproduceOutcome> {
  const print = options.print ?? ((line: string) => console.log(line));
  // Loaded here: the Hub client, Arrow and Parquet stay out of other commands' start.
  const {
    compareWithPublished,
    describeLocation,
    describeProblem,
    findRecipeInputs,
    openDatasetSource,
    parseDatasetLocation,
    parseRecipe,
    preflightFolderTarget,
    RECIPE_FILE,
    reproductionConfig,
    stageInputs,
    verifyDataset,
  } = await import('../core/dataset/index.js');
  const { parseRunConfig } = await import('../core/config.js');
  const { stringify } = await import('yaml');
  const cwd = resolve(options.cwd ?? process.cwd());
  const location = parseDatasetLocation(options.dataset, cwd);
  const where = describeLocation(location);
  const source = openDatasetSource(location, options.hub);

  // 1. The dataset is what was published, recipe included.
  const verified = await verifyDataset(source);
  const recipeEntry = verified.marker.files.find((f) => f.path === RECIPE_FILE);
  if (!recipeEntry) {
    throw new ValidationError(
      `${where} has no ${RECIPE_FILE}: it was published (by tagflow ${verified.marker.toolVersion}) without its recipe, so there is nothing to reproduce it from`,
    );
  }
  await reportVerification(verified, print, (result) =>
    result.problems.some((p) => p.path === RECIPE_FILE)
      ? `${where}: its recipe, ${RECIPE_FILE}, is ${result.problems.find((p) => p.path === RECIPE_FILE)!.kind}: the dataset cannot be reproduced without it`
      : undefined,
  );
  const recipe = parseRecipe(
    ((await source.read(RECIPE_FILE)) ?? Buffer.alloc(0)).toString('utf8'),
    `${where}/${RECIPE_FILE}`,
  );
  if (recipe.tool !== `tagflow ${version}`) {
    print(
      `note: ${where} was made by ${recipe.tool}, this is tagflow ${version}: files that name the version will differ`,
    );
  }

  // 2. Its inputs, by content; the configuration checked before anything is written.
  const search = await findRecipeInputs(
    recipe.inputs,
    options.inputs.map((d) => resolve(cwd, d)),
  );
  if (search.problems.length > 0) {
    throw new ValidationError(
      `cannot reproduce ${where}: ${search.problems.length} of its ${recipe.inputs.length} inputs not found; nothing was generated\n  ${search.problems.join('\n  ')}`,
    );
  }
  const name = String(recipe.config.name);
  const dataset = String((recipe.config.output as { name?: unknown } | undefined)?.name ?? name);
  const out = resolve(cwd, options.out ?? join('out', `${dataset.split('/').at(-1)}-reproduced`));
  if (location.kind === 'folder' && (inside(out, location.dir) || inside(location.dir, out))) {
    throw new ValidationError(
      `--out ${out}: would overwrite the dataset being reproduced; choose another folder`,
    );
  }
  preflightFolderTarget(out);
  const work = join(cwd, '.tagflow', 'reproduce', name);
  const runFile = join(work, 'run.yaml');
  const settings = { artifacts: join(work, 'artifacts'), target: pathToFileURL(out).href };
  parseRunConfig(reproductionConfig(recipe, {}, settings), `${where}/${RECIPE_FILE}: config`);

  // 3. The run, as any other.
  const paths = stageInputs(recipe, search.found, join(work, 'inputs'));
  mkdirSync(work, { recursive: true });
  writeFileSync(runFile, stringify(reproductionConfig(recipe, paths, settings)));
  print(`inputs: all ${recipe.inputs.length} found; running ${name} (${runFile})`);
  const outcome = await runPipeline({
    config: runFile,
    progress: options.progress,
    detach: false,
    ui: options.ui,
    device: 'cpu',
    queuePrefix: options.queuePrefix,
    print,
  });
  if (!outcome.result) throw new Error(`run ${name} returned no result`);
  printRunResult(outcome.result, print);
  if (outcome.result.target !== settings.target) {
    // Attached to a run of that name that was already going, with another configuration.
    throw new ValidationError(
      `run ${name} (workflow ${outcome.workflowId}) was already going and published to ${outcome.result.target}, not ${settings.target}; run reproduce again once it has finished`,
    );
  }

  // 4. File by file.
  const problems = await compareWithPublished(out, verified);
  rmSync(work, { recursive: true, force: true });
  if (readdirSync(dirname(work)).length === 0) rmdirSync(dirname(work));
  print(`reproduction: ${out}`);
  const differences = problems.map(describeProblem);
  if (differences.length === 0) print('identical');
  else for (const line of differences) print(line);
  return { out, identical: differences.length === 0, differences };
}

export function reproduceCommand(print: (line: string) => void = (l) => console.log(l)): Command {
  return new Command('reproduce')
    .description(
      'make a published dataset again from its tagflow.yaml and compare the result file by file',
    )
    .argument('<dataset>', 'a dataset folder, or hf://datasets/<owner>/<name>[@<revision>]')
    .requiredOption(
      '--inputs <dir...>',
      "folders holding the recipe's input files (found by sha256, searched recursively)",
    )
    .option('--out <dir>', 'where the reproduction goes (default ./out/<name>-reproduced)')
    .option('--no-progress', 'print stage changes instead of live progress bars')
    .option('--no-ui', 'embedded mode: do not serve the Temporal Web UI')
    .option(
      '--queue-prefix <prefix>',
      "task-queue prefix of the cluster's workers (default tagflow, or TAGFLOW_QUEUE_PREFIX)",
    )
    .action(
      async (
        dataset: string,
        options: Pick<ReproduceOptions, 'inputs' | 'out' | 'progress' | 'ui' | 'queuePrefix'>,
      ) => {
        const outcome = await reproduceDataset({ ...options, dataset, print });
        if (!outcome.identical) {
          const n = outcome.differences.length;
          throw new ValidationError(
            `the reproduction differs from ${dataset} in ${n} file${n === 1 ? '' : 's'}; it is at ${outcome.out}`,
          );
        }
      },
    );
}
