// Generated rows shaped like the notebook's run, for dedupe / split / publish tests and the
// bench: the real ConceptCaps taxonomy and catalogue (track ids, original tags), the
// notebook's temperature list (1.0 twice), one seeded row per catalogue track and as many
// latent rows per temperature, and a controlled share of rows that repeat an earlier row's
// tag set in another order or seed/generated split (the notebook went 28,574 → 16,043).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { loadTaxonomy, type Taxonomy } from '../../core/inputs/index.js';
import { readArrowBatches, writeArrowFile } from '../../core/io/index.js';
import { RowStream, Stage } from '../../core/rng.js';
import {
  GENERATED_ROWS_SCHEMA,
  type GeneratedRow,
  GeneratedRowsBuilder,
  GeneratedRowsView,
  Mode,
} from '../../core/rows/index.js';
import { conceptcaps } from './conceptcaps.js';

export const NOTEBOOK_TEMPERATURES = [0.5, 0.75, 1.0, 1.0, 1.25, 1.5, 2.0];

export interface CatalogueTrack {
  id: string;
  /** The track's aspect_list mapped to tag ids (tags outside the taxonomy left out). */
  originalTags: number[];
}

export function conceptcapsTaxonomy(): Taxonomy {
  return loadTaxonomy(conceptcaps('concepts_to_tags.json'));
}

/** The real MTG-Jamendo catalogue: ids and aspect lists. */
export function conceptcapsCatalogue(taxonomy: Taxonomy): CatalogueTrack[] {
  const records = parse(readFileSync(conceptcaps('mtg_jamendo_top50tags_cleaned.csv')), {
    columns: true,
  }) as { id: string; aspect_list: string }[];
  return records.map((r) => ({
    id: r.id,
    originalTags: [...r.aspect_list.matchAll(/'([^']*)'|"([^"]*)"/g)]
      .map((m) => taxonomy.index.get(m[1] ?? m[2]))
      .filter((id): id is number => id !== undefined),
  }));
}

export interface FixtureOptions {
  taxonomy: Taxonomy;
  catalogue: CatalogueTrack[];
  temperatures?: number[];
  /** Latent rows per temperature (default: the catalogue's size, as the notebook). */
  latentPerTemperature?: number;
  /** Share of rows that copy an earlier row's tag set (default 0.4385 ≈ 12,531 / 28,574). */
  duplicateShare?: number;
  seed?: number;
}

/** All rows in the stable order (temperature index, mode, row index). */
export function fixtureRows(options: FixtureOptions): GeneratedRow[] {
  const { taxonomy, catalogue } = options;
  const temperatures = options.temperatures ?? NOTEBOOK_TEMPERATURES;
  const latent = options.latentPerTemperature ?? catalogue.length;
  const share = options.duplicateShare ?? 12_531 / 28_574;
  const rng = new RowStream({
    seed: options.seed ?? 7,
    stage: Stage.CountSample,
    temperatureIndex: 0,
    row: 0,
  });
  const rows: GeneratedRow[] = [];
  const sets: number[][] = [];

  // Zipf-like popularity within each category, so fresh draws collide now and then too.
  const drawCategory = (c: number, count: number, into: Set<number>) => {
    const { start, end } = taxonomy.ranges[c];
    const size = end - start;
    let guard = 0;
    while (count > 0 && guard++ < 1000) {
      const rank = Math.min(size - 1, Math.floor(size ** rng.uniform()) - 1);
      if (!into.has(start + rank)) {
        into.add(start + rank);
        count--;
      }
    }
  };
  const freshSet = () => {
    const tags = new Set<number>();
    for (let c = 0; c < taxonomy.categories.length; c++) drawCategory(c, 1 + rng.int(3), tags);
    return [...tags];
  };
  const shuffled = (tags: number[]) => {
    const out = [...tags];
    for (let i = out.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  };

  const push = (mode: number, ti: number, rowIndex: number, track: CatalogueTrack | null) => {
    const set = sets.length > 0 && rng.uniform() < share ? sets[rng.int(sets.length)] : freshSet();
    sets.push(set);
    const order = shuffled(set);
    const seedCount = mode === Mode.seeded ? Math.min(order.length - 1, rng.int(3)) : 0;
    rows.push({
      mode,
      temperatureIndex: ti,
      temperature: temperatures[ti],
      rowIndex,
      sourceId: track ? track.id : null,
      seedTags: order.slice(0, seedCount),
      generatedTags: order.slice(seedCount),
      originalTags: track ? track.originalTags : [],
    });
  };
  for (let ti = 0; ti < temperatures.length; ti++) {
    for (let r = 0; r < catalogue.length; r++) push(Mode.seeded, ti, r, catalogue[r]);
    for (let r = 0; r < latent; r++) push(Mode.latent, ti, r, null);
  }
  return rows;
}

/**
 * Writes rows to Arrow files of at most `rowsPerFile` rows (never mixing temperature
 * index and mode in one file, as generation chunks do), batches of `batchRows`.
 * Returns the paths in order.
 */
export async function writeFixtureFiles(
  rows: readonly GeneratedRow[],
  dir: string,
  options: { rowsPerFile?: number; batchRows?: number } = {},
): Promise<string[]> {
  const rowsPerFile = options.rowsPerFile ?? 5000;
  const batchRows = options.batchRows ?? 1024;
  const paths: string[] = [];
  let start = 0;
  while (start < rows.length) {
    const first = rows[start];
    let end = start;
    while (
      end < rows.length &&
      end - start < rowsPerFile &&
      rows[end].temperatureIndex === first.temperatureIndex &&
      rows[end].mode === first.mode
    )
      end++;
    const path = join(dir, `rows-${String(paths.length).padStart(4, '0')}.arrow`);
    const batches = [];
    for (let b = start; b < end; b += batchRows) {
      const builder = new GeneratedRowsBuilder(Math.min(batchRows, end - b));
      for (let i = b; i < Math.min(end, b + batchRows); i++) builder.push(rows[i]);
      batches.push(builder.finish());
    }
    await writeArrowFile(path, GENERATED_ROWS_SCHEMA, batches);
    paths.push(path);
    start = end;
  }
  return paths;
}

/** Rows read back from Arrow files, as plain objects, in file order. */
export async function readRows(paths: readonly string[]): Promise<GeneratedRow[]> {
  const rows: GeneratedRow[] = [];
  for (const path of paths) {
    for await (const batch of readArrowBatches(path)) {
      const view = new GeneratedRowsView(batch);
      for (let i = 0; i < view.length; i++) rows.push(view.row(i));
    }
  }
  return rows;
}

/** A row's identity written independently of core/dataset/dedupe.ts: sorted unique tag ids, joined. */
export function sortedTagKey(row: GeneratedRow): string {
  return [...new Set([...Array.from(row.seedTags), ...Array.from(row.generatedTags)])]
    .sort((a, b) => a - b)
    .join(',');
}
