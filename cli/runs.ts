// `tagflow runs` and `tagflow clean`: the runs an artifact store holds, their size, whether
// they were published, and removing their intermediates (the published datasets stay).
import { resolve } from 'node:path';
import { Command } from 'commander';
import { ValidationError } from '../core/errors.js';
import { isS3Url } from '../core/s3-url.js';

const DEFAULT_ARTIFACTS = '.tagflow/artifacts';

function size(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

// Loaded when a command runs: core/io brings Arrow and Parquet, which other commands' start
// need not pay for.
const io = () => import('../core/io/index.js');
/** A folder (relative to the working folder) or s3://<bucket>/<prefix>. */
const store = async (artifacts: string) =>
  (await io()).openArtifactStore(isS3Url(artifacts) ? artifacts : resolve(artifacts));
const ARTIFACTS_HELP =
  'the artifact store: a folder or s3://<bucket>/<prefix> (config `artifacts`)';

export function runsCommand(print: (line: string) => void): Command {
  return new Command('runs')
    .description('list the runs in the artifact store: state, size of their intermediates')
    .option('--artifacts <store>', ARTIFACTS_HELP, DEFAULT_ARTIFACTS)
    .action(async (options: { artifacts: string }) => {
      const artifacts = await store(options.artifacts);
      const { listRunFolders } = await io();
      const runs = await listRunFolders(artifacts);
      if (runs.length === 0) {
        print(`no runs in ${artifacts.root}`);
        return;
      }
      for (const r of runs) {
        const state = r.published
          ? `published to ${r.published}`
          : 'not published (running, stopped or failed)';
        print(
          `${r.runId}  ${size(r.bytes)} in ${r.files} files, last written ${new Date(r.modified).toISOString()}  ${state}`,
        );
      }
      const total = runs.reduce((n, r) => n + r.bytes, 0);
      print(
        `${runs.length} runs, ${size(total)} (tagflow clean <run> or --finished removes intermediates)`,
      );
    });
}

export function cleanCommand(print: (line: string) => void): Command {
  return new Command('clean')
    .description("remove runs' intermediates from the artifact store (published datasets stay)")
    .argument('[runs...]', 'run names')
    .option('--finished', 'every published run')
    .option('--artifacts <store>', ARTIFACTS_HELP, DEFAULT_ARTIFACTS)
    .action(async (runs: string[], options: { finished?: boolean; artifacts: string }) => {
      const artifacts = await store(options.artifacts);
      const { listRunFolders, removeRunFolders } = await io();
      const ids = [...runs];
      if (options.finished)
        ids.push(
          ...(await listRunFolders(artifacts))
            .filter((r) => r.published && !ids.includes(r.runId))
            .map((r) => r.runId),
        );
      if (ids.length === 0) {
        if (options.finished) return print('no published runs to clean');
        throw new ValidationError('clean: name the runs to remove, or pass --finished');
      }
      const freed = await removeRunFolders(artifacts, ids);
      print(
        `removed ${ids.length} run${ids.length === 1 ? '' : 's'} (${ids.join(', ')}): ${size(freed)} freed`,
      );
    });
}
