// A Hugging Face dataset repo's files, built in a folder:
//
//   README.md                                  dataset card (core/dataset/dataset-card.ts)
//   tagflow.yaml                               the recipe (core/dataset/recipe.ts), when given
//   data/<split>-NNNNN-of-NNNNN.parquet        shards of about maxShardBytes of Arrow data
//   csv/<split>.csv                            optional copies in the notebook's CSV format
//   <extra files>                              e.g. report/metrics.json
import { copyFileSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, isAbsolute, join, posix } from 'node:path';
import { ValidationError } from '../errors.js';
import type { Taxonomy } from '../inputs/index.js';
import { sha256File, writeParquetFile } from '../io/index.js';
import { scanGeneratedRows } from '../rows/index.js';
import { type CardSplitInfo, type DatasetCardInfo, renderDatasetCard } from './dataset-card.js';
import { csvHeader, csvLine } from './dataset-csv.js';
import { PublishedRowsEncoder } from './dataset-rows.js';
import { RawGeneratedRows } from './raw-generated-rows.js';
import { type DatasetRecipe, RECIPE_FILE, renderRecipe } from './recipe.js';
import { SPLIT_NAMES, type SplitName } from './split.js';

export interface PublishedFile {
  /** Path inside the dataset, with forward slashes. */
  path: string;
  bytes: number;
  sha256: string;
}

/** Arrow bytes per Parquet shard; ZSTD makes the files several times smaller. */
export const DEFAULT_MAX_SHARD_BYTES = 256 * 1024 * 1024;
export const DEFAULT_ROW_GROUP_ROWS = 100_000;
/** Shards up to this much Arrow data are written in one call rather than streamed. */
const IN_MEMORY_SHARD_BYTES = 64 * 1024 * 1024;

export interface BuildDatasetParams {
  /** An empty folder to build in. */
  dir: string;
  /** Generated-row Arrow files per split, each split's files in the stable order. */
  splitFiles: Record<SplitName, string[]>;
  taxonomy: Taxonomy;
  card: DatasetCardInfo;
  csv?: boolean;
  maxShardBytes?: number;
  rowGroupRows?: number;
  /** Written as tagflow.yaml; the card links it and lists its inputs. */
  recipe?: DatasetRecipe;
}

export interface BuiltDataset {
  /** Every file of the dataset (marker excluded), sorted by path. */
  files: PublishedFile[];
  /** Non-empty splits, in train / validation / test order. */
  splits: CardSplitInfo[];
}

interface SplitPlan {
  name: SplitName;
  files: string[];
  rows: number;
  numBytes: number;
  /** Rows per shard. */
  shards: number[];
  /** Arrow bytes per shard. */
  shardBytes: number[];
}

async function planSplit(
  name: SplitName,
  files: string[],
  encoder: PublishedRowsEncoder,
  maxShardBytes: number,
): Promise<SplitPlan> {
  const shards: number[] = [];
  const sizes: number[] = [];
  let rows = 0;
  let total = 0;
  let shardBytes = 0;
  let shardRows = 0;
  for await (const { batch } of scanGeneratedRows(files)) {
    const rowsOfBatch = new RawGeneratedRows(batch);
    for (let i = 0; i < rowsOfBatch.length; i++) {
      const bytes = encoder.rowBytes(rowsOfBatch, i);
      if (shardRows > 0 && shardBytes + bytes > maxShardBytes) {
        shards.push(shardRows);
        sizes.push(shardBytes);
        shardBytes = 0;
        shardRows = 0;
      }
      shardBytes += bytes;
      shardRows++;
      total += bytes;
      rows++;
    }
  }
  if (shardRows > 0) {
    shards.push(shardRows);
    sizes.push(shardBytes);
  }
  return { name, files, rows, numBytes: Math.round(total), shards, shardBytes: sizes };
}

/**
 * The split's published batches: `rowGroupRows` rows each, restarting at every shard
 * boundary, so batch (and so Parquet page) boundaries depend only on the rows.
 */
async function* publishedBatches(
  plan: SplitPlan,
  encoder: PublishedRowsEncoder,
  rowGroupRows: number,
) {
  let shard = 0;
  let inShard = 0;
  const nextTarget = () => Math.min(rowGroupRows, plan.shards[shard] - inShard);
  encoder.reset(nextTarget());
  for await (const { batch } of scanGeneratedRows(plan.files)) {
    const rows = new RawGeneratedRows(batch);
    for (let i = 0; i < rows.length; i++) {
      encoder.append(rows, i);
      inShard++;
      if (encoder.length === encoder.batchCapacity) {
        yield encoder.finish();
        if (inShard === plan.shards[shard]) {
          shard++;
          inShard = 0;
        }
        if (shard < plan.shards.length) encoder.reset(nextTarget());
      }
    }
  }
}

function shardName(split: string, index: number, count: number): string {
  const pad = (n: number) => String(n).padStart(5, '0');
  return `data/${split}-${pad(index)}-of-${pad(count)}.parquet`;
}

/** Checks an extra file's repo path: relative, inside the repo, not one of ours. */
function checkExtraPath(path: string): string {
  const normal = posix.normalize(path);
  if (
    path.includes('\\') ||
    isAbsolute(path) ||
    normal.startsWith('..') ||
    normal !== path ||
    path === 'README.md' ||
    path === RECIPE_FILE ||
    path.startsWith('data/') ||
    path.startsWith('csv/') ||
    path.split('/').some((part) => part.startsWith('.'))
  ) {
    throw new ValidationError(
      `extra file path "${path}" must be a normalised relative path outside data/ and csv/, not README.md or tagflow.yaml, without hidden parts`,
    );
  }
  return path;
}

/** Writes the dataset's files into `params.dir` and describes them. */
export async function buildDatasetFiles(params: BuildDatasetParams): Promise<BuiltDataset> {
  const maxShardBytes = params.maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES;
  const rowGroupRows = params.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS;
  if (!(maxShardBytes > 0)) {
    throw new ValidationError(`maxShardBytes must be positive, got ${maxShardBytes}`);
  }
  if (!Number.isInteger(rowGroupRows) || rowGroupRows < 1) {
    throw new ValidationError(`rowGroupRows must be a positive integer, got ${rowGroupRows}`);
  }
  const { card, taxonomy } = params;
  if (card.taxonomy.hash !== taxonomy.hash) {
    throw new ValidationError(
      `dataset card names taxonomy ${card.taxonomy.hash}, but the rows use ${taxonomy.hash}`,
    );
  }
  const extraFiles = (card.extraFiles ?? []).map((f) => {
    checkExtraPath(f.path);
    if (!existsSync(f.source) || !statSync(f.source).isFile()) {
      throw new ValidationError(`extra file ${f.path}: source ${f.source} is not a file`);
    }
    return f;
  });

  const encoder = new PublishedRowsEncoder(taxonomy);
  const plans: SplitPlan[] = [];
  for (const name of SPLIT_NAMES) {
    plans.push(await planSplit(name, params.splitFiles[name] ?? [], encoder, maxShardBytes));
  }
  for (const plan of plans) {
    const expected = card.splits[plan.name];
    if (expected !== undefined && expected !== plan.rows) {
      throw new ValidationError(
        `dataset card says split "${plan.name}" has ${expected} rows, but its files hold ${plan.rows}`,
      );
    }
  }
  const total = plans.reduce((sum, p) => sum + p.rows, 0);
  if (total === 0) throw new ValidationError('nothing to publish: every split is empty');
  const added = card.coverage?.rowsAdded ?? 0;
  if (total !== card.rowsAfterDedupe + added) {
    throw new ValidationError(
      `dataset card says ${card.rowsAfterDedupe} rows after de-duplication${added ? ` and ${added} coverage rows` : ''}, but the splits hold ${total}`,
    );
  }

  const files: PublishedFile[] = [];
  mkdirSync(join(params.dir, 'data'), { recursive: true });
  const published = plans.filter((p) => p.rows > 0);
  for (const plan of published) {
    const batches = publishedBatches(plan, encoder, rowGroupRows)[Symbol.asyncIterator]();
    for (let s = 0; s < plan.shards.length; s++) {
      const path = shardName(plan.name, s, plan.shards.length);
      const count = Math.ceil(plan.shards[s] / rowGroupRows);
      const shardBatches = {
        async *[Symbol.asyncIterator]() {
          for (let b = 0; b < count; b++) {
            const next = await batches.next();
            if (next.done) throw new Error(`publish: split ${plan.name} ended early`);
            yield next.value;
          }
        },
      };
      const written = await writeParquetFile(join(params.dir, path), shardBatches, {
        rowGroupRows,
        // Same bytes either way; one call is faster when the shard is small enough to hold.
        inMemory: plan.shardBytes[s] <= IN_MEMORY_SHARD_BYTES,
      });
      files.push({ path, ...written });
    }
  }

  if (params.csv) {
    mkdirSync(join(params.dir, 'csv'), { recursive: true });
    for (const plan of published) {
      const path = `csv/${plan.name}.csv`;
      await writeCsv(join(params.dir, path), plan.files, encoder);
      files.push({ path, ...(await describeFile(join(params.dir, path))) });
    }
  }

  for (const extra of extraFiles) {
    const target = join(params.dir, extra.path);
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(extra.source, target);
    files.push({ path: extra.path, ...(await describeFile(target)) });
  }

  const splits: CardSplitInfo[] = published.map((p) => ({
    name: p.name,
    numExamples: p.rows,
    numBytes: p.numBytes,
  }));
  const downloadSize = files
    .filter((f) => f.path.startsWith('data/'))
    .reduce((sum, f) => sum + f.bytes, 0);
  let cardInfo = card;
  if (params.recipe) {
    writeFileSync(join(params.dir, RECIPE_FILE), renderRecipe(params.recipe));
    const described = await describeFile(join(params.dir, RECIPE_FILE));
    files.push({ path: RECIPE_FILE, ...described });
    const { reproduce: command, inputs } = params.recipe;
    cardInfo = {
      ...card,
      recipe: { path: RECIPE_FILE, sha256: described.sha256, command, inputs },
    };
  }
  const readme = renderDatasetCard(cardInfo, {
    splits,
    downloadSize,
    categoryColumns: encoder.columns.slice(6),
  });
  writeFileSync(join(params.dir, 'README.md'), readme);
  files.push({ path: 'README.md', ...(await describeFile(join(params.dir, 'README.md'))) });
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, splits };
}

async function describeFile(path: string): Promise<{ bytes: number; sha256: string }> {
  return { bytes: statSync(path).size, sha256: await sha256File(path) };
}

async function writeCsv(path: string, inputs: string[], encoder: PublishedRowsEncoder) {
  const file = await open(path, 'w');
  try {
    let chunk = csvHeader(encoder.columns);
    for await (const { batch } of scanGeneratedRows(inputs)) {
      const rows = new RawGeneratedRows(batch);
      for (let i = 0; i < rows.length; i++) {
        chunk += csvLine(encoder.row(rows, i), encoder.columns);
        if (chunk.length > 1 << 20) {
          await file.write(chunk);
          chunk = '';
        }
      }
    }
    await file.write(chunk);
    await file.sync();
  } finally {
    await file.close();
  }
}
