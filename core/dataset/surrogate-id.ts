// The published `id` column: an MD5 hex digest that names one generated row.
//
// The notebook hashed f"{track_id}_{original_tags}_{temperature}", which collides: its
// temperature list holds 1.0 twice, and its latent rows borrowed catalogue track ids. The
// same idea (track id, original tags, temperature), plus the row's place in the run, makes
// the id unique per (mode, temperature index, row index):
//
//   md5(utf8("tagflow-id-v1|<mode>|<temperature_index>|<row_index>|<source_id or "">|
//            <original_aspect_list as compact JSON>|<temperature as Python's str(float)>"))
//
// mode is "seeded", "latent" or "coverage"; the JSON is `json.dumps(tags, ensure_ascii=False,
// separators=(",", ":"))` in Python. The first three fields are plain integers and words
// without "|", so two rows that differ in (mode, temperature index, row index) never hash
// the same text. README.md ("Published datasets") has a Python snippet that recomputes it.
import { hash } from 'node:crypto';
import type { Taxonomy } from '../inputs/index.js';
import { type GeneratedRow, MODE_NAMES, type ModeName } from '../rows/index.js';

export const SURROGATE_ID_VERSION = 'tagflow-id-v1';

/**
 * A float as Python's str() writes it, for values in [1e-4, 1e16) (temperatures): JavaScript
 * and Python both print the shortest round-trip decimal, but Python keeps ".0" on integers.
 */
export function pythonFloatText(x: number): string {
  if (Object.is(x, -0)) return '-0.0';
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return `${x}.0`;
  return String(x);
}

/** The id from its parts (the publish hot path has the strings already). */
export function surrogateIdOf(parts: {
  mode: ModeName;
  temperatureIndex: number;
  rowIndex: number;
  sourceId: string | null;
  originalAspectList: readonly string[];
  temperature: number;
}): string {
  return surrogateIdFromJson({ ...parts, originalJson: JSON.stringify(parts.originalAspectList) });
}

/** Same, with the original tags already as compact JSON (the publish hot path builds it from cached pieces). */
export function surrogateIdFromJson(parts: {
  mode: ModeName;
  temperatureIndex: number;
  rowIndex: number;
  sourceId: string | null;
  originalJson: string;
  temperature: number;
}): string {
  const text = `${SURROGATE_ID_VERSION}|${parts.mode}|${parts.temperatureIndex}|${parts.rowIndex}|${parts.sourceId ?? ''}|${parts.originalJson}|${pythonFloatText(parts.temperature)}`;
  // crypto.hash: one call, no Hash object (Node ≥ 20.12).
  return hash('md5', text, 'hex');
}

/** The published id of a generated row. */
export function surrogateId(row: GeneratedRow, taxonomy: Taxonomy): string {
  return surrogateIdOf({
    mode: MODE_NAMES[row.mode],
    temperatureIndex: row.temperatureIndex,
    rowIndex: row.rowIndex,
    sourceId: row.sourceId,
    originalAspectList: Array.from(row.originalTags, (id) => taxonomy.tags[id]),
    temperature: row.temperature,
  });
}
