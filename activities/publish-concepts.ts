// The `concepts` config of a published dataset: the concept parts' Parquet files, their
// features, and a card section with each concept's rows and profile.
import type { RunConfig } from '../core/config.js';
import { CONCEPTS_CONFIG, conceptFeatures, type DatasetCardInfo } from '../core/dataset/index.js';
import type { Taxonomy } from '../core/inputs/index.js';
import { type ArtifactStore, runKey } from '../core/io/index.js';
import type { ConceptSummary } from '../core/run-types.js';

type Card = Required<Pick<DatasetCardInfo, 'extraConfigs' | 'extraFiles' | 'extraSections'>>;

/**
 * What the concept sets add to the card, or nothing when the run made none. The extra files'
 * `source` are artifact keys (the caller fetches them).
 */
export async function conceptCardParts(
  config: RunConfig,
  runId: string,
  store: ArtifactStore,
  taxonomy: Taxonomy,
): Promise<Card> {
  const empty: Card = { extraConfigs: [], extraFiles: [], extraSections: [] };
  const concepts = config.generation.concepts;
  if (!concepts) return empty;
  const entries = (await store.entries(runKey(runId, CONCEPTS_CONFIG))).filter((e) =>
    e.key.endsWith('.parquet'),
  );
  const parts = entries.map((e) => e.key);
  const summaries = (
    await Promise.all(parts.map((k) => store.readJson<ConceptSummary[]>(`${k}.json`)))
  ).flat();
  const rows = summaries.reduce((n, s) => n + s.positives + s.negatives, 0);
  const profiled = summaries.filter((s) => s.profileR !== null);
  const median = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return sorted.length === 0 ? Number.NaN : sorted[Math.floor((sorted.length - 1) / 2)];
  };
  const lines = [
    `## Concept sets\n`,
    `The \`${CONCEPTS_CONFIG}\` config (\`load_dataset(..., "${CONCEPTS_CONFIG}")\`) holds ${rows} rows for ${summaries.length} concepts: ` +
      `per concept ${concepts.rowsPerConcept} *positive* rows, conditioned on the tag through the encoder (z = μ(one-hot tag) + T·σ·ε) and keeping it, ` +
      `and as many *negative* rows at the same temperatures with the same requested counts, centred on corpus rows without the tag and never selecting it. ` +
      'Profile r: Pearson r between P(other tag | concept) in the positives and in the corpus rows that carry the concept.',
    '',
    `Median profile r ${profiled.length ? median(profiled.map((s) => s.profileR as number)).toFixed(3) : 'n/a'} over ${profiled.length} concepts the corpus has at least two rows of.`,
    '',
    '| concept | positives | negatives | corpus rows | profile r |',
    '| --- | --- | --- | --- | --- |',
    ...summaries.map(
      (s) =>
        `| ${s.tag.replaceAll('|', '\\|')} | ${s.positives} | ${s.negatives} | ${s.referenceRows} | ${s.profileR === null ? 'n/a' : s.profileR.toFixed(3)} |`,
    ),
    '',
  ];
  return {
    extraConfigs: [
      {
        name: CONCEPTS_CONFIG,
        path: `${CONCEPTS_CONFIG}/train-*`,
        features: conceptFeatures(taxonomy),
        rows,
        // The Parquet bytes: the concept sets are small, and `datasets` only checks the rows.
        bytes: entries.reduce((n, e) => n + e.bytes, 0),
      },
    ],
    extraFiles: parts.map((k) => ({
      path: `${CONCEPTS_CONFIG}/${k.split('/').pop()}`,
      source: k,
    })),
    extraSections: [{ title: '', markdown: lines.join('\n') }],
  };
}
