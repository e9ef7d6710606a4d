// Concept-targeted sets as a user gets them: `tagflow run` on ConceptCaps with
// `concepts: { tags: all, rowsPerConcept: 200 }`, loaded back with Hugging Face `datasets`.
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { conceptcaps, conceptcapsCatalogue } from '../helpers/conceptcaps.js';
import { conceptcapsPackDir, runCli, tempDir } from '../helpers/pipeline.js';
import { runPython } from '../helpers/python-datasets.js';

const dir = tempDir('concepts');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('concept sets (ConceptCaps)', () => {
  it('gives every tag 200 positives that hold it and 200 negatives that do not, in a loadable config', async () => {
    const name = `cc-concepts-${randomUUID().slice(0, 8)}`;
    const config = join(dir, `${name}.yaml`);
    writeFileSync(
      config,
      stringify({
        name,
        taxonomy: conceptcaps('concepts_to_tags.json'),
        catalogue: conceptcapsCatalogue(),
        counts: { mode: 'fit', reference: conceptcaps('musiccaps_distilled.csv') },
        model: { pack: await conceptcapsPackDir() },
        generation: { concepts: { tags: 'all', rowsPerConcept: 200 } },
        evaluate: { enabled: false },
      }),
    );
    const result = await runCli(['run', '--config', config, '--no-progress', '--no-ui'], {
      cwd: dir,
      env: {
        TEMPORAL_ADDRESS: undefined,
        TAGFLOW_ACTIVITY_LOG: undefined,
        TAGFLOW_FAULTS: undefined,
      },
    });
    expect(result.code, result.stderr).toBe(0);
    const folder = fileURLToPath(/^dataset: (file:\/\/\S+)$/m.exec(result.stdout)![1]);
    const checked = runPython<{
      concepts: number;
      short: string[];
      leaks: number;
      rows: number;
      main: number;
    }>(
      `
import json, sys, collections
import datasets
c = datasets.load_dataset(sys.argv[1], "concepts")["train"]
counts = collections.Counter((r["concept"], r["label"]) for r in c)
concepts = {k[0] for k in counts}
short = [t for t in concepts if counts[(t, "positive")] < 200 or counts[(t, "negative")] < 200]
leaks = sum(1 for r in c if (r["concept"] in r["aspect_list"]) != (r["label"] == "positive"))
main = datasets.load_dataset(sys.argv[1])["train"]
print(json.dumps({"concepts": len(concepts), "short": short, "leaks": leaks, "rows": len(c), "main": len(main)}))
`,
      [folder],
    );
    expect(checked).toMatchObject({ concepts: 200, short: [], leaks: 0, rows: 80_000 });
    expect(checked.main).toBeGreaterThan(20_000);
    const card = readFileSync(join(folder, 'README.md'), 'utf8');
    expect(card).toMatch(/config_name: concepts/);
    expect(card).toMatch(/## Concept sets/);
    expect(card).toMatch(/Median profile r 0\.\d{3} over \d+ concepts/);
  }, 300_000);
});
