import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Field, List, Table, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { parse as parseCsv } from 'csv-parse/sync';
import { Table as WasmTable, writeParquet } from 'parquet-wasm/node';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors.js';
import { type Catalogue, readCatalogue } from '../../../core/inputs/catalogue.js';
import { buildTaxonomy, loadTaxonomy } from '../../../core/inputs/taxonomy.js';
import { readArrowTable, writeArrowTable } from '../../../core/io/index.js';
import { conceptcaps } from '../../helpers/conceptcaps.js';

const realTaxonomy = loadTaxonomy(conceptcaps('concepts_to_tags.json'));
const realCataloguePath = conceptcaps('mtg_jamendo_top50tags_cleaned.csv');

const taxonomy = buildTaxonomy({
  tempo: ['fast', 'slow'],
  genre: ['rock', 'pop', 'jazz'],
  mood: ['happy', 'sad'],
});

function freshDir() {
  return mkdtempSync(join(tmpdir(), 'tagflow-catalogue-'));
}

function write(dir: string, name: string, text: string | Uint8Array) {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as Error).message;
  }
  throw new Error('expected a ValidationError');
}

/** Tag names per row, per category, read back from the catalogue's Arrow table. */
function tableTags(catalogue: Catalogue, categories: readonly string[], tags: readonly string[]) {
  return catalogue.ids.map((id, r) => {
    const row = catalogue.table.get(r)!;
    expect(row.id).toBe(id);
    return Object.fromEntries(
      categories.map((c) => [c, Array.from(row[`${c}_tags`] as Iterable<number>, (i) => tags[i])]),
    );
  });
}

describe('the real ConceptCaps catalogue', async () => {
  const catalogue = await readCatalogue({ path: realCataloguePath, taxonomy: realTaxonomy });

  it('loads 2,041 tracks with zero unknown tags and no tempo column', () => {
    expect(catalogue.rows).toBe(2041);
    expect(catalogue.ids).toHaveLength(2041);
    expect(new Set(catalogue.ids).size).toBe(2041);
    expect(catalogue.unknown).toEqual([]);
    expect(catalogue.missingCategories).toEqual(['tempo']);
    expect(catalogue.sha256).toBe(
      createHash('sha256').update(readFileSync(realCataloguePath)).digest('hex'),
    );
    expect(catalogue.table.numRows).toBe(2041);
    expect(catalogue.table.schema.fields.map((f) => `${f.name}: ${f.type}`)).toEqual([
      'id: Utf8',
      'tempo_tags: List<Uint16>',
      'genre_tags: List<Uint16>',
      'mood_tags: List<Uint16>',
      'instrument_tags: List<Uint16>',
    ]);
  });

  it('maps the tags of the first 32 tracks to the ids the PyTorch reference used', () => {
    const reference = JSON.parse(readFileSync(conceptcaps('vae_reference.json'), 'utf8')) as {
      track_ids: string[];
      inputs: number[][];
    };
    expect(catalogue.ids.slice(0, 32)).toEqual(reference.track_ids);
    reference.inputs.forEach((ids, r) => {
      expect([...catalogue.tags[r]].sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
    });
  });

  it('agrees, row by row, with an independent reading of the list cells', () => {
    const records = parseCsv(readFileSync(realCataloguePath), { columns: true }) as Record<
      string,
      string
    >[];
    expect(records).toHaveLength(2041);
    const rows = tableTags(catalogue, realTaxonomy.categories, realTaxonomy.tags);
    records.forEach((record, r) => {
      expect(catalogue.ids[r]).toBe(record.id);
      const quoted = (cell: string) => [...cell.matchAll(/'([^']*)'/g)].map((m) => m[1]);
      expect(rows[r]).toEqual({
        tempo: [],
        genre: quoted(record.genre_tags),
        mood: quoted(record.mood_tags),
        instrument: quoted(record.instrument_tags),
      });
      let perCategory = 0;
      for (const c of [1, 2, 3]) perCategory += catalogue.counts[r * 4 + c];
      expect(perCategory).toBe(catalogue.tags[r].length);
    });
    expect(rows[0]).toEqual({
      tempo: [],
      genre: ['electronic', 'pop'],
      mood: ['emotional'],
      instrument: ['bass', 'drums', 'guitar', 'keyboard'],
    });
  });

  it('round-trips its table through an Arrow file', async () => {
    const path = join(freshDir(), 'catalogue.arrow');
    const manifest = await writeArrowTable(path, catalogue.table);
    expect(manifest.rows).toBe(2041);
    const back = await readArrowTable(path);
    expect(back.getChild('id')?.get(2040)).toBe(catalogue.ids[2040]);
    expect(Array.from(back.getChild('instrument_tags')?.get(7) ?? [])).toEqual(
      Array.from(catalogue.tags[7]).filter((id) => id >= 150),
    );
  });

  it('fails on an unknown tag under "error", naming the tag and the row', async () => {
    const dir = freshDir();
    const lines = readFileSync(realCataloguePath, 'utf8').split('\n');
    // Data row 3 is line index 3 (line 0 is the header).
    lines[3] = lines[3].replace(
      "['dance', 'electronic', 'pop', 'techno']",
      "['dance', 'dubstepp', 'pop']",
    );
    expect(lines[3]).toContain('dubstepp');
    const path = write(dir, 'typo.csv', lines.join('\n'));
    const message = await failure(readCatalogue({ path, taxonomy: realTaxonomy }));
    expect(message).toBe(
      `catalogue ${path}: 1 unknown tag in 1 row (policy "error"): "dubstepp" in genre_tags at row 3 — fix the tags or rerun with unknownTags "drop"`,
    );

    const dropped = await readCatalogue({ path, taxonomy: realTaxonomy, unknownTags: 'drop' });
    expect(dropped.rows).toBe(2041);
    expect(dropped.unknown).toEqual([
      { tag: 'dubstepp', column: 'genre_tags', rows: 1, firstRows: [3] },
    ]);
    const names = (ids: Uint16Array) => Array.from(ids, (i) => realTaxonomy.tags[i]);
    expect(names(dropped.tags[2]).filter((t) => realTaxonomy.index.get(t)! < 100)).toEqual([
      'dance',
      'pop',
    ]);
    expect(dropped.counts[2 * 4 + 1]).toBe(2);
  });
});

const csvText = [
  'id,tempo_tags,genre_tags,mood_tags,other',
  `t1,['fast'],"['rock', 'pop']",['happy'],x`,
  `t2,[],"[""jazz"", ""rock""]",,y`,
  `t3,slow,"pop, jazz, pop","sad, happy",z`,
].join('\n');
const expectedIds = ['t1', 't2', 't3'];
const expectedTags = [
  { tempo: ['fast'], genre: ['rock', 'pop'], mood: ['happy'] },
  { tempo: [], genre: ['jazz', 'rock'], mood: [] },
  { tempo: ['slow'], genre: ['pop', 'jazz'], mood: ['sad', 'happy'] },
];

function expectSmallCatalogue(catalogue: Catalogue) {
  expect(catalogue.ids).toEqual(expectedIds);
  expect(tableTags(catalogue, taxonomy.categories, taxonomy.tags)).toEqual(expectedTags);
  expect(catalogue.tags.map((ids) => Array.from(ids, (i) => taxonomy.tags[i]))).toEqual(
    expectedTags.map((row) => [...row.tempo, ...row.genre, ...row.mood]),
  );
  expect(Array.from(catalogue.counts)).toEqual([1, 2, 1, 0, 2, 0, 1, 2, 2]);
  expect(catalogue.unknown).toEqual([]);
  expect(catalogue.missingCategories).toEqual([]);
}

describe('catalogue formats', () => {
  const rows = [
    { id: 't1', tempo_tags: ['fast'], genre_tags: ['rock', 'pop'], mood_tags: ['happy'] },
    { id: 't2', tempo_tags: [], genre_tags: ['jazz', 'rock'], mood_tags: null },
    {
      id: 't3',
      tempo_tags: ['slow'],
      genre_tags: ['pop', 'jazz', 'pop'],
      mood_tags: ['sad', 'happy'],
    },
  ];

  function arrowTable() {
    const list = () => new List(new Field('item', new Utf8(), true));
    return new Table({
      id: vectorFromArray(
        rows.map((r) => r.id),
        new Utf8(),
      ),
      tempo_tags: vectorFromArray(
        rows.map((r) => r.tempo_tags),
        list(),
      ),
      genre_tags: vectorFromArray(
        rows.map((r) => r.genre_tags),
        list(),
      ),
      mood_tags: vectorFromArray(
        rows.map((r) => r.mood_tags),
        list(),
      ),
    });
  }

  it('reads CSV with Python literals, JSON arrays and comma-joined cells (deduplicated)', async () => {
    const path = write(freshDir(), 'c.csv', csvText);
    const catalogue = await readCatalogue({ path, taxonomy });
    expectSmallCatalogue(catalogue);
    expect(catalogue.sha256).toBe(createHash('sha256').update(csvText).digest('hex'));
    expect(catalogue.source).toBe(path);
  });

  it('reads TSV, with a BOM and CRLF line ends', async () => {
    const tsv = `\ufeff${csvText.replace(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/g, '\t').replace(/\n/g, '\r\n')}`;
    const path = write(freshDir(), 'c.tsv', tsv);
    expectSmallCatalogue(await readCatalogue({ path, taxonomy }));
  });

  it('reads a JSON array of rows, whose cells may be lists or strings', async () => {
    const json = rows.map((r, i) => (i === 2 ? { ...r, mood_tags: 'sad, happy' } : r));
    const path = write(freshDir(), 'c.json', JSON.stringify(json));
    expectSmallCatalogue(await readCatalogue({ path, taxonomy }));
  });

  it('reads JSON lines, skipping blank lines', async () => {
    const text = `${rows.map((r) => JSON.stringify(r)).join('\n')}\n\n`;
    const path = write(freshDir(), 'c.jsonl', text);
    expectSmallCatalogue(await readCatalogue({ path, taxonomy }));
  });

  it('reads Parquet written by parquet-wasm, with list<utf8> columns', async () => {
    const parquet = writeParquet(WasmTable.fromIPCStream(tableToIPC(arrowTable(), 'stream')));
    const path = write(freshDir(), 'c.parquet', parquet);
    expectSmallCatalogue(await readCatalogue({ path, taxonomy }));
  });

  it('reads Parquet whose tag columns are strings', async () => {
    const table = new Table({
      id: vectorFromArray(expectedIds, new Utf8()),
      tempo_tags: vectorFromArray(["['fast']", '', 'slow'], new Utf8()),
      genre_tags: vectorFromArray(['rock, pop', '["jazz", "rock"]', 'pop, jazz'], new Utf8()),
      mood_tags: vectorFromArray(["['happy']", null, 'sad, happy'], new Utf8()),
    });
    const parquet = writeParquet(WasmTable.fromIPCStream(tableToIPC(table, 'stream')));
    const path = write(freshDir(), 'strings.parquet', parquet);
    expectSmallCatalogue(await readCatalogue({ path, taxonomy }));
  });

  it('reads Arrow IPC, file and stream format', async () => {
    const dir = freshDir();
    const file = write(dir, 'c.arrow', tableToIPC(arrowTable(), 'file'));
    expectSmallCatalogue(await readCatalogue({ path: file, taxonomy }));
    const stream = write(dir, 'c.arrows', tableToIPC(arrowTable(), 'stream'));
    expectSmallCatalogue(await readCatalogue({ path: stream, taxonomy }));
  });

  it('takes the format from the caller when the extension does not tell', async () => {
    const path = write(freshDir(), 'catalogue.data', csvText);
    expectSmallCatalogue(await readCatalogue({ path, taxonomy, format: 'csv' }));
    expect(await failure(readCatalogue({ path, taxonomy }))).toMatch(
      /cannot tell the format from the extension "\.data"/,
    );
  });

  it('refuses files that are not what their extension says', async () => {
    const dir = freshDir();
    const notParquet = write(dir, 'x.parquet', csvText);
    expect(await failure(readCatalogue({ path: notParquet, taxonomy }))).toMatch(
      new RegExp(`^catalogue ${notParquet}: not a readable Parquet file`),
    );
    const notArrow = write(dir, 'x.arrow', csvText);
    expect(await failure(readCatalogue({ path: notArrow, taxonomy }))).toMatch(
      new RegExp(`^catalogue ${notArrow}: not a readable Arrow IPC file`),
    );
    const badJson = write(dir, 'x.json', '[{"id": "a"},');
    expect(await failure(readCatalogue({ path: badJson, taxonomy }))).toMatch(
      new RegExp(`^catalogue ${badJson}: not valid JSON`),
    );
    const notArray = write(dir, 'y.json', '{"id": "a"}');
    expect(await failure(readCatalogue({ path: notArray, taxonomy }))).toBe(
      `catalogue ${notArray}: expected a JSON array of row objects, got object`,
    );
    const badLine = write(dir, 'x.jsonl', '{"id": "a", "genre_tags": []}\n\n{"id": "b",\n');
    expect(await failure(readCatalogue({ path: badLine, taxonomy }))).toMatch(
      new RegExp(`^catalogue ${badLine}: line 3 is not valid JSON`),
    );
    const ragged = write(dir, 'ragged.csv', 'id,genre_tags\na,rock\nb,pop,extra\n');
    expect(await failure(readCatalogue({ path: ragged, taxonomy }))).toMatch(
      new RegExp(`^catalogue ${ragged}: not valid CSV \\(.*(record|column).*\\)`, 'i'),
    );
    const missing = join(dir, 'missing.csv');
    expect(await failure(readCatalogue({ path: missing, taxonomy }))).toMatch(
      new RegExp(`^catalogue ${missing}: cannot read file`),
    );
    const empty = write(dir, 'empty.csv', '');
    expect(await failure(readCatalogue({ path: empty, taxonomy }))).toBe(
      `catalogue ${empty}: the file is empty (no header row)`,
    );
  });
});

describe('catalogue validation', () => {
  it('names the id column it wanted and the columns it found', async () => {
    const path = write(freshDir(), 'x.csv', 'track,genre_tags\na,rock\n');
    expect(await failure(readCatalogue({ path, taxonomy }))).toBe(
      `catalogue ${path}: no "id" column (columns: track, genre_tags)`,
    );
    const catalogue = await readCatalogue({ path, taxonomy, idColumn: 'track' });
    expect(catalogue.ids).toEqual(['a']);
    expect(catalogue.missingCategories).toEqual(['tempo', 'mood']);
    expect(catalogue.table.getChild('tempo_tags')?.get(0)?.length).toBe(0);
  });

  it('refuses duplicate ids, naming the id and both rows', async () => {
    const path = write(freshDir(), 'x.csv', 'id,genre_tags\na,rock\nb,pop\nc,jazz\nb,rock\n');
    expect(await failure(readCatalogue({ path, taxonomy }))).toBe(
      `catalogue ${path}: duplicate id "b" at rows 2 and 4`,
    );
  });

  it('refuses empty ids', async () => {
    const path = write(freshDir(), 'x.csv', 'id,genre_tags\na,rock\n ,pop\n');
    expect(await failure(readCatalogue({ path, taxonomy }))).toBe(
      `catalogue ${path}: row 2, column id: expected a non-empty id, found " "`,
    );
    const json = write(freshDir(), 'x.json', JSON.stringify([{ id: 'a' }, { genre_tags: [] }]));
    expect(await failure(readCatalogue({ path: json, taxonomy }))).toBe(
      `catalogue ${json}: row 2, column id: expected a non-empty id, found nothing`,
    );
  });

  it('accepts integer ids (JSON numbers) as text', async () => {
    const path = write(
      freshDir(),
      'x.json',
      JSON.stringify([
        { id: 7, genre_tags: ['rock'] },
        { id: 8, genre_tags: [] },
      ]),
    );
    expect((await readCatalogue({ path, taxonomy })).ids).toEqual(['7', '8']);
  });

  it('uses configured tag columns, and refuses a configured column that is absent', async () => {
    const dir = freshDir();
    const path = write(dir, 'x.csv', 'id,styles,genre_tags\na,"rock, pop",jazz\n');
    const catalogue = await readCatalogue({ path, taxonomy, tagColumns: { genre: 'styles' } });
    expect(tableTags(catalogue, taxonomy.categories, taxonomy.tags)).toEqual([
      { tempo: [], genre: ['rock', 'pop'], mood: [] },
    ]);
    expect(catalogue.missingCategories).toEqual(['tempo', 'mood']);
    expect(await failure(readCatalogue({ path, taxonomy, tagColumns: { mood: 'feel' } }))).toBe(
      `catalogue ${path}: no "feel" column for category "mood" (columns: id, styles, genre_tags; the nearest name is "styles")`,
    );
    expect(await failure(readCatalogue({ path, taxonomy, tagColumns: { key: 'styles' } }))).toBe(
      `catalogue ${path}: tagColumns names category "key", which is not in the taxonomy (tempo, genre, mood)`,
    );
  });

  it('takes null as "no such column": the category is empty, whatever the file has', async () => {
    const path = write(freshDir(), 'x.csv', 'id,genre_tags,mood_tags\na,rock,sad\n');
    const catalogue = await readCatalogue({
      path,
      taxonomy,
      tagColumns: { tempo: null, mood: null },
      requireAllCategories: true,
    });
    expect(catalogue.missingCategories).toEqual(['tempo', 'mood']);
    expect(tableTags(catalogue, taxonomy.categories, taxonomy.tags)).toEqual([
      { tempo: [], genre: ['rock'], mood: [] },
    ]);
  });

  it('refuses a missing column when every category must have one, naming the columns and the nearest name', async () => {
    const path = write(freshDir(), 'x.csv', 'id,genre_tags,feelings,mood_tags\na,rock,x,sad\n');
    expect(
      await failure(
        readCatalogue({
          path,
          taxonomy,
          requireAllCategories: true,
          configField: 'catalogue.tagColumns',
        }),
      ),
    ).toBe(
      `catalogue ${path}: no "tempo_tags" column for category "tempo" (columns: id, genre_tags, feelings, mood_tags; the nearest name is "feelings") — rename the column, name it in catalogue.tagColumns (tempo: <column>), or say the file has no tempo tags with catalogue.tagColumns: {tempo: null}`,
    );
    // The id column is never offered as the nearest name, nor are columns categories read.
    const bare = write(freshDir(), 'y.csv', 'id,genre_tags,mood_tags\na,rock,sad\n');
    expect(await failure(readCatalogue({ path: bare, taxonomy, requireAllCategories: true }))).toBe(
      `catalogue ${bare}: no "tempo_tags" column for category "tempo" (columns: id, genre_tags, mood_tags) — rename the column, name it in tagColumns (tempo: <column>), or say the file has no tempo tags with tagColumns: {tempo: null}`,
    );
  });

  it('refuses a misspelt column header even when a missing column is allowed', async () => {
    for (const header of ['mod_tags', 'mood_tag', 'Mood_Tags', 'moodtags', 'moods', 'omod_tags']) {
      const path = write(freshDir(), 'x.csv', `id,genre_tags,${header}\na,rock,sad\n`);
      expect(await failure(readCatalogue({ path, taxonomy }))).toBe(
        `catalogue ${path}: no "mood_tags" column for category "mood" (columns: id, genre_tags, ${header}; "${header}" looks like a misspelling of it) — rename the column, name it in tagColumns (mood: <column>), or say the file has no mood tags with tagColumns: {mood: null}`,
      );
      const renamed = await readCatalogue({ path, taxonomy, tagColumns: { mood: header } });
      expect(tableTags(renamed, taxonomy.categories, taxonomy.tags)).toEqual([
        { tempo: [], genre: ['rock'], mood: ['sad'] },
      ]);
    }
  });

  it('needs the opt-out for the ConceptCaps catalogue, which has no tempo column', async () => {
    expect(
      await failure(
        readCatalogue({
          path: realCataloguePath,
          taxonomy: realTaxonomy,
          requireAllCategories: true,
          configField: 'catalogue.tagColumns',
        }),
      ),
    ).toMatch(
      /no "tempo_tags" column for category "tempo" \(columns: id, tags, genre_tags, mood_tags, instrument_tags, aspect_list; the nearest name is "tags"\).*catalogue\.tagColumns: \{tempo: null\}$/,
    );
    const catalogue = await readCatalogue({
      path: realCataloguePath,
      taxonomy: realTaxonomy,
      tagColumns: { tempo: null },
      requireAllCategories: true,
    });
    expect(catalogue.rows).toBe(2041);
    expect(catalogue.missingCategories).toEqual(['tempo']);
  });

  it('refuses a file with no tag column at all', async () => {
    const path = write(freshDir(), 'x.csv', 'id,tags\na,rock\n');
    expect(await failure(readCatalogue({ path, taxonomy }))).toBe(
      `catalogue ${path}: no tag columns (expected at least one of tempo_tags, genre_tags, mood_tags; columns: id, tags)`,
    );
  });

  it('names the file, row, column and cell of a list it cannot read', async () => {
    const path = write(
      freshDir(),
      'x.csv',
      `id,genre_tags\na,['rock']\nb,"['rock', 'pop'${', x'.repeat(40)}"\n`,
    );
    const message = await failure(readCatalogue({ path, taxonomy }));
    expect(message).toBe(
      `catalogue ${path}: row 2, column genre_tags: cannot read the cell as a list of genre tags (expected a quoted string at character 17): "['rock', 'pop'${', x'.repeat(40).slice(0, 66)}…"`,
    );
  });

  it('reports every unknown tag with counts and first rows, and drops them on request', async () => {
    const lines = ['id,genre_tags,mood_tags'];
    for (let r = 1; r <= 12; r++) {
      const genre = r % 2 === 0 ? 'rock, dubstepp' : 'pop';
      const mood = r === 5 ? 'happy, glum, glum' : r === 9 ? 'sad, jazz' : 'sad';
      lines.push(`t${r},"${genre}","${mood}"`);
    }
    const path = write(freshDir(), 'x.csv', lines.join('\n'));
    const message = await failure(readCatalogue({ path, taxonomy }));
    expect(message).toBe(
      `catalogue ${path}: 3 unknown tags in 8 rows (policy "error"): ` +
        '"dubstepp" in genre_tags at rows 2, 4, 6, 8, 10 and 1 more; ' +
        '"glum" in mood_tags at row 5; ' +
        '"jazz" (a genre tag) in mood_tags at row 9' +
        ' — fix the tags or rerun with unknownTags "drop"',
    );
    const catalogue = await readCatalogue({ path, taxonomy, unknownTags: 'drop' });
    expect(catalogue.unknown).toEqual([
      { tag: 'dubstepp', column: 'genre_tags', rows: 6, firstRows: [2, 4, 6, 8, 10, 12] },
      { tag: 'glum', column: 'mood_tags', rows: 1, firstRows: [5] },
      { tag: 'jazz', column: 'mood_tags', rows: 1, firstRows: [9], belongsTo: 'genre' },
    ]);
    const rows = tableTags(catalogue, taxonomy.categories, taxonomy.tags);
    expect(rows[1]).toEqual({ tempo: [], genre: ['rock'], mood: ['sad'] });
    expect(rows[4]).toEqual({ tempo: [], genre: ['pop'], mood: ['happy'] });
    expect(rows[8]).toEqual({ tempo: [], genre: ['pop'], mood: ['sad'] });
  });

  it('lists at most ten unknown tags in the message', async () => {
    const tags = Array.from({ length: 12 }, (_, i) => `nope${i}`).join(', ');
    const path = write(freshDir(), 'x.csv', `id,genre_tags\na,"${tags}"\n`);
    const message = await failure(readCatalogue({ path, taxonomy }));
    expect(message).toMatch(
      /: 12 unknown tags in 1 row \(policy "error"\): "nope0" in genre_tags at row 1;/,
    );
    expect(message).toContain('"nope9" in genre_tags at row 1; and 2 more tags — fix the tags');
    expect(message).not.toContain('nope10');
  });

  it('refuses an unknown policy', async () => {
    const path = write(freshDir(), 'x.csv', csvText);
    expect(await failure(readCatalogue({ path, taxonomy, unknownTags: 'ignore' as never }))).toBe(
      'unknownTags must be "error" or "drop", got "ignore"',
    );
  });
});
