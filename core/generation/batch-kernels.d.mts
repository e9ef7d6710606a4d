// Types of core/batch-kernels.mjs.

export declare function reserveWasmMemory(memory: WebAssembly.Memory, bytes: number): ArrayBuffer;

export declare class NormalKernel {
  constructor(module: WebAssembly.Module, tables: Float64Array);
  fill(states: Int32Array, rows: number, count: number, out: Float32Array): void;
}

/**
 * A batch of rows to select tags for: probabilities n×D, requests n×C, and per row r the seed
 * tags to skip, seeds[r·S …], seedCounts[r] of them (none without seeds).
 */
export interface SelectionBatch {
  probs: Float32Array;
  n: number;
  requests: Uint8Array;
  seeds?: Uint16Array;
  seedCounts?: Uint8Array;
  /** Seed slots per row in `seeds`. */
  S?: number;
}

/** One batch's selection, packed: row r's counts[r] tags follow those of rows 0 … r − 1. */
export interface SelectedRows {
  tags: Uint16Array;
  counts: Uint16Array;
}

export declare class TopkKernel {
  constructor(module: WebAssembly.Module);
  /** ranges: per category its first and end tag, as i32 pairs; D: the number of tags. */
  select(batch: SelectionBatch, ranges: Int32Array, D: number): SelectedRows;
}

/** What a session's kernels are made of (sent to inference threads when they open). */
export interface GenerateKernelSpec {
  ziggurat: WebAssembly.Module;
  /** The ziggurat's tables: K, W, F (128 f64 each). */
  tables: Float64Array;
  topk: WebAssembly.Module;
}

export interface GenerateKernels {
  normals: NormalKernel;
  topk: TopkKernel;
}

export declare function openKernels(spec: GenerateKernelSpec): GenerateKernels;

/** Per row r its seed tags: tags[r·S …], counts[r] ≤ S of them. */
export interface RowSeeds {
  tags: Uint16Array;
  counts: Uint8Array;
  S: number;
  /** Whether `select` skips them (default true; false for a corpus row that only places z). */
  exclude?: boolean;
}

export declare function applyTagBias(probs: Float32Array, n: number, bias: Float32Array): void;

/**
 * One batch of generation: n rows at their temperatures. z (latent) or ε (seeded, when `seeds`
 * are given) are `latentDim` normals from each row's stream, whose state is states[4r … 4r + 3]
 * (RowStream.writeState).
 */
export interface GenerateRequest {
  n: number;
  latentDim: number;
  inputDim: number;
  temperature: Float32Array;
  states: Int32Array;
  /**
   * Seeded: each row's seed tags. The encoder's posterior for their multi-hot gives z, and
   * `select` skips them.
   */
  seeds?: RowSeeds;
  /** Scales ε around the posterior mean (with seeds) or z itself (without); default 1. */
  spread?: number;
  /** Per-tag logit bias applied to the probabilities before selection (inputDim values). */
  bias?: Float32Array;
  /** Select with `topk` and return the tags instead of the probabilities. */
  select?: {
    /** Per category its first and end tag, as i32 pairs. */
    ranges: Int32Array;
    /** Requested tags per category, n × categories. */
    requests: Uint8Array;
  };
}

/** probabilities (n × inputDim) without `select`; with it, row r's tags packed after row r − 1's. */
export type GeneratedBatch = { probs: Float32Array } | { tags: Uint16Array; counts: Uint16Array };

export type ModelFeeds = Record<string, { data: Float32Array; dims: number[] }>;

export declare function generateBatch(
  kernels: GenerateKernels,
  run: (model: 'encoder' | 'decoder', feeds: ModelFeeds) => Promise<Record<string, Float32Array>>,
  maxRows: number,
  request: GenerateRequest,
): Promise<GeneratedBatch>;
