// The real ConceptCaps data (taxonomy, catalogue, corpus, checkpoint, PyTorch reference
// outputs), read from ../shared/conceptcaps beside the checkout or from $CONCEPTCAPS_DIR.
// Never copied into the repository. A missing folder fails the tests that need it, loudly:
// it is not a reason to skip them.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export const CONCEPTCAPS_DIR =
  process.env.CONCEPTCAPS_DIR ?? resolve(repoRoot, '..', 'shared', 'conceptcaps');

/** Absolute path of a ConceptCaps file; throws when it is not there. */
export function conceptcaps(
  file:
    | 'concepts_to_tags.json'
    | 'mtg_jamendo_top50tags_cleaned.csv'
    | 'musiccaps_distilled.csv'
    | 'vae_final.pth'
    | 'vae_reference.json',
): string {
  const path = join(CONCEPTCAPS_DIR, file);
  if (!existsSync(path)) {
    throw new Error(
      `ConceptCaps data not found at ${path}; set CONCEPTCAPS_DIR to the folder that holds it`,
    );
  }
  return path;
}

/**
 * The ConceptCaps catalogue as a run config's `catalogue`: it has no tempo column (MTG-Jamendo
 * has no tempo tags), which a run must be told (`tagColumns: {tempo: null}`).
 */
export function conceptcapsCatalogue(): { path: string; tagColumns: { tempo: null } } {
  return { path: conceptcaps('mtg_jamendo_top50tags_cleaned.csv'), tagColumns: { tempo: null } };
}
