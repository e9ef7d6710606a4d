// The generation plan: which chunks a run generates and where each chunk's rows go. A pure
// function of the configuration and the catalogue size, shared by the workflow (which fans
// the chunks out) and the activities (which find the chunk files by the same names), so
// payloads never need to carry lists of files.
//
// No Node imports here: workflow code imports this module.
import type { RunConfig } from './config.js';

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
  chunkRows: number;
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
  return input.temperatures.map((temperature, temperatureIndex) => {
    const seededRows = input.seeded ? input.catalogueRows : 0;
    const latentRows = latentPerTemperature[temperatureIndex];
    const chunks: PlannedChunk[] = [];
    const add = (mode: GenerationMode, rows: number) => {
      for (let rowStart = 0; rowStart < rows; rowStart += input.chunkRows) {
        const rowEnd = Math.min(rows, rowStart + input.chunkRows);
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

/** All chunk keys of a plan in the stable order. */
export function planChunkKeys(plan: readonly TemperaturePlan[]): string[] {
  return plan.flatMap((t) => t.chunks.map((c) => c.key));
}

/** The generation plan of a run's configuration over a catalogue of `catalogueRows` rows. */
export function planRunGeneration(
  generation: RunConfig['generation'],
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

/** The concept parts: as many whole concepts (2 × rowsPerConcept rows each) as fit in chunkRows. */
export function planConcepts(
  concepts: number,
  rowsPerConcept: number,
  chunkRows: number,
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
 * of more when that would make more than MAX_COVERAGE_PARTS parts.
 */
export function planCoverageParts(
  round: number,
  ranges: readonly CoverageRange[],
  chunkRows: number,
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
