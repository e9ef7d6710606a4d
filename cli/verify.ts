// `tagflow verify <dataset>`: every file of a published dataset (a folder, a Hub repo or an S3 prefix)
// against the digests its marker lists; missing, extra and altered files are named.
import { Command } from 'commander';
import type { HubOptions, VerifyResult } from '../core/dataset/index.js';
import { ValidationError } from '../core/errors.js';

// Loaded when used: the dataset readers bring the Hub client, Arrow and Parquet, which the
// start of every other command need not pay for.
const datasets = () => import('../core/dataset/index.js');

/** Prints what does not match and throws, or prints `verified: N files`. */
export async function reportVerification(
  result: VerifyResult,
  print: (line: string) => void,
  hint?: (result: VerifyResult) => string | undefined,
): Promise<void> {
  const { describeLocation, describeProblem } = await datasets();
  const where = describeLocation(result.source.location);
  if (result.problems.length > 0) {
    for (const problem of result.problems) print(describeProblem(problem));
    const n = result.problems.length;
    throw new ValidationError(
      hint?.(result) ??
        `${where}: ${n} file${n === 1 ? '' : 's'} do${n === 1 ? 'es' : ''} not match the digests the dataset was published with (${result.files} files listed)`,
    );
  }
  print(`verified: ${result.files} files`);
}

/** Verifies `dataset` (a folder, file:// URL, hf://datasets/… or s3://…); see reportVerification. */
export async function verifyPublished(
  dataset: string,
  options: { print: (line: string) => void; cwd?: string; hub?: HubOptions },
): Promise<VerifyResult> {
  const { openDatasetSource, parseDatasetLocation, verifyDataset } = await datasets();
  const source = openDatasetSource(parseDatasetLocation(dataset, options.cwd), options.hub);
  const result = await verifyDataset(source);
  await reportVerification(result, options.print);
  return result;
}

export function verifyCommand(print: (line: string) => void = (l) => console.log(l)): Command {
  return new Command('verify')
    .description(
      "check a published dataset's files against the digests it was published with (.tagflow-dataset.json)",
    )
    .argument(
      '<dataset>',
      'a dataset folder, hf://datasets/<owner>/<name>[@<revision>] or s3://<bucket>/<prefix>',
    )
    .action(async (dataset: string) => {
      await verifyPublished(dataset, { print });
    });
}
