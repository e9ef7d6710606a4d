import { describe, expect, it } from 'vitest';
import { ProgressView } from '../../cli/progress-view.js';
import { type RunProgress, STAGES, type StageState } from '../../core/run-types.js';

function progress(states: Partial<Record<(typeof STAGES)[number], StageState>>): RunProgress {
  return {
    runId: 'r',
    stage: 'load',
    stages: Object.fromEntries(
      STAGES.map((s) => [s, states[s] ?? 'pending']),
    ) as RunProgress['stages'],
    chunksDone: 3,
    chunksTotal: 4,
    rowsGenerated: 300,
    rowsPlanned: 400,
    temperatures: [],
  };
}

describe('ProgressView without a terminal', () => {
  it('prints one line per stage change, skipping pending stages and repeats', () => {
    const lines: string[] = [];
    const view = new ProgressView({ enabled: true, print: (l) => lines.push(l) });
    view.update(progress({ train: 'skipped', load: 'running' }));
    view.update(progress({ train: 'skipped', load: 'running' }));
    view.update(progress({ train: 'skipped', load: 'done', counts: 'running' }));
    view.update(
      progress({
        train: 'skipped',
        load: 'done',
        counts: 'done',
        generate: 'done',
        dedupe: 'failed',
      }),
    );
    view.stop();
    expect(lines).toEqual([
      '  train: skipped',
      '  load: running',
      '  load: done',
      '  counts: running',
      '  counts: done',
      '  generate: done (4 chunks, 300 rows)',
      '  dedupe: failed',
    ]);
  });

  it('says how far tag coverage has come: rows added, rounds, tags still short', () => {
    const lines: string[] = [];
    const view = new ProgressView({ enabled: true, print: (l) => lines.push(l) });
    const covering = (cover: StageState, round: number, rowsAdded: number, tagsShort: number) => ({
      ...progress({ dedupe: 'done', cover }),
      coverage: { round, rowsAdded, tagsShort },
    });
    view.update(covering('running', 0, 0, 25));
    view.update(covering('running', 1, 880, 2));
    view.update(covering('done', 2, 893, 0));
    view.update(progress({ dedupe: 'done', cover: 'skipped' }));
    view.stop();
    expect(lines).toEqual([
      '  dedupe: done',
      '  cover: running (0 rows added in 0 rounds, 25 tags short)',
      '  cover: running (880 rows added in 1 round, 2 tags short)',
      '  cover: done (893 rows added in 2 rounds, 0 tags short)',
      '  cover: skipped',
    ]);
  });

  it('logs lines when bars are turned off, even on a terminal', () => {
    const lines: string[] = [];
    const tty = process.stderr.isTTY;
    process.stderr.isTTY = true;
    try {
      const view = new ProgressView({ enabled: false, print: (l) => lines.push(l) });
      view.update(progress({ load: 'running' }));
      view.stop();
    } finally {
      process.stderr.isTTY = tty;
    }
    expect(lines).toEqual(['  load: running']);
  });
});
