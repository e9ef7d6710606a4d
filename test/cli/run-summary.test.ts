import { describe, expect, it } from 'vitest';
import { printRunResult } from '../../cli/run-summary.js';
import type { RunResult } from '../../core/run-types.js';

const base: RunResult = {
  runId: 'r',
  target: 'file:///tmp/out/r',
  rowsGenerated: 1000,
  rowsUnique: 900,
  splits: { train: 810, validation: 45, test: 45 },
  publish: { target: 'file:///tmp/out/r', files: 5, bytes: 1234 },
};

function lines(result: RunResult): string[] {
  const out: string[] = [];
  printRunResult(result, (l) => out.push(l));
  return out;
}

describe('printRunResult', () => {
  it('prints the dataset and its rows, and nothing for what the run did not do', () => {
    expect(lines(base)).toEqual([
      'dataset: file:///tmp/out/r',
      '  rows: 1000 generated, 900 unique; train 810, validation 45, test 45',
    ]);
  });

  it('names the tags coverage could not reach, the quality, the stalls and the commit', () => {
    const out = lines({
      ...base,
      coverage: {
        minRowsPerTag: 50,
        rounds: 2,
        rowsAdded: 120,
        tagsShort: 3,
        unreached: [{ tag: 'beatbox', rows: 7 }],
      },
      evaluation: { cooccurrenceR: null, meanJs: 0.0212, maxW1: 0.019, uniqueRatio: 0.9 },
      eventLoopStallMs: { dedupe: 25, publish: 64 },
      publish: { ...base.publish, commit: { oid: 'abc', alreadyPublished: true } },
    });
    expect(out[2]).toBe(
      '  coverage: 120 rows added for 3 tags under 50 rows; still short: beatbox (7) (reasons in report/coverage.json)',
    );
    expect(out[3]).toBe('  quality: co-occurrence r n/a, mean JS 0.021, max W1 0.019');
    expect(out[4]).toBe('  worker event-loop stalls: dedupe 25 ms, publish 64 ms');
    expect(out[5]).toBe('  commit: abc (already published by an earlier attempt)');
  });
});
