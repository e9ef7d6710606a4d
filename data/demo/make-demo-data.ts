// Makes tagflow's demo inputs: a small taxonomy, a source catalogue and a reference corpus of
// music-tag sets, all drawn from hand-written, musically sensible archetypes (no dataset was
// copied). Seeded through core/rng.ts, so every run writes the same bytes. This file formats and
// writes them; the tags, archetypes and draws live in demo-taxonomy.ts, -archetypes.ts, -draws.ts.
//
//   npx tsx data/demo/make-demo-data.ts [outDir]     (default: data/demo)
//
// See data/demo/README.md for what the archetypes are and how rows are drawn.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ARCHETYPES } from './demo-archetypes.js';
import { DEMO_SEED, demoCatalogue, demoCorpus } from './demo-draws.js';
import { CATEGORIES, DEMO_TAXONOMY } from './demo-taxonomy.js';

export { ARCHETYPES } from './demo-archetypes.js';
export {
  DEMO_CATALOGUE_TRACKS,
  DEMO_CORPUS_ROWS,
  DEMO_SEED,
  type DemoTagSet,
  demoCatalogue,
  demoCorpus,
} from './demo-draws.js';
export { CATEGORIES, DEMO_TAXONOMY } from './demo-taxonomy.js';

/** A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180). */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function csvLine(fields: readonly string[]): string {
  return `${fields.map(csvField).join(',')}\n`;
}

/** A Python list literal of strings, as the real catalogue writes its list cells. */
function pythonList(items: readonly string[]): string {
  return `[${items.map((s) => `'${s}'`).join(', ')}]`;
}

function checkTaxonomy() {
  const seen = new Set<string>();
  for (const category of CATEGORIES) {
    for (const tag of DEMO_TAXONOMY[category]) {
      // Tags end up in comma-joined cells and single-quoted Python literals.
      if (/[,'"\\]/.test(tag))
        throw new Error(`demo tag "${tag}" has a character cells cannot hold`);
      if (seen.has(tag)) throw new Error(`demo tag "${tag}" appears twice`);
      seen.add(tag);
    }
  }
  for (const archetype of ARCHETYPES) {
    for (const category of CATEGORIES) {
      for (const tag of Object.keys(archetype.pools[category])) {
        if (!DEMO_TAXONOMY[category].includes(tag)) {
          throw new Error(`archetype "${archetype.name}": "${tag}" is not a ${category} tag`);
        }
      }
    }
  }
}

export interface DemoFiles {
  'taxonomy.json': string;
  'catalogue.csv': string;
  'corpus.csv': string;
}

/** The three demo files' contents. */
export function makeDemoData(seed = DEMO_SEED): DemoFiles {
  checkTaxonomy();
  const taxonomy = `${JSON.stringify(DEMO_TAXONOMY, null, 2)}\n`;

  let catalogue = csvLine([
    'id',
    'genre_tags',
    'mood_tags',
    'instrument_tags',
    'tempo_tags',
    'aspect_list',
  ]);
  demoCatalogue(seed).forEach((track, i) => {
    const t = track.tags;
    const all = [...t.tempo, ...t.genre, ...t.mood, ...t.instrument];
    catalogue += csvLine([
      `demo_${String(i + 1).padStart(4, '0')}`,
      pythonList(t.genre),
      pythonList(t.mood),
      pythonList(t.instrument),
      pythonList(t.tempo),
      pythonList(all),
    ]);
  });

  let corpus = csvLine(['aspect_list', 'tempo_tags', 'genre_tags', 'mood_tags', 'instrument_tags']);
  for (const row of demoCorpus(seed)) {
    const t = row.tags;
    const all = [...t.tempo, ...t.genre, ...t.mood, ...t.instrument];
    corpus += csvLine([all, t.tempo, t.genre, t.mood, t.instrument].map((l) => l.join(', ')));
  }
  return { 'taxonomy.json': taxonomy, 'catalogue.csv': catalogue, 'corpus.csv': corpus };
}

/** Writes the demo files into `outDir`, each atomically (temp file, then rename). */
export function writeDemoData(params: { outDir: string; seed?: number }): DemoFiles {
  const files = makeDemoData(params.seed);
  mkdirSync(params.outDir, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    const path = join(params.outDir, name);
    const temp = `${path}.tmp-${process.pid}`;
    writeFileSync(temp, text);
    renameSync(temp, path);
  }
  return files;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = resolve(process.argv[2] ?? fileURLToPath(new URL('.', import.meta.url)));
  const files = writeDemoData({ outDir });
  for (const [name, text] of Object.entries(files)) {
    console.log(`${join(outDir, name)}: ${text.length.toLocaleString('en-US')} bytes`);
  }
}
