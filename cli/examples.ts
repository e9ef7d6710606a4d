// A few rows of a freshly published local dataset, for the end of `tagflow demo`.
import { fileURLToPath } from 'node:url';
import { publishedParquetFiles, readParquetFile } from '../core/evaluation/index.js';

export async function printExampleRows(
  target: string,
  print: (line: string) => void,
  count = 3,
): Promise<void> {
  if (!target.startsWith('file://')) return;
  const dir = fileURLToPath(target);
  const [first] = publishedParquetFiles(dir, 'train');
  const table = await readParquetFile(first);
  print(`example rows (${first.slice(dir.length + 1)}):`);
  // Spread over the split (ordered by temperature, then mode), so the examples show both modes
  // and several temperatures rather than three neighbours.
  const shown = Math.min(count, table.numRows);
  for (let k = 0; k < shown; k++) {
    const i = Math.floor((k * table.numRows) / shown);
    const row = table.get(i)!.toJSON() as Record<string, unknown>;
    const tags = (row.aspect_list as { toArray(): string[] }).toArray();
    print(`  [${row.mode}, T=${row.temperature}] ${tags.join(', ')}`);
  }
}
