import { describe, expect, it } from 'vitest';
import { csvLine, pythonListRepr } from '../../../core/dataset/dataset-csv.js';
import { runPython } from '../../helpers/python-datasets.js';
import { encode, rows } from './published-rows-fixture.js';

describe('published rows', () => {
  it('format CSV cells that Python reads back with ast.literal_eval', () => {
    const { raw, encoder } = encode();
    const lines = rows.map((_, i) => csvLine(encoder.row(raw, i), encoder.columns));
    const parsed = runPython<unknown[]>(
      `
import ast, csv, io, json, sys
out = []
for record in csv.reader(io.StringIO(sys.argv[1])):
    out.append([ast.literal_eval(c) if c.startswith("[") else c for c in record])
print(json.dumps(out))
`,
      [lines.join('')],
    );
    expect(parsed).toEqual(
      rows.map((_, i) => {
        const row = encoder.row(raw, i);
        return encoder.columns.map((c) =>
          row[c] === null
            ? ''
            : typeof row[c] === 'number'
              ? row[c] === 1
                ? '1.0'
                : String(row[c])
              : row[c],
        );
      }),
    );
    expect(pythonListRepr(["it's", 'a "b"', 'back\\slash'])).toBe(
      `["it's", 'a "b"', 'back\\\\slash']`,
    );
  });
});
