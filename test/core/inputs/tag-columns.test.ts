// Tag columns (core/inputs/tag-columns.ts): the names that count as a misspelling of a
// category's default column, and the nearest name offered when one is missing.
import { describe, expect, it } from 'vitest';
import { editDistance, nearestName, resembles } from '../../../core/inputs/tag-columns.js';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and adjacent swaps, ignoring case', () => {
    expect(editDistance('mood_tags', 'mood_tags')).toBe(0);
    expect(editDistance('mood_tags', 'MOOD_TAGS')).toBe(0);
    expect(editDistance('mood_tags', 'mod_tags')).toBe(1);
    expect(editDistance('mood_tags', 'mood_tgas')).toBe(1);
    expect(editDistance('mood_tags', 'moodtags')).toBe(1);
    expect(editDistance('mood_tags', 'mood-tag')).toBe(2);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('tempo_tags', 'tags')).toBe(6);
  });
});

describe('nearestName', () => {
  it('picks the closest candidate, the first of equals, and nothing from nothing', () => {
    expect(nearestName('mood_tags', ['aspect_list', 'mod_tags', 'moods'])).toBe('mod_tags');
    expect(nearestName('ab', ['ax', 'ay'])).toBe('ax');
    expect(nearestName('mood_tags', [])).toBeUndefined();
  });
});

describe('resembles', () => {
  it('takes near spellings of <category>_tags and names after the category', () => {
    for (const column of ['mod_tags', 'mood_tag', 'Mood_Tags', 'moodtags', 'mood-tags', 'Mood'])
      expect(resembles(column, 'mood'), column).toBe(true);
    for (const column of ['moods', 'mood_list', 'MoodTags', 'mod'])
      expect(resembles(column, 'mood'), column).toBe(true);
    expect(resembles('instrumnet_tags', 'instrument')).toBe(true);
  });

  it('leaves other columns alone, and is stricter for short category names', () => {
    for (const column of ['tags', 'aspect_list', 'genre_tags', 'mood_tags_count', 'id', 'caption'])
      expect(resembles(column, 'tempo'), column).toBe(false);
    // ConceptCaps' catalogue: no column resembles tempo's.
    expect(resembles('instrument_tags', 'tempo')).toBe(false);
    expect(resembles('ab_tags', 'a')).toBe(false);
    expect(resembles('a_tag', 'a')).toBe(true);
  });
});
