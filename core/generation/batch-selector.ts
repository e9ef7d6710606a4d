// Tag selection for a chunk's batches (BatchSelector) where it runs on this thread: `sample`
// row by row, or `topk` for the whole batch when the requests follow the probabilities.
import type { Taxonomy } from '../inputs/index.js';
import { RowStream, Stage, StreamFamily } from '../rng.js';
import {
  categoryRanges,
  type SelectionBatch,
  type SelectionPolicy,
  SelectionScratch,
  selectTags,
  TopkRows,
} from './selection.js';

const EMPTY = new Uint16Array(0);

/**
 * A batch's tags: row i's are tags[from(i) …], counts[i] of them; `packed` when rows follow one
 * another (`topk`, here or from the model's side), else (`sample`) row i's start at i·D.
 */
export interface BatchTags {
  tags: Uint16Array;
  counts: Uint16Array;
  packed: boolean;
}

/**
 * Tag selection for a chunk's batches. `topk` runs where the model runs (the request's
 * `select`), unless the requests depend on the probabilities (z-coupled counts): then here,
 * for the whole batch (TopkRows). `sample` runs here row by row, each row drawing from its own
 * stream Selection/(2t + mode)/row.
 */
export class BatchSelector {
  /** For `topk` here (z-coupled counts); made on first use. */
  private topk: TopkRows | undefined;
  private readonly streams: StreamFamily | undefined;
  private readonly stream = new RowStream();
  private readonly scratch: SelectionScratch | undefined;
  private tags = new Uint16Array(0);
  private counts = new Uint16Array(0);
  /** Per category its first and end tag (GenerateRequest.select). */
  readonly ranges: Int32Array;

  constructor(
    private readonly taxonomy: Taxonomy,
    private readonly policy: SelectionPolicy,
    seed: number,
    chunk: { temperatureIndex: number },
    mode: number,
  ) {
    this.ranges = categoryRanges(taxonomy);
    if (policy !== 'topk') {
      this.scratch = new SelectionScratch(taxonomy);
      this.streams = new StreamFamily({
        seed,
        stage: Stage.Selection,
        temperatureIndex: chunk.temperatureIndex * 2 + mode,
      });
    }
  }

  /** Whether the model's side can select (the `topk` policy). */
  get remote(): boolean {
    return this.policy === 'topk';
  }

  /** The batch's rows are rows first … first + n − 1. */
  select(batch: SelectionBatch, first: number): BatchTags {
    if (this.policy === 'topk') {
      this.topk ??= new TopkRows(this.taxonomy);
      return { ...this.topk.select(batch), packed: true };
    }
    const { probs, n, requests, seeds, seedCounts, S = 0 } = batch;
    const D = this.taxonomy.size;
    if (this.tags.length < n * D) {
      this.tags = new Uint16Array(n * D);
      this.counts = new Uint16Array(n);
    }
    for (let i = 0; i < n; i++) {
      this.counts[i] = selectTags(
        this.taxonomy,
        this.policy,
        probs,
        i,
        requests,
        seeds ?? EMPTY,
        i * S,
        seeds && seedCounts ? seedCounts[i] : 0,
        this.scratch as SelectionScratch,
        this.tags,
        i * D,
        this.streams?.seek(this.stream, first + i),
      );
    }
    return { tags: this.tags, counts: this.counts, packed: false };
  }
}
