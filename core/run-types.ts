// Payloads between the workflow and its activities: small summaries and manifests only, never
// rows. No Node imports here: workflow code imports these types.
import type { RunConfig } from './config.js';
import type { ConceptPart, CoveragePart, PlannedChunk } from './plan.js';

/** Every stage of a run, in order. */
export const STAGES = [
  'train',
  'load',
  'counts',
  'generate',
  'concepts',
  'dedupe',
  'cover',
  'split',
  'evaluate',
  'publish',
] as const;
export type StageName = (typeof STAGES)[number];

/** The workflow id of a run: starting the same run twice attaches to the first. */
export function runWorkflowId(runId: string): string {
  return `tagflow-${runId}`;
}

/**
 * The run workflow's progress query (RunProgress), by name: clients query it without loading
 * the workflow SDK (workflows/generate-dataset.ts defines it).
 */
export const PROGRESS_QUERY = 'progress';
export type StageState = 'pending' | 'running' | 'done' | 'skipped' | 'failed' | 'cancelled';

export interface RunInput {
  /** Names the run folder in the artifact store; the workflow id is `tagflow-<runId>`. */
  runId: string;
  /** A validated configuration with absolute paths (see core/config.ts). */
  config: RunConfig;
  /** Task-queue prefix of the workers (default `tagflow`). */
  queuePrefix?: string;
  /**
   * Heartbeat timeout of the inference-queue activities (chunks, calibration, concepts,
   * training), seconds (default 15): how fast a lost worker is noticed. CPU stages keep 60 s
   * (more when this is larger).
   */
  heartbeatTimeoutSeconds?: number;
}

export interface TrainSummary {
  packDir: string;
  epochs: number;
  validationLoss: number;
}

export interface LoadSummary {
  taxonomy: { hash: string; tags: number; categories: string[] };
  catalogue: {
    rows: number;
    sha256: string;
    key: string;
    unknownTagsDropped: number;
    missingCategories: string[];
  };
  model: { latentDim: number; provenance: string };
}

export interface CountsSummary {
  kind: 'fitted' | 'params';
  key: string;
  /** Expected tags per row and category under the count model. */
  expectedMeans: Record<string, number>;
}

/** What a chunk activity needs: enough to rebuild everything else from the artifact store. */
export interface ChunkJob {
  runId: string;
  artifacts: string;
  taxonomy: string;
  modelPack: string;
  seed: number;
  batchSize: number;
  selection: 'topk' | 'sample';
  /** Absent in jobs scheduled before the option existed: independent. */
  countCoupling?: 'independent' | 'coupled';
  seedCategories: string[];
  /** Seconds between part files; absent in jobs scheduled before the option existed: 0. */
  checkpointSeconds?: number;
  /** What a temperature does; absent in jobs scheduled before the option existed: decoder. */
  temperatureMode?: 'spread' | 'decoder';
  /** z's centre for latent rows; absent: standard (N(0, I)). */
  latentPrior?: 'corpus' | 'standard';
  /** The corpus latent centres and tag calibration come from. */
  corpus?: { path: string; tagColumns?: Record<string, string> };
  /** Tag-frequency calibration settings; absent: no bias. */
  calibration?: { steps: number; rows: number };
  chunk: PlannedChunk;
}

/** What a concept activity needs: the job base, the run's temperatures, the concept part. */
export interface ConceptJob extends Omit<ChunkJob, 'chunk'> {
  temperatures: number[];
  concepts: { tags: 'all' | string[]; rowsPerConcept: number };
  part: ConceptPart;
}

/** What a coverage part needs: the job base, the run's temperatures, the part's candidate ranges. */
export interface CoverageJob extends Omit<ChunkJob, 'chunk'> {
  temperatures: number[];
  part: CoveragePart;
}

export interface CoveragePartSummary {
  key: string;
  rows: number;
  /** True when an earlier attempt or run had written the part: nothing was computed. */
  reused: boolean;
}

/** What the coverage stage did: rows added, and the tags still short of minRowsPerTag. */
export interface CoverageSummary {
  minRowsPerTag: number;
  rounds: number;
  rowsAdded: number;
  /** Tags short of minRowsPerTag after dedupe. */
  tagsShort: number;
  /** Of those, the tags still short in the dataset, with their rows. */
  unreached: { tag: string; rows: number }[];
}

/** One call of the coverage stage's CPU step: the next round's parts, or (none left) the summary. */
export interface CoverageStep {
  /** The round the parts belong to. */
  round: number;
  parts: CoveragePart[];
  /** Rows added by the rounds merged so far. */
  rowsAdded: number;
  /** Tags still short of minRowsPerTag. */
  tagsShort: number;
  /** Set once no round is left. */
  summary?: CoverageSummary;
}

/** A concept part's rows and how its positives' co-occurrence compares with the corpus's. */
export interface ConceptPartSummary {
  key: string;
  rows: number;
  concepts: ConceptSummary[];
}

export interface ConceptSummary {
  tag: string;
  positives: number;
  negatives: number;
  /** Corpus rows that contain the tag. */
  referenceRows: number;
  /**
   * Pearson r between P(other tag | concept) in the positives and in the corpus rows with the
   * concept; null without a corpus or when the corpus has fewer than 2 such rows.
   */
  profileR: number | null;
}

/** A temperature's tag calibration, as the calibrate activity wrote it (calibration/t###.json). */
export interface CalibrationSummary {
  temperatureIndex: number;
  temperature: number;
  key: string;
  /** Mean JS distance of the calibration sample's tag shares to the corpus's: no bias, fitted. */
  meanJsBefore: number;
  meanJsAfter: number;
}

export interface ChunkSummary {
  key: string;
  rows: number;
  sha256: string;
  reused: boolean;
  resumedBatches: number;
}

/**
 * The largest delay of the worker's event loop while an activity ran (ms): added to every
 * activity's object result by activities/event-loop-watch.ts. Absent in results of older workers.
 */
export interface EventLoopStall {
  eventLoopStallMs?: number;
}

export interface TemperatureSummary extends EventLoopStall {
  temperatureIndex: number;
  temperature: number;
  rows: number;
  chunks: number;
  /** The temperature's tag calibration, when the run calibrates. */
  calibration?: CalibrationSummary;
}

export interface GroupCount {
  mode: 'seeded' | 'latent' | 'coverage';
  temperatureIndex: number;
  temperature: number;
  rowsIn: number;
  rowsOut: number;
  dropped: number;
}

export interface DedupeSummary {
  rowsIn: number;
  rowsOut: number;
  groups: GroupCount[];
}

export interface SplitSummary {
  counts: Record<'train' | 'validation' | 'test', number>;
}

export interface EvaluateSummary {
  reference: string;
  overall: { cooccurrenceR: number | null; meanJs: number; maxW1: number; uniqueRatio: number };
  reportKey: string;
}

export interface PublishSummary {
  target: string;
  files: number;
  bytes: number;
  commit?: { oid: string; url?: string; alreadyPublished: boolean };
}

export interface RunResult {
  runId: string;
  target: string;
  rowsGenerated: number;
  rowsUnique: number;
  splits: SplitSummary['counts'];
  evaluation?: EvaluateSummary['overall'];
  /** When the run tops up rare tags (generation.minRowsPerTag): rowsUnique includes the rows added. */
  coverage?: CoverageSummary;
  publish: PublishSummary;
  /**
   * Per stage, the largest event-loop stall of a worker while one of the stage's activities
   * ran on it (ms; EventLoopStall). A stage whose workers did not report one is left out.
   */
  eventLoopStallMs?: Partial<Record<StageName, number>>;
}

export interface TemperatureProgress {
  temperatureIndex: number;
  temperature: number;
  chunksDone: number;
  chunksTotal: number;
  rows: number;
}

export interface RunProgress {
  runId: string;
  stage: StageName | 'done';
  stages: Record<StageName, StageState>;
  chunksDone: number;
  chunksTotal: number;
  rowsGenerated: number;
  rowsPlanned: number;
  temperatures: TemperatureProgress[];
  /** The coverage stage so far: its round, the rows it added, the tags still short. */
  coverage?: { round: number; rowsAdded: number; tagsShort: number };
  result?: RunResult;
}

/** Sent by a temperature's child workflow to its parent as each chunk finishes. */
export interface ChunkDone {
  temperatureIndex: number;
  /** Rows of the chunk just finished. */
  rows: number;
  /**
   * The temperature's totals so far. Signals are not awaited, so they may arrive late or after
   * the child's completion; totals (taken as a maximum) cannot double count. Absent in signals
   * of runs started before they were added.
   */
  chunksDone?: number;
  rowsDone?: number;
}

/** What every chunk job of a run shares; each job adds its chunk. */
export function chunkJobBase(runId: string, config: RunConfig): Omit<ChunkJob, 'chunk'> {
  const g = config.generation;
  return {
    runId,
    artifacts: config.artifacts,
    taxonomy: config.taxonomy,
    modelPack: config.model.pack,
    seed: config.seed,
    batchSize: g.batchSize,
    selection: g.selection,
    countCoupling: g.countCoupling,
    seedCategories: g.seeded.seedCategories,
    checkpointSeconds: config.execution.checkpointSeconds,
    temperatureMode: g.temperatureMode,
    latentPrior: g.latent.prior,
    corpus: g.corpus
      ? { path: g.corpus }
      : config.counts.mode === 'fit'
        ? { path: config.counts.reference, tagColumns: config.counts.tagColumns }
        : undefined,
    calibration: g.calibration.enabled
      ? { steps: g.calibration.steps, rows: g.calibration.rows }
      : undefined,
  };
}
