// The published README.md: a Hugging Face dataset card. YAML front matter tells the Hub
// and `datasets.load_dataset` what is there (configs → data_files per split, features,
// split sizes, license, task categories, size category, tags); the body says how the data
// was made, precisely enough to reproduce it. No timestamps: the same run gives the same
// card, byte for byte.
import { stringify } from 'yaml';
import { int, table } from './card-markdown.js';
import { coverageMarkdown, coverageRow } from './coverage-card.js';
import type { DedupeGroupReport } from './dedupe.js';
import { type CardRecipe, recipeCardRows } from './recipe.js';
import type { SplitRatios } from './split.js';
import type { CoverageReport } from './tag-coverage.js';

export interface DatasetCardInfo {
  /** Dataset name (the folder or repo name), used as the card's title. */
  name: string;
  runId: string;
  seed: number;
  taxonomy: { hash: string; categories: string[]; tags: number };
  /** `provenance` is rendered as JSON; `summary` as markdown. */
  model: { provenance: unknown; summary: string };
  /** `summary` is markdown; `means` (mean requested tags per category), when given, becomes a table. */
  countModel: { kind: string; summary: string; means?: Record<string, number> };
  temperatures: number[];
  rowsGenerated: number;
  rowsAfterDedupe: number;
  /** Expected rows per split; publishing checks them against the split files. */
  splits: Record<string, number>;
  /** SPDX-style license id for the card (default cc-by-4.0). */
  license?: string;
  toolVersion: string;
  /** Appended after the generated sections (the evaluation report goes here); an empty title means the markdown has its own heading. */
  extraSections?: { title: string; markdown: string }[];
  /** Copied into the dataset: `path` relative in the repo, `source` a local file. */
  extraFiles?: { path: string; source: string }[];
  /** Optional: how rows were split, rendered in the card. */
  split?: { ratios: SplitRatios; stratified: boolean };
  /** Optional: dedupe counts per temperature and mode, rendered as a table. */
  dedupeGroups?: DedupeGroupReport[];
  /** More Hub configs beside `default` (the `concepts` sets): Parquet files under `path`, one train split. */
  extraConfigs?: { name: string; path: string; features: unknown[]; rows: number; bytes: number }[];
  /** Optional: the generation settings that shape rows, rendered in a section of their own. */
  generation?: CardGeneration;
  /** When the run topped up rare tags (generation.minRowsPerTag): what it added and what it could not. */
  coverage?: CoverageReport;
  /** Hub tags (default: music, music-tagging, synthetic, tags, beta-vae, tagflow). */
  tags?: string[];
  /** Hub task categories (default: text-to-audio). */
  taskCategories?: string[];
  /** `owner/name` on the Hub, for the loading snippet; set by the publisher for hf:// targets. */
  repoId?: string;
  /** The dataset's tagflow.yaml (set by the publisher once it is written): linked, inputs listed. */
  recipe?: CardRecipe;
}

export interface CardGeneration {
  preset: string;
  temperatureMode: 'spread' | 'decoder';
  latentPrior: 'corpus' | 'standard';
  selection: 'topk' | 'sample';
  countCoupling: 'independent' | 'coupled';
  /** The corpus file's name (latent centres, calibration target). */
  corpus?: string;
  /** Per temperature: the calibration sample's mean JS to the corpus, without and with the bias. */
  calibration?: {
    steps: number;
    rows: number;
    temperatures: { temperature: number; before: number; after: number }[];
  };
}

/** What the generation section of the card says. */
export function generationMarkdown(g: CardGeneration): string {
  const out = ['### Generation\n'];
  out.push(
    table(
      ['setting', 'value'],
      [
        ['preset', `\`${g.preset}\``],
        ['temperature', `\`${g.temperatureMode}\``],
        ['latent prior', `\`${g.latentPrior}\`${g.corpus ? ` (${g.corpus})` : ''}`],
        ['selection', `\`${g.selection}\``],
        ['latent tag counts', `\`${g.countCoupling}\``],
        [
          'tag calibration',
          g.calibration
            ? `${g.calibration.steps} steps on ${g.calibration.rows} rows a temperature`
            : 'none',
        ],
      ],
    ),
  );
  out.push('');
  out.push(
    g.latentPrior === 'corpus'
      ? 'Each *latent* row is centred on a random corpus row: z = μ(x) + T·σ(x)·ε, with μ, σ the encoder’s posterior for that row’s tags, so latent rows follow the corpus’s aggregate posterior rather than N(0, I).'
      : `Each *latent* row decodes z ~ N(0, ${g.temperatureMode === 'spread' ? 'T²·I' : 'I'}).`,
  );
  if (g.temperatureMode === 'spread') {
    out.push(
      '\nThe temperature scales the spread of z around its centre (ε’s scale; the decoder runs at 1): low temperatures stay close to the centre (rows like their seed track or corpus row, more repeats), high ones stray further (more novel rows, looser co-occurrence).',
    );
  } else {
    out.push(
      g.selection === 'topk'
        ? '\nThe temperature divides the decoder’s logits. With `topk` selection it has no effect on which tags are chosen (the top k of σ(logit / T) are the top k of the logits for every T > 0): the temperatures are repeated draws of one distribution.'
        : '\nThe temperature divides the decoder’s logits: low temperatures sharpen the sampling probabilities, high ones flatten them.',
    );
  }
  if (g.calibration) {
    out.push(
      '\nA per-tag bias on the decoder’s logits was fitted per temperature so that the tags selected for a calibration sample occur in the corpus’s proportions (mean JS distance of tag shares to the corpus, without → with the bias):\n',
    );
    out.push(
      table(
        ['temperature', 'without bias', 'with bias'],
        g.calibration.temperatures.map((t) => [
          t.temperature,
          t.before.toFixed(3),
          t.after.toFixed(3),
        ]),
      ),
    );
  }
  out.push('');
  return out.join('\n');
}

export interface CardSplitInfo {
  name: string;
  numExamples: number;
  /** In-memory Arrow size, as `datasets` reports num_bytes. */
  numBytes: number;
}

export interface CardLayout {
  splits: CardSplitInfo[];
  /** Total bytes of the Parquet files. */
  downloadSize: number;
  /** Column names of the `<category>_tags` columns, in order. */
  categoryColumns: string[];
}

export const DEFAULT_LICENSE = 'cc-by-4.0';
// text-to-audio: the rows are prompts (tag sets) for text-to-music models, the use the data
// was made for; the Hub has no tag-set task of its own.
export const DEFAULT_TASK_CATEGORIES = ['text-to-audio'];
export const DEFAULT_TAGS = ['music', 'music-tagging', 'synthetic', 'tags', 'beta-vae', 'tagflow'];

/** The Hub's size_categories bucket for `n` rows. */
export function sizeCategory(n: number): string {
  const buckets: [number, string][] = [
    [1e3, 'n<1K'],
    [1e4, '1K<n<10K'],
    [1e5, '10K<n<100K'],
    [1e6, '100K<n<1M'],
    [1e7, '1M<n<10M'],
    [1e8, '10M<n<100M'],
    [1e9, '100M<n<1B'],
    [1e10, '1B<n<10B'],
    [1e11, '10B<n<100B'],
    [1e12, '100B<n<1T'],
  ];
  for (const [limit, name] of buckets) if (n < limit) return name;
  return 'n>1T';
}

/** The `dataset_info.features` list: `sequence: string` is read by old and new `datasets`. */
export function cardFeatures(categoryColumns: readonly string[]) {
  return [
    { name: 'id', dtype: 'string' },
    { name: 'aspect_list', sequence: 'string' },
    { name: 'original_aspect_list', sequence: 'string' },
    { name: 'temperature', dtype: 'float64' },
    { name: 'mode', dtype: 'string' },
    { name: 'source_id', dtype: 'string' },
    ...categoryColumns.map((name) => ({ name, sequence: 'string' })),
  ];
}

export function cardFrontMatter(
  info: DatasetCardInfo,
  layout: CardLayout,
): Record<string, unknown> {
  const total = layout.splits.reduce((sum, s) => sum + s.numExamples, 0);
  const main = {
    features: cardFeatures(layout.categoryColumns),
    splits: layout.splits.map((s) => ({
      name: s.name,
      num_bytes: s.numBytes,
      num_examples: s.numExamples,
    })),
    download_size: layout.downloadSize,
    dataset_size: layout.splits.reduce((sum, s) => sum + s.numBytes, 0),
  };
  const extra = info.extraConfigs ?? [];
  const extraInfo = extra.map((c) => ({
    config_name: c.name,
    features: c.features,
    splits: [{ name: 'train', num_bytes: c.bytes, num_examples: c.rows }],
    download_size: c.bytes,
    dataset_size: c.bytes,
  }));
  return {
    license: info.license ?? DEFAULT_LICENSE,
    pretty_name: info.name,
    language: ['en'],
    task_categories: info.taskCategories ?? DEFAULT_TASK_CATEGORIES,
    tags: info.tags ?? DEFAULT_TAGS,
    size_categories: [sizeCategory(total)],
    configs: [
      {
        config_name: 'default',
        data_files: layout.splits.map((s) => ({ split: s.name, path: `data/${s.name}-*` })),
      },
      ...extra.map((c) => ({
        config_name: c.name,
        data_files: [{ split: 'train', path: c.path }],
      })),
    ],
    // One dataset_info per config once there are several, each naming its config.
    dataset_info: extra.length === 0 ? main : [{ config_name: 'default', ...main }, ...extraInfo],
  };
}

/** The whole README.md. */
export function renderDatasetCard(info: DatasetCardInfo, layout: CardLayout): string {
  const yaml = stringify(cardFrontMatter(info, layout), { lineWidth: 0 });
  const dropped = info.rowsGenerated - info.rowsAfterDedupe;
  const loadName = info.repoId ?? `path/to/${info.name}`;
  const parts: string[] = [];
  parts.push(`---\n${yaml}---\n`);
  parts.push(`# ${info.name}\n`);
  parts.push(
    'Synthetic music-tag combinations (tempo, genre, mood, instrument, … as the taxonomy ' +
      'defines) generated with a Beta-VAE by tagflow ' +
      `${info.toolVersion}. Each row is one tag set, meant as a prompt for text-to-music ` +
      'models or as a probe for concepts in music models.\n',
  );
  parts.push(
    '## Loading\n\n```python\nfrom datasets import load_dataset\n\n' +
      `ds = load_dataset(${JSON.stringify(loadName)})\n` +
      'print(ds["train"][0])\n```\n',
  );
  parts.push(
    `## Splits\n\n${table(
      ['split', 'rows'],
      layout.splits.map((s) => [s.name, int(s.numExamples)]),
    )}\n`,
  );

  const made: string[] = [];
  made.push('## How this dataset was made\n');
  made.push(
    table(
      ['', ''],
      [
        ['tool', `tagflow ${info.toolVersion}`],
        ...(info.recipe ? recipeCardRows(info.recipe) : []),
        ['run id', `\`${info.runId}\``],
        ['seed', info.seed],
        [
          'taxonomy',
          `\`${info.taxonomy.hash}\` (${info.taxonomy.categories.length} categories: ${info.taxonomy.categories.join(', ')}; ${int(info.taxonomy.tags)} tags)`,
        ],
        ...(info.generation ? [['preset', `\`${info.generation.preset}\``]] : []),
        ['count model', info.countModel.kind],
        ['temperatures', info.temperatures.join(', ')],
        ['rows generated', int(info.rowsGenerated)],
        ['rows after de-duplication', `${int(info.rowsAfterDedupe)} (${int(dropped)} dropped)`],
        ...(info.coverage ? [coverageRow(info.coverage)] : []),
      ],
    ),
  );
  made.push(
    '\nRows come in two modes. *seeded* rows start from a real catalogue track: seed tags are ' +
      'drawn from the track’s own tags, encoded with the VAE, and the decoded probabilities ' +
      'at the given temperature complete the tag set up to the requested count per category ' +
      '(seed tags excluded). *latent* rows decode a latent vector (see Generation) and ' +
      'select tags per category the same way. Requested tag counts per category come from the count ' +
      'model (a Gaussian copula over the per-category counts).' +
      (info.coverage
        ? ' *coverage* rows were added after de-duplication for tags in fewer than ' +
          `${int(info.coverage.minRowsPerTag)} rows (see Tag coverage).\n`
        : '\n'),
  );
  if (info.generation) made.push(generationMarkdown(info.generation));
  made.push(`### Model\n\n${info.model.summary.trim()}\n`);
  made.push(
    `Provenance:\n\n\`\`\`json\n${JSON.stringify(info.model.provenance, null, 2)}\n\`\`\`\n`,
  );
  made.push(`### Tag counts\n\n${info.countModel.summary.trim()}\n`);
  if (info.countModel.means) {
    made.push(
      `${table(
        ['category', 'mean requested tags'],
        Object.entries(info.countModel.means).map(([c, m]) => [c, m.toFixed(3)]),
      )}\n`,
    );
  }
  made.push(
    '### De-duplication\n\nA row’s identity is the set of its tags (seed and generated, ' +
      'order ignored). Of rows with the same set, the first in the order (temperature, mode ' +
      '— seeded before latent —, row) is kept.\n',
  );
  if (info.dedupeGroups && info.dedupeGroups.length > 0) {
    made.push(
      `${table(
        ['temperature', 'mode', 'rows in', 'rows kept', 'dropped'],
        info.dedupeGroups.map((g) => [
          `${g.temperature} (#${g.temperatureIndex})`,
          g.mode,
          int(g.rowsIn),
          int(g.rowsOut),
          int(g.dropped),
        ]),
      )}\n`,
    );
  }
  if (info.coverage) made.push(coverageMarkdown(info.coverage));
  const ratios = info.split
    ? ` Ratios train / validation / test: ${info.split.ratios.train} / ${info.split.ratios.validation} / ${info.split.ratios.test}` +
      (info.split.stratified ? ', stratified by temperature and mode.' : ', not stratified.')
    : '';
  made.push(
    '### Splits\n\nEach row draws a uniform number from a stream keyed by (seed, split stage, ' +
      'temperature index and mode, row index); rows are ranked by it and cut into exact sizes ' +
      '(held out = ceil((validation + test) × n), test = ceil(test share × held out), as ' +
      `scikit-learn's train_test_split rounds).${ratios}` +
      (info.coverage
        ? ' Coverage rows are split on their own at the same ratios, so every other row falls where it would without them.\n'
        : '\n'),
  );
  parts.push(made.join('\n'));

  const others = info.coverage ? 'latent and coverage rows' : 'latent rows';
  const columns: [string, string, string][] = [
    ['id', 'string', 'surrogate id, see below'],
    [
      'aspect_list',
      'list of strings',
      `all tags of the row: seed tags, then generated tags${info.coverage ? ' (a coverage row’s seed tag is the tag it tops up)' : ''}`,
    ],
    ['original_aspect_list', 'list of strings', `the source track’s tags; empty for ${others}`],
    ['temperature', 'float64', 'decoder temperature'],
    [
      'mode',
      'string',
      info.coverage
        ? '`seeded` (from a catalogue track), `latent` (from the prior) or `coverage` (a top-up row for a rare tag)'
        : '`seeded` (from a catalogue track) or `latent` (from the prior)',
    ],
    ['source_id', 'string or null', `the catalogue track’s id; null for ${others}`],
    ...layout.categoryColumns.map((c): [string, string, string] => [
      c,
      'list of strings',
      `the row’s tags in category “${c.replace(/_tags$/, '')}”, seed tags included`,
    ]),
  ];
  parts.push(`## Columns\n\n${table(['column', 'type', 'meaning'], columns)}\n`);
  parts.push(
    '## Surrogate ids\n\n`id` is unique per (mode, temperature index, row index) of the run:\n\n' +
      '```python\nimport hashlib, json\n\n' +
      'def tagflow_id(mode, temperature_index, row_index, source_id, original_aspect_list, temperature):\n' +
      '    text = "|".join(["tagflow-id-v1", mode, str(temperature_index), str(row_index), source_id or "",\n' +
      '                     json.dumps(original_aspect_list, ensure_ascii=False, separators=(",", ":")),\n' +
      '                     str(float(temperature))])\n' +
      '    return hashlib.md5(text.encode("utf-8")).hexdigest()\n```\n',
  );
  for (const section of info.extraSections ?? []) {
    // A section without a title brings its own heading.
    parts.push(
      section.title
        ? `## ${section.title}\n\n${section.markdown.trim()}\n`
        : `${section.markdown.trim()}\n`,
    );
  }
  parts.push(
    `## License\n\n${info.license ?? DEFAULT_LICENSE}. Check the licenses of the catalogue, ` +
      'taxonomy and model this run used.\n',
  );
  return parts.join('\n');
}
