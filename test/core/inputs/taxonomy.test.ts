import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors.js';
import {
  buildTaxonomy,
  categoryRange,
  loadTaxonomy,
  taxonomyHash,
} from '../../../core/inputs/taxonomy.js';
import { conceptcaps } from '../../helpers/conceptcaps.js';

describe('the real ConceptCaps taxonomy', () => {
  const path = conceptcaps('concepts_to_tags.json');
  const taxonomy = loadTaxonomy(path);
  const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, string[]>;

  it('has 200 tags in 4 ranges of 50', () => {
    expect(taxonomy.size).toBe(200);
    expect(taxonomy.tags).toHaveLength(200);
    expect(taxonomy.categories).toEqual(['tempo', 'genre', 'mood', 'instrument']);
    expect(taxonomy.ranges).toEqual([
      { category: 'tempo', start: 0, end: 50 },
      { category: 'genre', start: 50, end: 100 },
      { category: 'mood', start: 100, end: 150 },
      { category: 'instrument', start: 150, end: 200 },
    ]);
  });

  it('indexes every tag by category order, then tag order', () => {
    let global = 0;
    Object.entries(json).forEach(([category, tags], c) => {
      tags.forEach((tag) => {
        expect(taxonomy.index.get(tag)).toBe(global);
        expect(taxonomy.tags[global]).toBe(tag);
        expect(taxonomy.tagCategory[global]).toBe(c);
        expect(taxonomy.categories[taxonomy.tagCategory[global]]).toBe(category);
        global++;
      });
    });
    expect(taxonomy.index.size).toBe(200);
    expect(taxonomy.json).toEqual(json);
  });

  it('has a content hash that ignores formatting and changes with content or order', () => {
    expect(taxonomy.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    const dir = mkdtempSync(join(tmpdir(), 'tagflow-taxonomy-'));
    const compact = join(dir, 'compact.json');
    writeFileSync(compact, JSON.stringify(json));
    expect(loadTaxonomy(compact).hash).toBe(taxonomy.hash);
    expect(buildTaxonomy(structuredClone(json)).hash).toBe(taxonomy.hash);

    const reordered = Object.fromEntries(Object.entries(json).reverse());
    expect(buildTaxonomy(reordered).hash).not.toBe(taxonomy.hash);
    const swapped = structuredClone(json);
    [swapped.tempo[0], swapped.tempo[1]] = [swapped.tempo[1], swapped.tempo[0]];
    expect(buildTaxonomy(swapped).hash).not.toBe(taxonomy.hash);
    const renamed = structuredClone(json);
    renamed.mood[3] = `${renamed.mood[3]}!`;
    expect(buildTaxonomy(renamed).hash).not.toBe(taxonomy.hash);
    expect(taxonomyHash(json)).toBe(taxonomy.hash);
  });

  it('finds category ranges by name and names the known ones otherwise', () => {
    expect(categoryRange(taxonomy, 'mood')).toEqual({ category: 'mood', start: 100, end: 150 });
    expect(() => categoryRange(taxonomy, 'key')).toThrow(
      'unknown category "key"; the taxonomy has "tempo", "genre", "mood", "instrument"',
    );
  });
});

describe('taxonomy validation', () => {
  function error(value: unknown): ValidationError {
    try {
      buildTaxonomy(value, 'taxonomy t.json');
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      return err as ValidationError;
    }
    throw new Error('expected a ValidationError');
  }

  it('rejects anything but an object', () => {
    expect(error([['a']]).message).toBe(
      'taxonomy t.json: expected a JSON object {category: [tags]}, got an array',
    );
    expect(error(null).message).toBe(
      'taxonomy t.json: expected a JSON object {category: [tags]}, got null',
    );
    expect(error('tempo').message).toBe(
      'taxonomy t.json: expected a JSON object {category: [tags]}, got string',
    );
    expect(error({}).message).toBe('taxonomy t.json: has no categories');
  });

  it('rejects an empty category, an unnamed one and one that is not a list', () => {
    expect(error({ tempo: ['fast'], genre: [] }).message).toBe(
      'taxonomy t.json: category "genre" is empty',
    );
    expect(error({ ' ': ['fast'] }).message).toBe('taxonomy t.json: a category has an empty name');
    expect(error({ tempo: 'fast' }).message).toBe(
      'taxonomy t.json: category "tempo" must be an array of tags, got string',
    );
  });

  it('rejects empty and non-string tags, naming the category and position', () => {
    expect(error({ tempo: ['fast', '  '] }).message).toBe(
      'taxonomy t.json: category "tempo", tag #2 is empty',
    );
    expect(error({ tempo: ['fast', ''] }).message).toBe(
      'taxonomy t.json: category "tempo", tag #2 is empty',
    );
    expect(error({ tempo: ['fast'], genre: ['rock', 7] }).message).toBe(
      'taxonomy t.json: category "genre", tag #2 is not a string (got 7)',
    );
    expect(error({ tempo: [null] }).message).toBe(
      'taxonomy t.json: category "tempo", tag #1 is not a string (got null)',
    );
  });

  it('rejects a duplicate tag within a category', () => {
    expect(error({ genre: ['rock', 'pop', 'rock'] }).message).toBe(
      'taxonomy t.json: duplicate tag "rock" in category "genre"',
    );
  });

  it('rejects a tag in two categories, naming both', () => {
    expect(error({ genre: ['rock', 'dance'], tempo: ['fast', 'dance'] }).message).toBe(
      'taxonomy t.json: tag "dance" is in two categories ("genre" and "tempo"); each tag must belong to one',
    );
  });

  it('reports unreadable and malformed files with their path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tagflow-taxonomy-'));
    const missing = join(dir, 'missing.json');
    expect(() => loadTaxonomy(missing)).toThrow(`taxonomy ${missing}: cannot read file`);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"tempo": ["fast",');
    expect(() => loadTaxonomy(broken)).toThrow(`taxonomy ${broken}: not valid JSON`);
    const empty = join(dir, 'empty.json');
    writeFileSync(empty, '{"tempo": []}');
    expect(() => loadTaxonomy(empty)).toThrow(`taxonomy ${empty}: category "tempo" is empty`);
  });

  it('keeps the order of a small valid taxonomy', () => {
    const taxonomy = buildTaxonomy({ b: ['x', 'y'], a: ['z'] });
    expect(taxonomy.categories).toEqual(['b', 'a']);
    expect(taxonomy.tags).toEqual(['x', 'y', 'z']);
    expect(Array.from(taxonomy.tagCategory)).toEqual([0, 0, 1]);
    expect(taxonomy.ranges[1]).toEqual({ category: 'a', start: 2, end: 3 });
  });
});
