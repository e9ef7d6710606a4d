// The tag taxonomy: `{category: [tag, ...]}`. Category order, then tag order, defines each
// tag's global index, which is also its position in the model's input and output vectors.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ValidationError } from '../errors.js';

export interface CategoryRange {
  category: string;
  /** First global index of the category (inclusive). */
  start: number;
  /** One past the last global index (exclusive). */
  end: number;
}

export interface Taxonomy {
  categories: readonly string[];
  /** Global index → tag. */
  tags: readonly string[];
  /** Global index → index into `categories`. */
  tagCategory: Uint8Array;
  /** One range per category, in category order. */
  ranges: readonly CategoryRange[];
  /** Tag → global index. */
  index: ReadonlyMap<string, number>;
  /** sha256 of the canonical JSON (categories and tags in order); names the taxonomy. */
  hash: string;
  /** Number of tags (the model's input and output dimension). */
  size: number;
  /** The object it was built from, for writing it back out (model packs, dataset cards). */
  json: Readonly<Record<string, readonly string[]>>;
}

/**
 * Validates a parsed taxonomy and builds its indexes. `source` names the input in errors
 * (a file path, or a description such as "model pack").
 */
export function buildTaxonomy(value: unknown, source = 'taxonomy'): Taxonomy {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    throw new ValidationError(`${source}: expected a JSON object {category: [tags]}, got ${got}`);
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) throw new ValidationError(`${source}: has no categories`);
  if (entries.length > 255) {
    throw new ValidationError(
      `${source}: has ${entries.length} categories; at most 255 are supported`,
    );
  }
  const categories: string[] = [];
  const tags: string[] = [];
  const tagCategoryList: number[] = [];
  const ranges: CategoryRange[] = [];
  const index = new Map<string, number>();
  const json: Record<string, string[]> = {};

  for (const [category, list] of entries) {
    if (category.trim() === '')
      throw new ValidationError(`${source}: a category has an empty name`);
    if (!Array.isArray(list)) {
      throw new ValidationError(
        `${source}: category "${category}" must be an array of tags, got ${typeof list}`,
      );
    }
    if (list.length === 0) throw new ValidationError(`${source}: category "${category}" is empty`);
    const start = tags.length;
    const categoryIndex = categories.length;
    list.forEach((tag, position) => {
      if (typeof tag !== 'string') {
        throw new ValidationError(
          `${source}: category "${category}", tag #${position + 1} is not a string (got ${JSON.stringify(tag)})`,
        );
      }
      if (tag.trim() === '') {
        throw new ValidationError(
          `${source}: category "${category}", tag #${position + 1} is empty`,
        );
      }
      const earlier = index.get(tag);
      if (earlier !== undefined) {
        const earlierCategory = categories[tagCategoryList[earlier]] ?? category;
        if (earlierCategory === category) {
          throw new ValidationError(`${source}: duplicate tag "${tag}" in category "${category}"`);
        }
        throw new ValidationError(
          `${source}: tag "${tag}" is in two categories ("${earlierCategory}" and "${category}"); each tag must belong to one`,
        );
      }
      index.set(tag, tags.length);
      tags.push(tag);
      tagCategoryList.push(categoryIndex);
    });
    categories.push(category);
    ranges.push({ category, start, end: tags.length });
    json[category] = [...(list as string[])];
  }
  if (tags.length > 65_535) {
    throw new ValidationError(`${source}: has ${tags.length} tags; at most 65,535 are supported`);
  }
  return {
    categories,
    tags,
    tagCategory: Uint8Array.from(tagCategoryList),
    ranges,
    index,
    hash: taxonomyHash(json),
    size: tags.length,
    json,
  };
}

/** sha256 over the canonical form: categories in order, each with its tags in order. */
export function taxonomyHash(json: Readonly<Record<string, readonly string[]>>): string {
  const canonical = JSON.stringify(
    Object.entries(json).map(([category, tags]) => [category, [...tags]]),
  );
  return `sha256:${createHash('sha256').update(canonical).digest('hex')}`;
}

/** Reads and validates a taxonomy JSON file. */
export function loadTaxonomy(path: string): Taxonomy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ValidationError(`taxonomy ${path}: cannot read file (${(err as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`taxonomy ${path}: not valid JSON (${(err as Error).message})`);
  }
  return buildTaxonomy(parsed, `taxonomy ${path}`);
}

/** The range of `category`, or a ValidationError naming the known categories. */
export function categoryRange(taxonomy: Taxonomy, category: string): CategoryRange {
  const range = taxonomy.ranges.find((r) => r.category === category);
  if (!range) {
    throw new ValidationError(
      `unknown category "${category}"; the taxonomy has ${taxonomy.categories.map((c) => `"${c}"`).join(', ')}`,
    );
  }
  return range;
}
