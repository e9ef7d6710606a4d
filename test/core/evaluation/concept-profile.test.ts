import { describe, expect, it } from 'vitest';
import { conceptProfileR } from '../../../core/evaluation/concept-profile.js';
import { buildTaxonomy } from '../../../core/inputs/index.js';

const taxonomy = buildTaxonomy({ a: ['a0', 'a1', 'a2'], b: ['b0', 'b1'] });

describe('conceptProfileR', () => {
  it('correlates P(other | concept) of the positives with the reference rows that hold it', () => {
    // reference rows with a0: {a0,b0} {a0,b0} {a0,b1}: P(a1..b1 | a0) = 0, 0, 2/3, 1/3
    const reference = [
      [0, 3],
      [0, 3],
      [0, 4],
      [1, 4],
    ];
    const same = conceptProfileR(
      taxonomy,
      0,
      [
        [0, 3],
        [0, 3],
        [0, 4],
      ],
      reference,
    );
    expect(same).toEqual({ r: 1, referenceRows: 3 });
    const opposite = conceptProfileR(
      taxonomy,
      0,
      [
        [0, 4],
        [0, 4],
        [0, 3],
      ],
      reference,
    );
    // positives (0, 0, 1/3, 2/3) against (0, 0, 2/3, 1/3): r = (7/36) / (11/36)
    expect(opposite.r).toBeCloseTo(7 / 11, 12);
  });

  it('is null without a corpus or with fewer than two reference rows', () => {
    expect(conceptProfileR(taxonomy, 0, [[0, 3]], undefined)).toEqual({
      r: null,
      referenceRows: 0,
    });
    expect(
      conceptProfileR(
        taxonomy,
        1,
        [[1, 3]],
        [
          [1, 4],
          [0, 3],
        ],
      ),
    ).toEqual({ r: null, referenceRows: 1 });
  });
});
