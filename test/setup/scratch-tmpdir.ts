// Vitest global setup: the test run's temporary files go to one scratch folder, removed when
// the run ends. Many specs make temp folders (fixtures, model packs, artifact stores) and leave
// them for inspection when a test fails; without this they piled up in the system's temp folder
// run after run (about a hundred folders, 15 MB, per run). Test processes and everything they
// start (CLI runs, Python checks) inherit TMPDIR, so os.tmpdir() is the scratch folder there.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let scratch: string | undefined;
let previous: string | undefined;

export function setup() {
  previous = process.env.TMPDIR;
  scratch = mkdtempSync(join(tmpdir(), 'tagflow-test-run-'));
  process.env.TMPDIR = scratch;
}

export function teardown() {
  if (previous === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = previous;
  if (scratch && !process.env.TAGFLOW_KEEP_TEST_TMP)
    rmSync(scratch, { recursive: true, force: true });
}
