// A few rows of a freshly published local dataset, for the end of `tagflow demo`.
import { fileURLToPath } from 'node:url';
import { publishedParquetFiles, readParquetFile } from '../core/published-dataset.js';

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
  for (let i = 0; i < Math.min(count, table.numRows); i++) {
    const row = table.get(i)!.toJSON() as Record<string, unknown>;
    const tags = (row.aspect_list as { toArray(): string[] }).toArray();
    print(`  [${row.mode}, T=${row.temperature}] ${tags.join(', ')}`);
  }
}
