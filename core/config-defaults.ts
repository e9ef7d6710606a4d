// The run configuration's defaults and bounds: the notebook's constants, the presets and how
// a preset fills the generation settings a config leaves unset. No Node imports.
import { NOTEBOOK_COUNT_PARAMS } from './counts/index.js';

/** Default `execution.checkpointSeconds`: the work a retried chunk may lose. */
export const DEFAULT_CHECKPOINT_SECONDS = 10;

/** Temperature bounds: below 1e-3 the decoder's logits / T overflow float32. */
export const MIN_TEMPERATURE = 1e-3;
export const MAX_TEMPERATURE = 1000;
/** Latent rows per run: a bound the plan, the history and the dedupe bitmap stay well within. */
export const MAX_LATENT_ROWS = 1e10;
/**
 * `generation.minRowsPerTag` at most: the coverage stage keeps up to this many tag sets per tag
 * in memory to deduplicate top-up rows against.
 */
export const MAX_MIN_ROWS_PER_TAG = 10_000;

/** The notebook's temperature sweep (1.0 appears twice there, so it does here). */
export const NOTEBOOK_TEMPERATURES = [0.5, 0.75, 1.0, 1.0, 1.25, 1.5, 2.0];

/** The notebook's hard-coded count model (`generate_synthetic_correlated_data`), as config. */
export const NOTEBOOK_COUNTS_CONFIG = {
  mode: 'params' as const,
  means: { ...NOTEBOOK_COUNT_PARAMS.means },
  variances: { ...NOTEBOOK_COUNT_PARAMS.variances },
  maxCounts: { ...NOTEBOOK_COUNT_PARAMS.maxCounts },
  correlation: NOTEBOOK_COUNT_PARAMS.correlation.map((row) => [...row]),
};

export type Preset = 'tagflow' | 'notebook';

/**
 * The generation settings each preset gives the fields a config leaves unset. `tagflow`: the best
 * measured (docs/quality.md); `notebook`: the seed notebook's policies exactly.
 */
export const PRESETS = {
  tagflow: {
    temperatureMode: 'spread',
    latent: { prior: 'corpus' },
    calibration: { enabled: true },
    selection: 'topk',
    countCoupling: 'independent',
  },
  notebook: {
    temperatureMode: 'decoder',
    latent: { prior: 'standard' },
    calibration: { enabled: false },
    selection: 'topk',
    countCoupling: 'independent',
  },
} as const satisfies Record<Preset, object>;

/** What `tagflow` falls back to for a run with no corpus (explicit count parameters only). */
const NO_CORPUS = { latent: { prior: 'standard' }, calibration: { enabled: false } } as const;

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** Fills the generation fields a raw config leaves unset from its preset (unknown presets pass through to validation). */
export function applyPreset(raw: Record<string, unknown>): Record<string, unknown> {
  const name = raw.preset ?? 'tagflow';
  const preset = PRESETS[name as Preset];
  if (!preset) return raw;
  const generation = isRecord(raw.generation) ? raw.generation : {};
  if (raw.generation !== undefined && !isRecord(raw.generation)) return raw;
  const merged: Record<string, unknown> = { ...generation };
  // Without a corpus there is nothing to centre z on or calibrate against: N(0, T²·I), no bias.
  const counts = isRecord(raw.counts) ? raw.counts : {};
  const hasCorpus = generation.corpus !== undefined || counts.mode === 'fit';
  const defaults = hasCorpus ? preset : { ...preset, ...NO_CORPUS };
  for (const [key, value] of Object.entries(defaults)) {
    const own = generation[key];
    if (own === undefined) merged[key] = isRecord(value) ? { ...value } : value;
    else if (isRecord(value) && isRecord(own)) merged[key] = { ...value, ...own };
  }
  return { ...raw, generation: merged };
}
