// The hf://datasets/<owner>/<name> target: one commit on the Hugging Face Hub holding every
// file of the dataset, through @huggingface/hub.
//
// The repo ends up holding exactly the dataset's files where tagflow writes: a file of an
// earlier publish under data/ or csv/, or listed in the earlier marker, is deleted in the same
// commit (other files, e.g. ones added by hand, stay).
//
// Idempotent per run: the commit title carries "(tagflow run <run id>)", and before
// committing we look for a commit whose title or message has it, so a retried publish
// (say, after the commit landed but its response was lost) makes no second commit.
//
// The token comes from the publishing worker's own environment (HF_TOKEN) unless a caller
// passes one; it never travels through workflow input, results, heartbeats or logs, and is
// scrubbed from every error message. Errors: 401/403 (and a missing or malformed token) →
// HubAuthError, not retried; other 4xx except 408/409/429 → ValidationError; 5xx, 408, 409,
// 429 and network failures → a plain Error, which the workflow retries.
import { pathToFileURL } from 'node:url';
import {
  type CommitOperation,
  commit,
  createRepo,
  downloadFile,
  HubApiError,
  listCommits,
  listFiles,
  repoExists,
} from '@huggingface/hub';
import { HubAuthError, ValidationError } from '../errors.js';
import { DATASET_MARKER } from './publish-folder.js';

export const DEFAULT_HUB_URL = 'https://huggingface.co';

export interface HubOptions {
  /** Default: process.env.HF_TOKEN, read here on the worker. */
  accessToken?: string;
  /** Default: process.env.HF_ENDPOINT, else https://huggingface.co. */
  hubUrl?: string;
  fetch?: typeof fetch;
}

export interface HubCommitResult {
  oid: string;
  url?: string;
  /** True when an earlier attempt of this run had already committed. */
  alreadyPublished: boolean;
}

export interface PublishToHubParams extends HubOptions {
  /** `owner/name` of the dataset repo. */
  repo: string;
  runId: string;
  /** Files to commit: their path in the repo and where they are on disk. */
  files: { path: string; localPath: string }[];
  /** Create the repo private (only when it is created here; an existing repo keeps its visibility). */
  private?: boolean;
  /** Extra text for the commit message. */
  description?: string;
}

/** The marker a run's commit title carries; parenthesised so run "a" never matches run "ab". */
export function runMarker(runId: string): string {
  return `(tagflow run ${runId})`;
}

const REPO_PART = /^(?!.*(--|\.\.))[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$/;

/** Checks an `owner/name` dataset id against the Hub's naming rules. */
export function checkRepoId(repo: string): string {
  const parts = repo.split('/');
  if (parts.length !== 2 || !parts.every((p) => REPO_PART.test(p))) {
    throw new ValidationError(
      `"${repo}" is not a valid Hub dataset id: expected <owner>/<name>, each of letters, digits, "-", "_", "." (not first or last, no "--" or ".."), at most 96 characters`,
    );
  }
  return repo;
}

function resolveToken(given: string | undefined): string {
  const token = given ?? process.env.HF_TOKEN;
  if (!token) {
    throw new HubAuthError(
      'no Hugging Face token: set HF_TOKEN in the environment of the worker that publishes (a token with write access to the target namespace)',
    );
  }
  if (!token.startsWith('hf_')) {
    throw new HubAuthError(
      'HF_TOKEN does not look like a Hugging Face access token (it must start with "hf_")',
    );
  }
  return token;
}

/** Error message text with the token blanked out, whatever put it there. */
function scrub(text: string, token: string): string {
  return token ? text.split(token).join('***') : text;
}

function translateError(err: unknown, step: string, where: string, token: string): Error {
  if (err instanceof HubAuthError || err instanceof ValidationError) return err;
  // A network error's code is in its cause (fetch failed ← connect ECONNREFUSED 127.0.0.1:9).
  const cause = err instanceof Error ? (err.cause as Error | undefined)?.message : undefined;
  const message = err instanceof Error ? err.message : String(err);
  const detail = scrub(cause ? `${message} (${cause})` : message, token);
  if (err instanceof HubApiError) {
    const status = err.statusCode;
    if (status === 401 || status === 403) {
      return new HubAuthError(
        `Hugging Face Hub refused the credentials while ${step} ${where} (HTTP ${status}): ${detail}. ` +
          'Check that HF_TOKEN on the publishing worker is valid and has write access to this namespace.',
      );
    }
    if (status >= 400 && status < 500 && status !== 408 && status !== 409 && status !== 429) {
      return new ValidationError(
        `Hugging Face Hub rejected the request while ${step} ${where} (HTTP ${status}): ${detail}`,
      );
    }
    return new Error(
      `Hugging Face Hub error while ${step} ${where} (HTTP ${status}): ${detail}; the publish can be retried`,
    );
  }
  return new Error(
    `Hugging Face Hub unreachable while ${step} ${where}: ${detail}; the publish can be retried`,
  );
}

type RepoParams = Parameters<typeof listFiles>[0];

/** Files of an earlier publish that this one does not have: see the file comment. */
async function staleFiles(common: RepoParams, keep: Set<string>): Promise<string[]> {
  const present: string[] = [];
  for await (const entry of listFiles({ ...common, recursive: true })) {
    if (entry.type === 'file') present.push(entry.path);
  }
  let owned = new Set<string>();
  if (present.includes(DATASET_MARKER)) {
    const blob = await downloadFile({ ...common, path: DATASET_MARKER });
    try {
      const marker = JSON.parse((await blob?.text()) ?? '{}') as { files?: { path: string }[] };
      owned = new Set((marker.files ?? []).map((f) => f.path));
    } catch {
      // not a marker we can read: only data/ and csv/ count as ours
    }
  }
  return present.filter(
    (p) => !keep.has(p) && (p.startsWith('data/') || p.startsWith('csv/') || owned.has(p)),
  );
}

/** Commits `files` to the dataset repo `repo` once per run; see the file comment. */
export async function publishToHub(params: PublishToHubParams): Promise<HubCommitResult> {
  const repoName = checkRepoId(params.repo);
  const token = resolveToken(params.accessToken);
  const hubUrl = (params.hubUrl ?? process.env.HF_ENDPOINT ?? DEFAULT_HUB_URL).replace(/\/+$/, '');
  const repo = { type: 'dataset' as const, name: repoName };
  const common = { repo, hubUrl, accessToken: token, ...(params.fetch && { fetch: params.fetch }) };
  const where = `datasets/${repoName} at ${hubUrl}`;
  const marker = runMarker(params.runId);
  let step = 'checking whether the repo exists';
  try {
    if (!(await repoExists(common))) {
      step = 'creating the repo';
      try {
        await createRepo({
          ...common,
          ...(params.private !== undefined && {
            visibility: params.private ? ('private' as const) : ('public' as const),
          }),
        });
      } catch (err) {
        // Created meanwhile (another attempt, or it is only hidden from repoExists).
        if (!(err instanceof HubApiError && err.statusCode === 409)) throw err;
      }
    }

    step = 'looking for an earlier commit of this run';
    for await (const c of listCommits({ ...common, batchSize: 1000 })) {
      if (c.title?.includes(marker) || c.message?.includes(marker)) {
        return {
          oid: c.oid,
          url: `${hubUrl}/datasets/${repoName}/commit/${c.oid}`,
          alreadyPublished: true,
        };
      }
    }

    step = 'listing the files of an earlier publish';
    const stale = await staleFiles(common, new Set(params.files.map((f) => f.path)));

    step = 'uploading and committing the dataset';
    const operations: CommitOperation[] = [
      ...params.files.map((f) => ({
        operation: 'addOrUpdate' as const,
        path: f.path,
        content: pathToFileURL(f.localPath),
      })),
      ...stale.map((path) => ({ operation: 'delete' as const, path })),
    ];
    const result = await commit({
      ...common,
      title: `Publish dataset ${marker}`,
      description: [`Published by tagflow, run ${params.runId}.`, params.description]
        .filter(Boolean)
        .join('\n\n'),
      operations,
    });
    if (!result) throw new Error('the Hub returned no commit');
    return { oid: result.commit.oid, url: result.commit.url, alreadyPublished: false };
  } catch (err) {
    throw translateError(err, step, where, token);
  }
}
