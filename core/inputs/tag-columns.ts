// Mapping a RawTable's `<category>_tags` columns to global tag ids, with the unknown-tag policy
// and its report. The catalogue and the tag corpus share these rules.
import { ValidationError } from '../errors.js';
import type { RawTable } from './table-format.js';
import { cellText, parseTagCell } from './tag-cell.js';
import type { Taxonomy } from './taxonomy.js';

export type UnknownTagPolicy = 'error' | 'drop';

/** Tags of one column that are not in the taxonomy's category for that column. */
export interface UnknownTagReport {
  tag: string;
  /** The column as named in the file. */
  column: string;
  /** Number of rows in which the tag occurs in that column. */
  rows: number;
  /** The first (up to 10) of those rows, 1-based data row numbers (the header is not a row). */
  firstRows: number[];
  /** Set when the tag is in the taxonomy, but under another category than the column's. */
  belongsTo?: string;
}

/** Per-row tag ids (grouped by category, deduplicated), per-category counts, unknown tags. */
export interface MappedTags {
  /** Taxonomy categories, in order. */
  categories: string[];
  /** The column read for each category, or null when the file has none. */
  columns: (string | null)[];
  tags: Uint16Array[];
  /** rows × categories, row-major. */
  counts: Uint8Array;
  unknown: UnknownTagReport[];
  missingCategories: string[];
}

const MAX_REPORTED_ROWS = 10;

/** How a missing default `<category>_tags` column is taken. */
export interface TagColumnRules {
  /**
   * `{category: column}`: the column holding a category's tags (it must exist), or null: the
   * file has none for that category, which is then empty. Default `<category>_tags`.
   */
  tagColumns?: Record<string, string | null>;
  /**
   * Every category must have a column, or be opted out (`tagColumns: {category: null}`): a
   * missing one is an error naming the columns found and the nearest name. Without it a missing
   * default column is an empty category, unless a column resembles its name (a misspelling).
   */
  requireAllCategories?: boolean;
  /** Where the opt-out is written, for messages (`catalogue.tagColumns`); default `tagColumns`. */
  configField?: string;
  /** Columns that are never a category's (the id column), left out of "nearest name". */
  otherColumns?: readonly string[];
}

/**
 * Resolves each category's column: `tagColumns[category]` when given (must exist; null: none),
 * else `<category>_tags`. A missing default column is an error when every category must have
 * one or when another column resembles it, else the category is missing (treated as empty). At
 * least one category must have a column.
 */
export function resolveTagColumns(
  params: {
    table: RawTable;
    what: string;
    taxonomy: Taxonomy;
  } & TagColumnRules,
): { columns: (string | null)[]; missingCategories: string[] } {
  const { table, what, taxonomy, tagColumns = {} } = params;
  const prefix = `${what} ${table.source}`;
  const field = params.configField ?? 'tagColumns';
  for (const category of Object.keys(tagColumns)) {
    if (!taxonomy.categories.includes(category)) {
      throw new ValidationError(
        `${prefix}: ${field} names category "${category}", which is not in the taxonomy (${taxonomy.categories.join(', ')})`,
      );
    }
  }
  const present = new Set(table.columns);
  const configured = (category: string) =>
    Object.hasOwn(tagColumns, category) ? tagColumns[category] : undefined;
  // Columns a category reads, and the id column: never offered as "the nearest name".
  const taken = new Set(params.otherColumns ?? []);
  for (const category of taxonomy.categories) {
    const column = configured(category) ?? `${category}_tags`;
    if (present.has(column)) taken.add(column);
  }
  const candidates = table.columns.filter((column) => !taken.has(column));
  const found = `columns: ${table.columns.join(', ')}`;
  const missingCategories: string[] = [];
  const columns = taxonomy.categories.map((category) => {
    const own = configured(category);
    if (own === null) {
      missingCategories.push(category);
      return null;
    }
    if (own !== undefined) {
      if (!present.has(own)) {
        const nearest = nearestName(own, candidates);
        throw new ValidationError(
          `${prefix}: no "${own}" column for category "${category}" (${found}${nearest ? `; the nearest name is "${nearest}"` : ''})`,
        );
      }
      return own;
    }
    const column = `${category}_tags`;
    if (present.has(column)) return column;
    const lookalike = candidates.find((candidate) => resembles(candidate, category));
    if (params.requireAllCategories || lookalike) {
      const nearest = nearestName(column, candidates);
      const hint = lookalike
        ? `; "${lookalike}" looks like a misspelling of it`
        : nearest
          ? `; the nearest name is "${nearest}"`
          : '';
      throw new ValidationError(
        `${prefix}: no "${column}" column for category "${category}" (${found}${hint}) — rename the column, name it in ${field} (${category}: <column>), or say the file has no ${category} tags with ${field}: {${category}: null}`,
      );
    }
    missingCategories.push(category);
    return null;
  });
  if (columns.every((c) => c === null)) {
    throw new ValidationError(
      `${prefix}: no tag columns (expected at least one of ${taxonomy.categories.map((c) => `${c}_tags`).join(', ')}; ${found})`,
    );
  }
  return { columns, missingCategories };
}

/**
 * Optimal-string-alignment distance (Levenshtein plus adjacent transpositions), ignoring case:
 * the edits that turn `a` into `b`.
 */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let before = new Array<number>(t.length + 1).fill(0);
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const current = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) {
        best = Math.min(best, before[j - 2] + 1);
      }
      current.push(best);
    }
    before = previous;
    previous = current;
  }
  return previous[t.length];
}

/** The candidate closest to `name` by edit distance (the first of equals), if any. */
export function nearestName(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

const letters = (text: string) => text.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');

/**
 * Whether `column` looks like a misspelling of `category`'s default column: within two edits
 * of `<category>_tags` (one for three-letter categories, none for shorter ones), or named after
 * the category (`Mood`, `moods`, `mood_list`, `MoodTags`; one edit allowed from four letters on).
 */
export function resembles(column: string, category: string): boolean {
  const name = letters(category);
  if (name === '') return false;
  const edits = name.length >= 4 ? 2 : name.length === 3 ? 1 : 0;
  if (editDistance(column, `${category}_tags`) <= edits) return true;
  const stem = letters(column).replace(/(tags?|list)$/, '');
  return stem === name || (name.length >= 4 && editDistance(stem, name) <= 1);
}

/**
 * Maps every tag cell to global tag ids. A tag not in its column's category is unknown (misfiled
 * ones get `belongsTo`): `error` throws one message listing them, `drop` leaves out and reports.
 */
export function mapTagColumns(
  params: {
    table: RawTable;
    what: string;
    taxonomy: Taxonomy;
    unknownTags?: UnknownTagPolicy;
  } & TagColumnRules,
): MappedTags {
  const { table, what, taxonomy } = params;
  const policy = params.unknownTags ?? 'error';
  if (policy !== 'error' && policy !== 'drop') {
    throw new ValidationError(
      `unknownTags must be "error" or "drop", got ${JSON.stringify(policy)}`,
    );
  }
  const prefix = `${what} ${table.source}`;
  const { columns, missingCategories } = resolveTagColumns(params);
  const categoryCount = taxonomy.categories.length;
  const rows = table.rows;
  const counts = new Uint8Array(rows * categoryCount);
  const perCategory: string[][][] = columns.map((column, c) => {
    if (column === null) return [];
    return table.cells(column).map((cell, r) => {
      const parsed = parseTagCell(cell);
      if (!Array.isArray(parsed)) {
        throw new ValidationError(
          `${prefix}: row ${r + 1}, column ${column}: cannot read the cell as a list of ${taxonomy.categories[c]} tags (${parsed.error}): ${cellText(cell)}`,
        );
      }
      return parsed;
    });
  });

  const unknown = new Map<string, UnknownTagReport & { lastRow: number }>();
  const unknownRows = new Set<number>();
  // Per-tag stamp of the last row that took it: dedup within a row without a Set per row.
  const seenInRow = new Int32Array(taxonomy.size).fill(-1);
  const rowTags = new Uint16Array(taxonomy.size);
  const tags: Uint16Array[] = new Array(rows);
  for (let r = 0; r < rows; r++) {
    let length = 0;
    for (let c = 0; c < categoryCount; c++) {
      const column = columns[c];
      if (column === null) continue;
      const start = length;
      for (const tag of perCategory[c][r]) {
        const id = taxonomy.index.get(tag);
        if (id === undefined || taxonomy.tagCategory[id] !== c) {
          const key = `${column}\u0000${tag}`;
          let report = unknown.get(key);
          if (!report) {
            report = { tag, column, rows: 0, firstRows: [], lastRow: -1 };
            if (id !== undefined) report.belongsTo = taxonomy.categories[taxonomy.tagCategory[id]];
            unknown.set(key, report);
          }
          if (report.lastRow !== r) {
            report.lastRow = r;
            report.rows++;
            if (report.firstRows.length < MAX_REPORTED_ROWS) report.firstRows.push(r + 1);
          }
          unknownRows.add(r);
          continue;
        }
        if (seenInRow[id] === r) continue;
        seenInRow[id] = r;
        rowTags[length++] = id;
      }
      const count = length - start;
      if (count > 255) {
        throw new ValidationError(
          `${prefix}: row ${r + 1}, column ${column}: ${count} distinct tags; at most 255 per category are supported`,
        );
      }
      counts[r * categoryCount + c] = count;
    }
    tags[r] = rowTags.slice(0, length);
  }

  const reports: UnknownTagReport[] = [...unknown.values()].map(
    ({ lastRow: _, ...report }) => report,
  );
  if (reports.length > 0 && policy === 'error') {
    throw new ValidationError(unknownTagMessage(prefix, reports, unknownRows.size));
  }
  return {
    categories: [...taxonomy.categories],
    columns,
    tags,
    counts,
    unknown: reports,
    missingCategories,
  };
}

const MAX_LISTED_TAGS = 10;
const MAX_LISTED_ROWS = 5;

function unknownTagMessage(prefix: string, reports: UnknownTagReport[], rowCount: number): string {
  const listed = reports.slice(0, MAX_LISTED_TAGS).map((report) => {
    const rows = report.firstRows.slice(0, MAX_LISTED_ROWS).join(', ');
    const more = report.rows > MAX_LISTED_ROWS ? ` and ${report.rows - MAX_LISTED_ROWS} more` : '';
    const misfiled = report.belongsTo ? ` (a ${report.belongsTo} tag)` : '';
    return `${JSON.stringify(report.tag)}${misfiled} in ${report.column} at row${report.rows > 1 ? 's' : ''} ${rows}${more}`;
  });
  if (reports.length > MAX_LISTED_TAGS)
    listed.push(`and ${reports.length - MAX_LISTED_TAGS} more tags`);
  const tagWord = reports.length === 1 ? 'tag' : 'tags';
  const rowWord = rowCount === 1 ? 'row' : 'rows';
  return `${prefix}: ${reports.length} unknown ${tagWord} in ${rowCount} ${rowWord} (policy "error"): ${listed.join('; ')} — fix the tags or rerun with unknownTags "drop"`;
}
