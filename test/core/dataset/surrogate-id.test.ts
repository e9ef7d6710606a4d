import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pythonFloatText, surrogateId } from '../../../core/dataset/surrogate-id.js';
import { Mode } from '../../../core/rows/index.js';
import {
  conceptcapsCatalogue,
  conceptcapsTaxonomy,
  fixtureRows,
  NOTEBOOK_TEMPERATURES,
} from '../../helpers/generated-rows-fixture.js';
import { runPython } from '../../helpers/python-datasets.js';

describe('surrogate ids', () => {
  const taxonomy = conceptcapsTaxonomy();
  const catalogue = conceptcapsCatalogue(taxonomy).slice(0, 300);
  const rows = fixtureRows({ taxonomy, catalogue });

  it('are unique per row, where the notebook’s formula collides', () => {
    const ids = rows.map((r) => surrogateId(r, taxonomy));
    expect(ids.every((id) => /^[0-9a-f]{32}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(rows.length);

    // The notebook: md5(f"{track_id}_{original_tags}_{temperature}"), with latent rows
    // borrowing the track id at the same position and 1.0 appearing twice.
    const notebook = rows.map((r) => {
      const track = catalogue[r.rowIndex];
      const original =
        r.mode === Mode.seeded ? Array.from(r.originalTags, (t) => `'${taxonomy.tags[t]}'`) : [];
      const text = `${track.id}_[${original.join(', ')}]_${pythonFloatText(r.temperature)}`;
      return createHash('md5').update(text).digest('hex');
    });
    expect(NOTEBOOK_TEMPERATURES.filter((t) => t === 1)).toHaveLength(2);
    expect(new Set(notebook).size).toBeLessThan(rows.length);
  });

  it('are computed by the Python formula in the card and README', () => {
    const samples = [
      rows[0],
      rows.at(-1)!,
      { ...rows[0], sourceId: 'träck "quoted"|x', temperature: 1.25 },
    ];
    const pythonIds = runPython<string[]>(
      `
import hashlib, json, sys
def tagflow_id(mode, temperature_index, row_index, source_id, original_aspect_list, temperature):
    text = "|".join(["tagflow-id-v1", mode, str(temperature_index), str(row_index), source_id or "",
                     json.dumps(original_aspect_list, ensure_ascii=False, separators=(",", ":")),
                     str(float(temperature))])
    return hashlib.md5(text.encode("utf-8")).hexdigest()
print(json.dumps([tagflow_id(*s) for s in json.loads(sys.argv[1])]))
`,
      [
        JSON.stringify(
          samples.map((r) => [
            r.mode === Mode.seeded ? 'seeded' : 'latent',
            r.temperatureIndex,
            r.rowIndex,
            r.sourceId,
            Array.from(r.originalTags, (t) => taxonomy.tags[t]),
            r.temperature,
          ]),
        ),
      ],
    );
    expect(samples.map((r) => surrogateId(r, taxonomy))).toEqual(pythonIds);
  });

  it('write temperatures as Python prints floats', () => {
    expect([0.5, 1, 2, 1.25, 0.1, 100].map(pythonFloatText)).toEqual([
      '0.5',
      '1.0',
      '2.0',
      '1.25',
      '0.1',
      '100.0',
    ]);
  });
});
