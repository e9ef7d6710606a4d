// The ConceptCaps reference corpus (musiccaps_distilled.csv) as tag-id sets, for evaluation
// tests and benchmarks. Stand-in until core/inputs/tag-corpus.ts (`readTagCorpus`) lands: its tag
// columns are comma-joined strings, empty when a row has no tag of that category.
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { loadTaxonomy, type Taxonomy } from '../../core/inputs/index.js';
import { conceptcaps } from './conceptcaps.js';

export function conceptcapsTaxonomy(): Taxonomy {
  return loadTaxonomy(conceptcaps('concepts_to_tags.json'));
}

/** One Uint16Array of global tag ids per corpus row, in file order. */
export function readMusiccapsTagSets(taxonomy: Taxonomy): { source: string; tags: Uint16Array[] } {
  const path = conceptcaps('musiccaps_distilled.csv');
  const records = parse(readFileSync(path, 'utf8'), { columns: true }) as Record<string, string>[];
  const tags = records.map((record, row) => {
    const ids: number[] = [];
    for (const category of taxonomy.categories) {
      const cell = record[`${category}_tags`];
      if (cell === undefined) throw new Error(`${path}: no column ${category}_tags`);
      for (const raw of cell.split(',')) {
        const tag = raw.trim();
        if (tag === '') continue;
        const id = taxonomy.index.get(tag);
        if (id === undefined) throw new Error(`${path}: row ${row + 1}: unknown tag "${tag}"`);
        ids.push(id);
      }
    }
    return Uint16Array.from(ids);
  });
  return { source: 'musiccaps_distilled.csv', tags };
}
