// Live progress of a run: one bar per stage (generation counts chunks and rows), drawn with
// cli-progress on a terminal; elsewhere (CI logs, pipes) one line per stage change.
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { type RunProgress, STAGES, type StageName } from '../core/run-types.js';

/** The coverage stage's state: rows added by the rounds merged so far, tags still short. */
function coverageDetail(c: NonNullable<RunProgress['coverage']>): string {
  return `${c.rowsAdded} rows added in ${c.round} round${c.round === 1 ? '' : 's'}, ${c.tagsShort} tags short`;
}

export class ProgressView {
  private readonly print: (line: string) => void;
  private readonly live: boolean;
  private multibar?: MultiBar;
  private readonly bars = new Map<StageName, SingleBar>();
  private readonly lastState = new Map<StageName, string>();

  constructor(params: { enabled: boolean; print: (line: string) => void }) {
    this.print = params.print;
    this.live = params.enabled && Boolean(process.stderr.isTTY);
  }

  update(progress: RunProgress): void {
    if (this.live) this.draw(progress);
    else this.log(progress);
  }

  private draw(progress: RunProgress): void {
    if (!this.multibar) {
      this.multibar = new MultiBar(
        {
          format: ' {stage} |{bar}| {value}/{total} {unit} {detail}',
          hideCursor: true,
          clearOnComplete: false,
          stopOnComplete: false,
          barsize: 30,
        },
        Presets.shades_classic,
      );
      for (const stage of STAGES) {
        this.bars.set(
          stage,
          this.multibar.create(1, 0, { stage: stage.padEnd(8), unit: '', detail: '' }),
        );
      }
    }
    for (const stage of STAGES) {
      const bar = this.bars.get(stage)!;
      const state = progress.stages[stage];
      if (stage === 'generate' && progress.chunksTotal > 0) {
        bar.setTotal(progress.chunksTotal);
        bar.update(progress.chunksDone, {
          unit: 'chunks',
          detail: `${progress.rowsGenerated}/${progress.rowsPlanned} rows${state === 'running' ? '' : ` ${state}`}`,
        });
      } else {
        const detail =
          stage === 'cover' && progress.coverage ? ` ${coverageDetail(progress.coverage)}` : '';
        bar.update(state === 'done' || state === 'skipped' ? 1 : 0, {
          unit: '',
          detail: `${state}${detail}`,
        });
      }
    }
  }

  private log(progress: RunProgress): void {
    for (const stage of STAGES) {
      const state = progress.stages[stage];
      const detail =
        stage === 'generate' && state === 'done'
          ? ` (${progress.chunksTotal} chunks, ${progress.rowsGenerated} rows)`
          : stage === 'cover' && state !== 'skipped' && progress.coverage
            ? ` (${coverageDetail(progress.coverage)})`
            : '';
      const key = `${state}${detail}`;
      if (this.lastState.get(stage) === key || state === 'pending') continue;
      this.lastState.set(stage, key);
      this.print(`  ${stage}: ${state}${detail}`);
    }
  }

  /** A line between progress updates (above the bars on a terminal). */
  note(line: string): void {
    if (this.multibar) this.multibar.log(`${line}\n`);
    else this.print(line);
  }

  stop(): void {
    this.multibar?.stop();
  }
}
