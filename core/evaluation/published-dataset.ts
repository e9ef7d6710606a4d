// Reading a published tagflow dataset folder back (data/*.parquet): for `tagflow evaluate`
// and for printing example rows.
//
// The published data carries temperatures but not their positions in the run's temperature
// list, so rows are grouped by temperature value: a value repeated in the list (the
// notebook's 1.0, 1.0) forms one group here.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Table, tableFromIPC } from 'apache-arrow';
import { ValidationError } from '../errors.js';
import type { Taxonomy } from '../inputs/index.js';
import type { EvaluationRow } from './evaluation.js';

/** The Parquet files of a published dataset, in name order. */
export function publishedParquetFiles(dir: string, split?: string): string[] {
  const dataDir = join(dir, 'data');
  let names: string[];
  try {
    names = readdirSync(dataDir);
  } catch {
    throw new ValidationError(
      `dataset ${dir}: no data/ folder (is it a published tagflow dataset?)`,
    );
  }
  const files = names
    .filter((n) => n.endsWith('.parquet') && (!split || n.startsWith(`${split}-`)))
    .sort()
    .map((n) => join(dataDir, n));
  if (files.length === 0)
    throw new ValidationError(
      `dataset ${dir}: no Parquet files in data/${split ? ` for split ${split}` : ''}`,
    );
  return files;
}

export async function readParquetFile(path: string): Promise<Table> {
  const { readParquet } = await import('parquet-wasm/node');
  try {
    return tableFromIPC(readParquet(new Uint8Array(readFileSync(path))).intoIPCStream());
  } catch (err) {
    throw new ValidationError(`${path}: not a readable Parquet file (${(err as Error).message})`);
  }
}

/** The rows of a published dataset as evaluation rows (tag ids of the taxonomy). */
export async function readPublishedRows(params: {
  dir: string;
  taxonomy: Taxonomy;
}): Promise<EvaluationRow[]> {
  const { dir, taxonomy } = params;
  const raw: { mode: string; temperature: number; tags: Uint16Array }[] = [];
  for (const file of publishedParquetFiles(dir)) {
    const table = await readParquetFile(file);
    const aspects = table.getChild('aspect_list');
    const modes = table.getChild('mode');
    const temperatures = table.getChild('temperature');
    if (!aspects || !modes || !temperatures) {
      throw new ValidationError(
        `${file}: expected columns aspect_list, mode and temperature (found ${table.schema.fields.map((f) => f.name).join(', ')})`,
      );
    }
    for (let i = 0; i < table.numRows; i++) {
      const list = aspects.get(i)?.toArray() as string[] | undefined;
      const tags = new Uint16Array(list?.length ?? 0);
      list?.forEach((tag, k) => {
        const id = taxonomy.index.get(tag);
        if (id === undefined)
          throw new ValidationError(
            `${file}: row ${i + 1} has tag "${tag}", which the taxonomy does not have`,
          );
        tags[k] = id;
      });
      raw.push({ mode: String(modes.get(i)), temperature: Number(temperatures.get(i)), tags });
    }
  }
  const distinct = [...new Set(raw.map((r) => r.temperature))].sort((a, b) => a - b);
  const indexOf = new Map(distinct.map((t, i) => [t, i]));
  return raw.map((r) => ({ ...r, temperatureIndex: indexOf.get(r.temperature)! }));
}
