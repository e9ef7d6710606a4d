// Stage 7: the splits as a Hugging Face dataset — a local folder (atomic swap) or a Hub repo
// (one commit, idempotent per run). The Hub token is read here, from this worker's own
// environment (HF_TOKEN); it never travels through workflow input, results or heartbeats.
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { RunConfig } from '../core/config.js';
import { describeCountModel } from '../core/counts/index.js';
import type { CardGeneration, CoverageReport, DatasetCardInfo } from '../core/dataset/index.js';
import {
  buildRecipe,
  describeInputs,
  parsePublishTarget,
  runInputPaths,
  SPLIT_NAMES,
  validateSplitRatios,
} from '../core/dataset/index.js';
import { type ArtifactStore, runKey, withLocalCopies } from '../core/io/index.js';
import { chunkJobBase, type PublishSummary, type SplitSummary } from '../core/run-types.js';
import { version } from '../core/version.js';
import {
  MODEL_PACK_META_FILE,
  type ModelPackMeta,
  readModelPackMeta,
} from '../models/model-pack.js';
import { coversTags } from './cover-tags.js';
import type { DedupeReport } from './dedupe.js';
import { REPORT_FILES } from './evaluate.js';
import { logActivityEvent, maybeFailAtStart } from './instrumentation.js';
import { calibrationKey } from './latent-setup.js';
import { conceptCardParts } from './publish-concepts.js';
import {
  artifactStore,
  RUN_FILES,
  runCountModel,
  runTaxonomy,
  withModelPack,
} from './run-inputs.js';
import type { SplitReport } from './split.js';
import { runOnStageThread } from './stage-threads.js';

/** The dataset's name in its card: output.name, else the target folder's name or the repo id. */
function datasetId(config: RunConfig): string {
  if (config.output.name) return config.output.name;
  const target = parsePublishTarget(config.output.target!);
  if (target.kind === 'folder') return basename(target.dir);
  if (target.kind === 's3') return (target.prefix || target.bucket).split('/').at(-1)!;
  return target.repo;
}

/** The files the run read, by field: the model pack as its model.json and the files it lists. */
function recipeInputFiles(
  config: RunConfig,
  meta: ModelPackMeta,
): Parameters<typeof describeInputs>[0] {
  return runInputPaths(config).flatMap(({ input, path }): Parameters<typeof describeInputs>[0] =>
    input === 'model.pack'
      ? [
          { input, path: join(path, MODEL_PACK_META_FILE) },
          ...Object.entries(meta.files).map(([file, f]) => ({
            input,
            path: join(path, file),
            ...f,
          })),
        ]
      : [{ input, path }],
  );
}

/** Model provenance for the card: a training corpus by file name, not this machine's path. */
function cardProvenance(provenance: ModelPackMeta['provenance']): unknown {
  const corpus = (provenance as { corpus?: { source?: unknown } }).corpus;
  if (provenance.kind !== 'trained' || typeof corpus?.source !== 'string') return provenance;
  return { ...provenance, corpus: { ...corpus, source: basename(corpus.source) } };
}

function countModelSummary(
  means: Record<string, number>,
  kind: string,
  source?: { path?: string; rows?: number },
): string {
  const from =
    kind === 'fitted'
      ? `Gaussian copula fitted on \`${source?.path ?? 'a reference corpus'}\` (${source?.rows ?? '?'} rows): empirical count marginals, normal-scores correlation.`
      : "Gaussian copula with the notebook's discretised log-normal marginals and correlation (`params`).";
  return `${from} Expected tags per row: ${Object.entries(means)
    .map(([c, m]) => `${c} ${m.toFixed(3)}`)
    .join(', ')}.`;
}

export async function publish(params: {
  runId: string;
  config: RunConfig;
  rowsGenerated: number;
  rowsUnique: number;
  splits: SplitSummary['counts'];
}): Promise<PublishSummary> {
  maybeFailAtStart('publish');
  const { runId, config } = params;
  const store = artifactStore(config.artifacts);
  const taxonomy = runTaxonomy(config.taxonomy);
  const splitReport = await store.readJson<SplitReport>(runKey(runId, RUN_FILES.splitReport));
  const dedupeReport = await store.readJson<DedupeReport>(runKey(runId, RUN_FILES.dedupeReport));
  const meta = await withModelPack(config.model.pack, async (pack) => readModelPackMeta(pack));
  const countModel = await runCountModel(store, runId);
  const means = describeCountModel(countModel, { sampleRows: 0 }).expectedMeans;

  const reportKey = runKey(runId, RUN_FILES.report);
  const extraSections: DatasetCardInfo['extraSections'] = [];
  const extraFiles: DatasetCardInfo['extraFiles'] = [];
  if (await store.exists(`${reportKey}/${REPORT_FILES.manifest}`)) {
    extraSections.push({
      title: '',
      markdown: await withLocalCopies(store, [`${reportKey}/${REPORT_FILES.markdown}`], ([p]) =>
        readFileSync(p, 'utf8'),
      ),
    });
    const present = new Set(await store.list(reportKey));
    for (const file of await store.readJson<string[]>(`${reportKey}/${REPORT_FILES.manifest}`)) {
      const source = `${reportKey}/${file}`; // an artifact key until fetched below
      if (present.has(source))
        extraFiles.push({ path: `${REPORT_FILES.publishedBase}${file}`, source });
    }
  }

  // Tag coverage: the card's account, and the report beside the evaluation's.
  let coverage: CoverageReport | undefined;
  if (coversTags(config)) {
    const key = runKey(runId, RUN_FILES.coverageReport);
    coverage = await store.readJson<CoverageReport>(key);
    extraFiles.push({ path: `${REPORT_FILES.publishedBase}coverage.json`, source: key });
  }

  const concepts = await conceptCardParts(config, runId, store, taxonomy);
  // Everything the dataset is built from, as local files (in S3: fetched into the cache).
  const fileKeys = [
    ...SPLIT_NAMES.flatMap((s) => splitReport.outputs[s]),
    ...[...extraFiles, ...concepts.extraFiles].map((f) => f.source),
  ];
  const local = await store.readLocal(fileKeys);
  const localPath = new Map(fileKeys.map((k, i) => [k, local.paths[i]]));
  const fetched = (files: DatasetCardInfo['extraFiles'] = []) =>
    files.map((f) => ({ ...f, source: localPath.get(f.source)! }));
  const dataset = datasetId(config);
  const recipe = buildRecipe({
    config,
    dataset,
    toolVersion: version,
    inputs: await describeInputs(recipeInputFiles(config, meta)),
  });
  // Parquet encoding (and the upload) on a stage thread: the event loop stays free.
  const result = await runOnStageThread('publishDataset', {
    target: config.output.target!,
    recipe,
    splitFiles: Object.fromEntries(
      SPLIT_NAMES.map((s) => [s, splitReport.outputs[s].map((k) => localPath.get(k)!)]),
    ) as Record<(typeof SPLIT_NAMES)[number], string[]>,
    taxonomy,
    csv: config.output.csv,
    private: config.output.private,
    workDir: store.scratchPath(runKey(runId, RUN_FILES.scratch)),
    card: {
      name: dataset.split('/').at(-1)!,
      ...(dataset.includes('/') && { repoId: dataset }),
      runId,
      seed: config.seed,
      taxonomy: { hash: taxonomy.hash, categories: [...taxonomy.categories], tags: taxonomy.size },
      model: {
        provenance: cardProvenance(meta.provenance),
        summary: `BetaVAE, ${meta.inputDim} tags → hidden ${meta.hiddenDim} → latent ${meta.latentDim}${meta.batchNorm ? ', batch norm' : ''}; ${
          meta.provenance.kind === 'imported'
            ? `imported from \`${meta.provenance.source}\``
            : `trained by ${meta.createdWith}`
        }.`,
      },
      generation: await cardGeneration(config, runId, store),
      countModel: {
        kind: countModel.kind,
        // The card names files, not this machine's paths (the dataset must not depend on them).
        summary: countModelSummary(
          means,
          countModel.kind,
          countModel.source && {
            ...countModel.source,
            path: countModel.source.path && basename(countModel.source.path),
          },
        ),
        means,
      },
      temperatures: config.generation.temperatures,
      rowsGenerated: params.rowsGenerated,
      rowsAfterDedupe: params.rowsUnique,
      splits: params.splits,
      license: config.output.license,
      toolVersion: version,
      split: { ratios: validateSplitRatios(config.split), stratified: config.split.stratify },
      dedupeGroups: dedupeReport.groups,
      ...(coverage ? { coverage } : {}),
      extraSections: [...extraSections, ...concepts.extraSections],
      extraFiles: fetched([...extraFiles, ...concepts.extraFiles]),
      extraConfigs: concepts.extraConfigs,
    },
  }).finally(local.release);
  logActivityEvent({ activity: 'publish', event: 'finish', target: result.target });
  // What `tagflow runs` shows and `tagflow clean --finished` goes by.
  await store.writeJson(runKey(runId, RUN_FILES.published), { target: result.target });
  return {
    target: result.target,
    files: result.files.length,
    bytes: result.files.reduce((n, f) => n + f.bytes, 0),
    commit: result.commit,
  };
}

/** The card's generation section: settings, and each temperature's calibration as it was fitted. */
async function cardGeneration(
  config: RunConfig,
  runId: string,
  store: ArtifactStore,
): Promise<CardGeneration> {
  const g = config.generation;
  const corpus = chunkJobBase(runId, config).corpus;
  const fitted = g.calibration.enabled
    ? await Promise.all(
        g.temperatures.map((_, i) =>
          store.readJson<{ meanJs: number[] }>(calibrationKey(runId, i)),
        ),
      )
    : [];
  return {
    preset: config.preset,
    temperatureMode: g.temperatureMode,
    latentPrior: g.latent.prior,
    selection: g.selection,
    countCoupling: g.countCoupling,
    corpus:
      corpus && (g.latent.prior === 'corpus' || g.calibration.enabled)
        ? basename(corpus.path)
        : undefined,
    calibration: g.calibration.enabled
      ? {
          steps: g.calibration.steps,
          rows: g.calibration.rows,
          temperatures: g.temperatures.map((temperature, i) => {
            const { meanJs } = fitted[i];
            return { temperature, before: meanJs[0], after: Math.min(...meanJs) };
          }),
        }
      : undefined,
  };
}
