// The dataset card's account of tag coverage (generation.minRowsPerTag): a line in the
// provenance table and a section naming the tags topped up and those still short, with why.
import { int, table } from './card-markdown.js';
import { COVERAGE_ROUNDS, type CoverageReport } from './tag-coverage.js';

/** The provenance table's line for the top-up rows. */
export function coverageRow(c: CoverageReport): string[] {
  const unreached = c.tags.filter((t) => !t.reached).length;
  return [
    'rows added for tag coverage',
    `${int(c.rowsAdded)} (every tag in ≥ ${int(c.minRowsPerTag)} rows${unreached ? ` but ${unreached}` : ''})`,
  ];
}

/** The card's Tag coverage section: which tags were topped up, and why any are still short. */
export function coverageMarkdown(c: CoverageReport): string {
  const out = ['### Tag coverage\n'];
  const reached = c.tags.filter((t) => t.reached);
  const unreached = c.tags.filter((t) => !t.reached);
  out.push(
    `Every tag of the taxonomy was to occur in at least ${int(c.minRowsPerTag)} rows. After de-duplication ` +
      `${c.tags.length} tags did not; for each, rows conditioned on the tag (its one-hot through the encoder, ` +
      `as a seeded row's seed tags are; the tag kept, the rest selected) were generated in up to ${COVERAGE_ROUNDS} rounds, ` +
      'and those whose tag set was new joined the dataset as `coverage` rows until the tag had enough ' +
      `(${int(c.candidates)} generated, ${int(c.rowsAdded)} added in ${c.rounds} round${c.rounds === 1 ? '' : 's'}). ` +
      `${reached.length} of the ${c.tags.length} tags reached ${int(c.minRowsPerTag)} rows` +
      (unreached.length ? `; ${unreached.length} did not (below).` : '.'),
  );
  if (c.tags.length > 0) {
    out.push('');
    out.push(
      table(
        ['tag', 'category', 'rows after de-duplication', 'coverage rows added', 'rows now'],
        c.tags.map((t) => [t.tag, t.category, int(t.before), int(t.added), int(t.after)]),
      ),
    );
  }
  if (unreached.length) {
    out.push('\nTags still short, and why:\n');
    for (const t of unreached) out.push(`- **${t.tag}** (${int(t.after)} rows): ${t.reason}`);
  }
  out.push('');
  return out.join('\n');
}
