import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors.js';
import { readTagCorpus } from '../../../core/inputs/tag-corpus.js';
import { buildTaxonomy, loadTaxonomy } from '../../../core/inputs/taxonomy.js';
import { conceptcaps } from '../../helpers/conceptcaps.js';

const realTaxonomy = loadTaxonomy(conceptcaps('concepts_to_tags.json'));
const corpusPath = conceptcaps('musiccaps_distilled.csv');

describe('the real MusicCaps reference corpus', async () => {
  const corpus = await readTagCorpus({ path: corpusPath, taxonomy: realTaxonomy });
  const records = parseCsv(readFileSync(corpusPath), { columns: true }) as Record<string, string>[];
  const categories = ['tempo', 'genre', 'mood', 'instrument'];

  it('loads 1,890 rows in all four categories with zero unknown tags', () => {
    expect(corpus.rows).toBe(1890);
    expect(records).toHaveLength(1890);
    expect(corpus.categories).toEqual(categories);
    expect(corpus.unknown).toEqual([]);
    expect(corpus.missingCategories).toEqual([]);
    expect(corpus.counts).toHaveLength(1890 * 4);
    expect(corpus.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('counts the tags of each cell; the file’s *_count columns agree except on empty cells', () => {
    let emptyCells = 0;
    records.forEach((record, r) => {
      categories.forEach((category, c) => {
        const cell = record[`${category}_tags`];
        const expected = cell === '' ? 0 : cell.split(',').length;
        expect(corpus.counts[r * 4 + c]).toBe(expected);
        // The corpus' own *_count columns count "".split(",") as one tag.
        const column = Number(record[`${category}_tags_count`]);
        if (cell === '') {
          emptyCells++;
          expect(column).toBe(1);
        } else {
          expect(column).toBe(expected);
        }
      });
      let total = 0;
      for (let c = 0; c < 4; c++) total += corpus.counts[r * 4 + c];
      expect(corpus.tags[r]).toHaveLength(total);
    });
    expect(emptyCells).toBe(374 + 475 + 363 + 205);
  });

  it('groups each row’s tag ids by category, in the cell’s order', () => {
    const names = Array.from(corpus.tags[1], (i) => realTaxonomy.tags[i]);
    // "syncopated snare" | "pop" | "happy, joyful, fun" | "passionate male vocal"
    expect(names).toEqual([
      'syncopated snare',
      'pop',
      'happy',
      'joyful',
      'fun',
      'passionate male vocal',
    ]);
    for (const ids of corpus.tags) {
      for (let i = 1; i < ids.length; i++) {
        expect(realTaxonomy.tagCategory[ids[i]]).toBeGreaterThanOrEqual(
          realTaxonomy.tagCategory[ids[i - 1]],
        );
      }
    }
  });
});

describe('readTagCorpus', () => {
  const taxonomy = buildTaxonomy({ tempo: ['fast', 'slow'], genre: ['rock', 'pop'] });

  it('needs no id column and treats a missing default column as empty', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tagflow-corpus-'));
    const path = join(dir, 'c.jsonl');
    writeFileSync(
      path,
      ['{"genre_tags": "rock, pop"}', '{"genre_tags": ["pop", "pop"]}'].join('\n'),
    );
    const corpus = await readTagCorpus({ path, taxonomy });
    expect(corpus.rows).toBe(2);
    expect(corpus.missingCategories).toEqual(['tempo']);
    expect(Array.from(corpus.counts)).toEqual([0, 2, 0, 1]);
    expect(corpus.tags.map((t) => Array.from(t))).toEqual([[2, 3], [3]]);
  });

  it('refuses a column whose name looks like a misspelling of a missing one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tagflow-corpus-'));
    const path = join(dir, 'c.csv');
    writeFileSync(path, 'tempo_tag,genre_tags\nfast,rock\n');
    await expect(
      readTagCorpus({ path, taxonomy, configField: 'counts.tagColumns' }),
    ).rejects.toThrow(
      `tag corpus ${path}: no "tempo_tags" column for category "tempo" (columns: tempo_tag, genre_tags; "tempo_tag" looks like a misspelling of it) — rename the column, name it in counts.tagColumns (tempo: <column>), or say the file has no tempo tags with counts.tagColumns: {tempo: null}`,
    );
    const corpus = await readTagCorpus({ path, taxonomy, tagColumns: { tempo: 'tempo_tag' } });
    expect(Array.from(corpus.counts)).toEqual([1, 1]);
  });

  it('reports unknown tags as a tag corpus', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tagflow-corpus-'));
    const path = join(dir, 'c.csv');
    writeFileSync(path, 'tempo_tags,genre_tags\nfast,rock\n"slow, slowish",\n');
    await expect(readTagCorpus({ path, taxonomy })).rejects.toThrow(ValidationError);
    await expect(readTagCorpus({ path, taxonomy })).rejects.toThrow(
      `tag corpus ${path}: 1 unknown tag in 1 row (policy "error"): "slowish" in tempo_tags at row 2`,
    );
    const dropped = await readTagCorpus({ path, taxonomy, unknownTags: 'drop' });
    expect(Array.from(dropped.counts)).toEqual([1, 1, 1, 0]);
    expect(dropped.unknown).toEqual([
      { tag: 'slowish', column: 'tempo_tags', rows: 1, firstRows: [2] },
    ]);
  });
});
