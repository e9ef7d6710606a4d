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
