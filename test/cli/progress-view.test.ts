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
