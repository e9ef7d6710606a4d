// The published `concepts` configuration: one row per concept row, with the concept and whether
// the row is a positive (contains it) or a matched negative (does not).
import { createHash } from 'node:crypto';
import { Float64, Table, Utf8, vectorFromArray } from 'apache-arrow';
import type { Taxonomy } from '../inputs/index.js';
import { categoryColumns } from './dataset-rows.js';
import { pythonFloatText } from './surrogate-id.js';
import { stringList } from './utf8-columns.js';

/** The Hub config name, and the folder its Parquet files go to. */
export const CONCEPTS_CONFIG = 'concepts';

export interface ConceptTableRow {
  concept: number;
  positive: boolean;
  index: number;
  temperature: number;
  tags: ArrayLike<number>;
}

/** A concept row's id: unique per (concept, label, row index), like the main rows' ids. */
export function conceptRowId(
  concept: string,
  label: string,
  index: number,
  temperature: number,
): string {
  const text = [
    'tagflow-concept-v1',
    concept,
    label,
    String(index),
    pythonFloatText(temperature),
  ].join('|');
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/** Concept rows as an Arrow table: id, concept, label, temperature, aspect_list, <category>_tags. */
export function conceptTable(taxonomy: Taxonomy, rows: readonly ConceptTableRow[]): Table {
  const list = stringList();
  const byCategory = taxonomy.categories.map(() => [] as string[][]);
  const aspect: string[][] = [];
  for (const row of rows) {
    const names = Array.from(row.tags, (t) => taxonomy.tags[t]);
    aspect.push(names);
    taxonomy.categories.forEach((_, c) => {
      byCategory[c].push(
        Array.from(row.tags)
          .filter((t) => taxonomy.tagCategory[t] === c)
          .map((t) => taxonomy.tags[t]),
      );
    });
  }
  const label = (row: ConceptTableRow) => (row.positive ? 'positive' : 'negative');
  const columns = {
    id: vectorFromArray(
      rows.map((r) => conceptRowId(taxonomy.tags[r.concept], label(r), r.index, r.temperature)),
      new Utf8(),
    ),
    concept: vectorFromArray(
      rows.map((r) => taxonomy.tags[r.concept]),
      new Utf8(),
    ),
    label: vectorFromArray(rows.map(label), new Utf8()),
    temperature: vectorFromArray(
      rows.map((r) => r.temperature),
      new Float64(),
    ),
    aspect_list: vectorFromArray(aspect, list),
    ...Object.fromEntries(
      categoryColumns(taxonomy).map((name, c) => [name, vectorFromArray(byCategory[c], list)]),
    ),
  };
  return new Table(columns);
}

/** The `concepts` config's features, as the card's YAML lists them. */
export function conceptFeatures(taxonomy: Taxonomy) {
  return [
    { name: 'id', dtype: 'string' },
    { name: 'concept', dtype: 'string' },
    { name: 'label', dtype: 'string' },
    { name: 'temperature', dtype: 'float64' },
    { name: 'aspect_list', sequence: 'string' },
    ...categoryColumns(taxonomy).map((name) => ({ name, sequence: 'string' })),
  ];
}
