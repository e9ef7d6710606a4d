// What a Temporal Schedule starts: one run of a configuration, with its own seed and its own
// output revision, so weekly refreshes never overwrite each other and never repeat draws.
//
//   revision  the run's start time, YYYYMMDDTHHMMSSZ (recorded in history, so replay-safe)
//   runId     <name>-<revision>
//   seed      a hash of (configured seed, revision)
//   output    file://<dir>/<revision> for folders; for the Hub, a new commit per run
import { workflowInfo } from '@temporalio/workflow';
import type { RunInput, RunResult } from '../core/run-types.js';
import { generateDataset } from './generate-dataset.js';

export function revisionOf(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** FNV-1a over the text, 32 bits: a per-run seed that is a pure function of its inputs. */
export function derivedSeed(baseSeed: number, revision: string): number {
  let h = 0x811c9dc5;
  for (const ch of `${baseSeed}:${revision}`) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export async function scheduledRun(input: Omit<RunInput, 'runId'>): Promise<RunResult> {
  const revision = revisionOf(workflowInfo().startTime);
  const { config } = input;
  const target = config.output.target!;
  return generateDataset({
    ...input,
    runId: `${config.name}-${revision}`,
    config: {
      ...config,
      seed: derivedSeed(config.seed, revision),
      output: {
        ...config.output,
        target: target.startsWith('file://') ? `${target.replace(/\/+$/, '')}/${revision}` : target,
      },
    },
  });
}
