// The generation plan: which chunks a run generates and where each chunk's rows go. A pure
// function of the configuration and the catalogue size, shared by the workflow (which fans
// the chunks out) and the activities (which find the chunk files by the same names), so
// payloads never need to carry lists of files.
//
// No Node imports here: workflow code imports this module.

export type GenerationMode = 'seeded' | 'latent';

export interface PlannedChunk {
  mode: GenerationMode;
  temperatureIndex: number;
  temperature: number;
  rowStart: number;
  rowEnd: number;
  /** Artifact key relative to the run folder. */
  key: string;
}

export interface TemperaturePlan {
  temperatureIndex: number;
  temperature: number;
  seededRows: number;
  latentRows: number;
  chunks: PlannedChunk[];
}

export interface GenerationPlanInput {
  temperatures: readonly number[];
  catalogueRows: number;
  seeded: boolean;
  latent: boolean;
  /** Total latent rows (default: catalogue rows × temperatures). */
  latentRows?: number;
  /** Rows per chunk; default: autoChunkRows of the largest (temperature, mode) group. */
  chunkRows?: number;
}

/** Chunk activities per temperature: each adds events to its child's history (51,200 at most). */
export const MAX_CHUNKS_PER_TEMPERATURE = 10_000;
export const MAX_CHUNK_ROWS = 10_000_000;

/**
 * When a config leaves chunkRows unset, a (temperature, mode) group of up to this many rows is
 * one chunk, and a larger one is cut into the fewest chunks of equal size under it. A chunk
 * costs an activity round trip, a file and its fsync: at 5,000 rows a chunk, a run spent more
 * on those than on its rows (bench/latent-scale.ts), while a long chunk still loses no more
 * than its checkpoint interval (execution.checkpointSeconds) to a crash.
 */
export const AUTO_CHUNK_MAX_ROWS = 250_000;

/** Rows per chunk for groups of up to `groupRows` rows, when the config leaves it to tagflow. */
export function autoChunkRows(groupRows: number): number {
  const chunks = Math.min(
    Math.max(1, Math.ceil(groupRows / AUTO_CHUNK_MAX_ROWS)),
    MAX_CHUNKS_PER_TEMPERATURE,
  );
  return Math.max(1, Math.ceil(groupRows / chunks));
}

const pad = (value: number, width: number) => String(value).padStart(width, '0');

/**
 * The chunk file of a range: names sort in the stable row order (temperature index, mode,
 * row), which is the order dedupe keeps first occurrences in.
 */
export function chunkKey(
  mode: GenerationMode,
  temperatureIndex: number,
  rowStart: number,
  rowEnd: number,
): string {
  const modeRank = mode === 'seeded' ? 0 : 1;
  return `generated/t${pad(temperatureIndex, 3)}-${modeRank}${mode}-r${pad(rowStart, 10)}-${pad(rowEnd, 10)}.arrow`;
}

/** Latent rows per temperature: `total` spread evenly, the remainder going to the first ones. */
export function latentRowsPerTemperature(total: number, temperatures: number): number[] {
  const base = Math.floor(total / temperatures);
  const extra = total % temperatures;
  return Array.from({ length: temperatures }, (_, t) => base + (t < extra ? 1 : 0));
}

export function planGeneration(input: GenerationPlanInput): TemperaturePlan[] {
  const latentTotal = input.latent
    ? (input.latentRows ?? input.catalogueRows * input.temperatures.length)
    : 0;
  const latentPerTemperature = latentRowsPerTemperature(latentTotal, input.temperatures.length);
  const seededRows = input.seeded ? input.catalogueRows : 0;
  const chunkRows = input.chunkRows ?? autoChunkRows(Math.max(seededRows, ...latentPerTemperature));
  return input.temperatures.map((temperature, temperatureIndex) => {
    const latentRows = latentPerTemperature[temperatureIndex];
    const chunks: PlannedChunk[] = [];
    const add = (mode: GenerationMode, rows: number) => {
      for (let rowStart = 0; rowStart < rows; rowStart += chunkRows) {
        const rowEnd = Math.min(rows, rowStart + chunkRows);
        chunks.push({
          mode,
          temperatureIndex,
          temperature,
          rowStart,
          rowEnd,
          key: chunkKey(mode, temperatureIndex, rowStart, rowEnd),
        });
      }
    };
    add('seeded', seededRows);
    add('latent', latentRows);
    return { temperatureIndex, temperature, seededRows, latentRows, chunks };
  });
}

/**
 * Up to this many chunks, a run generates them from its own workflow: a child workflow per
 * temperature costs its start and a few task round trips, more than a notebook-sized run's
 * chunks take, and a few dozen activities keep the run's history small without children.
 */
export const INLINE_GENERATION_MAX_CHUNKS = 32;

/** Whether the plan's chunks run from the run's workflow itself rather than one child per temperature. */
export function generatesInline(plan: readonly TemperaturePlan[]): boolean {
  return plan.reduce((n, t) => n + t.chunks.length, 0) <= INLINE_GENERATION_MAX_CHUNKS;
}

/** All chunk keys of a plan in the stable order. */
export function planChunkKeys(plan: readonly TemperaturePlan[]): string[] {
  return plan.flatMap((t) => t.chunks.map((c) => c.key));
}

/** The parts of a run's generation settings (RunConfig['generation']) its plan depends on. */
export interface GenerationSettings {
  temperatures: readonly number[];
  seeded: { enabled: boolean };
  latent: { enabled: boolean; rows?: number };
  chunkRows?: number;
}

/** The generation plan of a run's configuration over a catalogue of `catalogueRows` rows. */
export function planRunGeneration(
  generation: GenerationSettings,
  catalogueRows: number,
): TemperaturePlan[] {
  return planGeneration({
    temperatures: generation.temperatures,
    catalogueRows,
    seeded: generation.seeded.enabled,
    latent: generation.latent.enabled,
    latentRows: generation.latent.rows,
    chunkRows: generation.chunkRows,
  });
}

/** A part of the concept sets: concepts [start, end) of the run's concept list, one Parquet file. */
export interface ConceptPart {
  start: number;
  end: number;
  /** Artifact key relative to the run folder. */
  key: string;
}

/** Rows per concept part when the config leaves chunkRows unset. */
export const CONCEPT_PART_ROWS = 5000;

/** The concept parts: as many whole concepts (2 × rowsPerConcept rows each) as fit in chunkRows. */
export function planConcepts(
  concepts: number,
  rowsPerConcept: number,
  chunkRows = CONCEPT_PART_ROWS,
): ConceptPart[] {
  const perPart = Math.max(1, Math.floor(chunkRows / (2 * rowsPerConcept)));
  const parts = Math.ceil(concepts / perPart);
  const width = Math.max(5, String(parts).length);
  return Array.from({ length: parts }, (_, p) => ({
    start: p * perPart,
    end: Math.min(concepts, (p + 1) * perPart),
    key: `concepts/train-${pad(p, width)}-of-${pad(parts, width)}.parquet`,
  }));
}

/** Top-up candidates [from, to) of one tag (generation.minRowsPerTag). */
export interface CoverageRange {
  tag: number;
  from: number;
  to: number;
}

/** A part of a coverage round: candidate ranges of about chunkRows rows, one Arrow file. */
export interface CoveragePart {
  round: number;
  ranges: CoverageRange[];
  /** Artifact key relative to the run folder. */
  key: string;
}

/** Parts a coverage round is cut into at most: each is an activity in the run's own history. */
export const MAX_COVERAGE_PARTS = 1000;

/**
 * A round's ranges cut into parts of `chunkRows` candidates (a tag's range may span parts), or
 * of more when that would make more than MAX_COVERAGE_PARTS parts (unset: CONCEPT_PART_ROWS).
 */
export function planCoverageParts(
  round: number,
  ranges: readonly CoverageRange[],
  chunkRows = CONCEPT_PART_ROWS,
): CoveragePart[] {
  const total = ranges.reduce((n, r) => n + r.to - r.from, 0);
  const partRows = Math.max(chunkRows, Math.ceil(total / MAX_COVERAGE_PARTS));
  const parts: CoverageRange[][] = [];
  let current: CoverageRange[] = [];
  let size = 0;
  for (const range of ranges) {
    for (let from = range.from; from < range.to; ) {
      if (size === partRows) {
        parts.push(current);
        current = [];
        size = 0;
      }
      const to = Math.min(range.to, from + partRows - size);
      current.push({ tag: range.tag, from, to });
      size += to - from;
      from = to;
    }
  }
  if (current.length > 0) parts.push(current);
  return parts.map((partRanges, p) => ({
    round,
    ranges: partRanges,
    key: `coverage/r${pad(round, 2)}-p${pad(p, 5)}.arrow`,
  }));
}
