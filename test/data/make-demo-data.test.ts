import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTaxonomy } from '../../core/inputs/index.js';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const demo = join(repo, 'data', 'demo');
const FILES = ['taxonomy.json', 'catalogue.csv', 'corpus.csv'];
const temp = mkdtempSync(join(tmpdir(), 'tagflow-demo-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const taxonomy = loadTaxonomy(join(demo, 'taxonomy.json'));
const corpus: Record<string, string>[] = parse(readFileSync(join(demo, 'corpus.csv')), {
  columns: true,
});
const catalogue: Record<string, string>[] = parse(readFileSync(join(demo, 'catalogue.csv')), {
  columns: true,
});
const commaList = (cell: string) => (cell === '' ? [] : cell.split(', '));
const pythonList = (cell: string): string[] => JSON.parse(cell.replaceAll("'", '"'));

describe('the demo data generator', () => {
  it('writes exactly the committed files, byte for byte', async () => {
    await promisify(execFile)(
      join(repo, 'node_modules', '.bin', 'tsx'),
      [join(demo, 'make-demo-data.ts'), temp],
      { cwd: repo },
    );
    for (const name of FILES) {
      expect(readFileSync(join(temp, name)), name).toEqual(readFileSync(join(demo, name)));
    }
  });

  it('has a valid four-category taxonomy of 60–100 tags', () => {
    expect(taxonomy.categories).toEqual(['tempo', 'genre', 'mood', 'instrument']);
    expect(taxonomy.size).toBeGreaterThanOrEqual(60);
    expect(taxonomy.size).toBeLessThanOrEqual(100);
  });

  it('has a corpus of a few thousand rows, each with ≥ 3 tagged categories, all in the taxonomy', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(2000);
    const used = new Set<string>();
    for (const row of corpus) {
      const lists = taxonomy.categories.map((c) => commaList(row[`${c}_tags`]));
      expect(lists.filter((l) => l.length > 0).length).toBeGreaterThanOrEqual(3);
      lists.forEach((list, c) => {
        expect(new Set(list).size).toBe(list.length);
        for (const tag of list) {
          expect(taxonomy.tagCategory[taxonomy.index.get(tag) ?? -1], tag).toBe(c);
          used.add(tag);
        }
      });
      expect(commaList(row.aspect_list)).toEqual(lists.flat());
    }
    // Every tag occurs, so the model sees each at least once.
    expect(used.size).toBe(taxonomy.size);
  });

  it('has a catalogue of a few hundred tracks with Python-literal list cells', () => {
    expect(catalogue.length).toBeGreaterThanOrEqual(200);
    expect(catalogue.length).toBeLessThanOrEqual(1000);
    expect(new Set(catalogue.map((t) => t.id)).size).toBe(catalogue.length);
    for (const track of catalogue) {
      const lists = taxonomy.categories.map((c) => pythonList(track[`${c}_tags`]));
      lists.forEach((list, c) => {
        for (const tag of list)
          expect(taxonomy.tagCategory[taxonomy.index.get(tag) ?? -1], tag).toBe(c);
      });
      expect(new Set(pythonList(track.aspect_list))).toEqual(new Set(lists.flat()));
      // Seeded generation draws seeds from categories with several tags: most tracks have some.
    }
    const multi = catalogue.filter((t) => pythonList(t.instrument_tags).length > 1).length;
    expect(multi / catalogue.length).toBeGreaterThan(0.5);
  });

  it('reads like music: tags co-occur as styles do', () => {
    const withTag = (a: string) => corpus.filter((r) => commaList(r.aspect_list).includes(a));
    const share = (rows: Record<string, string>[], b: string) =>
      rows.filter((r) => commaList(r.aspect_list).includes(b)).length / rows.length;
    const metal = withTag('metal');
    expect(share(metal, 'distorted guitar')).toBeGreaterThan(0.5);
    expect(share(metal, 'banjo')).toBeLessThan(0.05);
    const ambient = withTag('ambient');
    expect(share(ambient, 'calm') + share(ambient, 'peaceful')).toBeGreaterThan(0.5);
    expect(share(ambient, 'aggressive')).toBeLessThan(0.05);
    expect(share(withTag('swing rhythm'), 'jazz')).toBeGreaterThan(0.5);
  });
});
