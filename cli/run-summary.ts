// The lines a finished run prints: where the dataset went, its rows, coverage, quality, the
// worker's event-loop stalls and the Hub commit.
import type { RunResult } from '../core/run-types.js';

export function printRunResult(result: RunResult, print: (line: string) => void): void {
  print(`dataset: ${result.target}`);
  print(
    `  rows: ${result.rowsGenerated} generated, ${result.rowsUnique} unique; ` +
      `train ${result.splits.train}, validation ${result.splits.validation}, test ${result.splits.test}`,
  );
  if (result.coverage) {
    const c = result.coverage;
    const short = c.unreached.map((t) => `${t.tag} (${t.rows})`).join(', ');
    print(
      `  coverage: ${c.rowsAdded} rows added for ${c.tagsShort} tags under ${c.minRowsPerTag} rows; ` +
        (short
          ? `still short: ${short} (reasons in report/coverage.json)`
          : 'every tag reached it'),
    );
  }
  if (result.evaluation) {
    const e = result.evaluation;
    print(
      `  quality: co-occurrence r ${e.cooccurrenceR === null ? 'n/a' : e.cooccurrenceR.toFixed(3)}, mean JS ${e.meanJs.toFixed(3)}, max W1 ${e.maxW1.toFixed(3)}`,
    );
  }
  const stalls = Object.entries(result.eventLoopStallMs ?? {});
  if (stalls.length > 0) {
    // The worker's own measure (activities/event-loop-watch.ts); the history does not show it.
    print(
      `  worker event-loop stalls: ${stalls.map(([stage, ms]) => `${stage} ${ms} ms`).join(', ')}`,
    );
  }
  if (result.publish.commit) {
    print(
      `  commit: ${result.publish.commit.oid}${result.publish.commit.alreadyPublished ? ' (already published by an earlier attempt)' : ''}`,
    );
  }
}
