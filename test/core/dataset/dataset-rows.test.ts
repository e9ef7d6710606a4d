import { describe, expect, it } from 'vitest';
import { surrogateId } from '../../../core/dataset/surrogate-id.js';
import { encode, rows, taxonomy } from './published-rows-fixture.js';

describe('published rows', () => {
  it('turn tag ids into the notebook’s string columns, seed tags included per category', () => {
    const { raw, encoder } = encode();
    expect(encoder.row(raw, 0)).toEqual({
      id: surrogateId(rows[0], taxonomy),
      aspect_list: ["rock 'n' roll", 'sad "ish"', 'slow', 'rock', 'ünïcode ✓'],
      original_aspect_list: ['rock', 'sad "ish"'],
      temperature: 1,
      mode: 'seeded',
      source_id: 'track_1',
      tempo_tags: ['slow'],
      genre_tags: ["rock 'n' roll", 'rock'],
      mood_tags: ['sad "ish"', 'ünïcode ✓'],
    });
    expect(encoder.row(raw, 1)).toMatchObject({
      mode: 'latent',
      source_id: null,
      original_aspect_list: [],
    });
  });

  it('build Arrow batches equal to the plain rows, also when batches are small', () => {
    const { raw, encoder, batch } = encode();
    expect(batch.schema.fields.map((f) => `${f.name}: ${f.type}`)).toEqual([
      'id: Utf8',
      'aspect_list: List<Utf8>',
      'original_aspect_list: List<Utf8>',
      'temperature: Float64',
      'mode: Utf8',
      'source_id: Utf8',
      'tempo_tags: List<Utf8>',
      'genre_tags: List<Utf8>',
      'mood_tags: List<Utf8>',
    ]);
    for (let i = 0; i < rows.length; i++) {
      const fromBatch = Object.fromEntries(
        batch.schema.fields.map((f) => {
          const value = batch.getChild(f.name)!.get(i);
          return [f.name, value !== null && typeof value === 'object' ? [...value] : value];
        }),
      );
      expect(fromBatch).toEqual(encoder.row(raw, i));
    }
  });

  it('estimate the Arrow bytes of each row exactly as the buffers hold them', () => {
    const { raw, encoder, batch } = encode();
    let estimate = 0;
    for (let i = 0; i < raw.length; i++) estimate += encoder.rowBytes(raw, i);
    let actual = 0;
    const visit = (data: {
      values?: { byteLength: number };
      valueOffsets?: { byteLength: number };
      nullBitmap?: { byteLength: number };
      children: unknown[];
    }) => {
      actual +=
        (data.values?.byteLength ?? 0) +
        (data.valueOffsets?.byteLength ?? 0) +
        (data.nullBitmap?.byteLength ?? 0);
      for (const child of data.children) visit(child as typeof data);
    };
    for (const field of batch.schema.fields) visit(batch.getChild(field.name)!.data[0] as never);
    // Offsets carry one extra entry per array, and validity rounds up to a byte.
    // id, mode, source_id: one offset array each; aspect, original and 3 category lists: two.
    const arrays = 3 + 5 * 2;
    expect(Math.abs(estimate - (actual - 4 * arrays))).toBeLessThan(1);
  });
});
