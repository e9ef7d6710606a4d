// A local HTTP server that answers the Hugging Face Hub endpoints @huggingface/hub calls to
// create a dataset repo and commit files to it, and records every request. Enough of the
// Hub to exercise the real client: repo info and creation, commit listing, preupload (LFS
// for Parquet and large files, inline for the rest), the LFS batch API with "basic"
// transfers, the LFS PUT, and the NDJSON commit endpoint (additions and deletions); and for
// reading, the recursive tree listing and file downloads (`resolve`, with Range requests) at
// a branch or commit. Faults can be injected per request.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: string;
  /** Path and query, e.g. /api/datasets/me/x/commit/main. */
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  /** Request body as text (JSON, NDJSON); binary bodies are summarised as `<N bytes>`. */
  body: string;
}

export interface FakeCommit {
  id: string;
  title: string;
  message: string;
  /** Files this commit added: path → content. */
  files: Map<string, Buffer>;
  /** NDJSON keys per path: "file" (inline) or "lfsFile". */
  kinds: Map<string, string>;
  /** Paths this commit deleted. */
  deleted: string[];
}

export interface FakeRepo {
  name: string;
  type: string;
  visibility: string | undefined;
  commits: FakeCommit[];
}

export interface Fault {
  status: number;
  body?: unknown;
  /** Handle the request first, then answer with the fault (a lost response). */
  afterHandling?: boolean;
}

export interface FakeHub {
  url: string;
  calls: RecordedCall[];
  repos: Map<string, FakeRepo>;
  /** Set to inject a fault for matching requests. */
  fault: ((call: RecordedCall) => Fault | undefined) | undefined;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Starts the fake Hub on a free port. `token`: the only accepted bearer token. */
export async function startFakeHub(options: { token: string }): Promise<FakeHub> {
  const repos = new Map<string, FakeRepo>();
  const lfs = new Map<string, Buffer>();
  const calls: RecordedCall[] = [];
  let commitCounter = 0;
  const hub: FakeHub = {
    url: '',
    calls,
    repos,
    fault: undefined,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const newCommit = (title: string, message: string): FakeCommit => ({
    id: createHash('sha1').update(`commit ${++commitCounter}`).digest('hex'),
    title,
    message,
    files: new Map(),
    kinds: new Map(),
    deleted: [],
  });

  /** The repo's files at `revision` (main: the last commit; else a commit id), path → kind and content. */
  const treeAt = (repo: FakeRepo, revision: string) => {
    const end =
      revision === 'main'
        ? repo.commits.length
        : repo.commits.findIndex((c) => c.id === revision) + 1;
    if (end === 0) return undefined;
    const tree = new Map<string, { content: Buffer; kind: string }>();
    for (const c of repo.commits.slice(0, end)) {
      for (const path of c.deleted) tree.delete(path);
      for (const [path, content] of c.files) tree.set(path, { content, kind: c.kinds.get(path)! });
    }
    return tree;
  };
  const sha = (algorithm: string, data: Buffer) => createHash(algorithm).update(data).digest('hex');

  /** Reads: the tree listing and file downloads; a public repo needs no token. */
  const handleRead = (
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    authorised: boolean,
  ) => {
    const m =
      /^\/api\/datasets\/([^/]+\/[^/]+)\/tree\/([^/]+)(?:\/.*)?$/.exec(path) ??
      /^\/datasets\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (!m || req.method !== 'GET') return false;
    const repo = repos.get(m[1]);
    if (!repo || (!authorised && repo.visibility === 'private')) {
      send(res, 404, { error: 'Repository not found' });
      return true;
    }
    const tree = treeAt(repo, decodeURIComponent(m[2]));
    if (!tree) {
      send(res, 404, { error: `Invalid rev id: ${m[2]}` });
      return true;
    }
    if (path.startsWith('/api/')) {
      send(
        res,
        200,
        [...tree].map(([p, { content, kind }]) => ({
          type: 'file',
          path: p,
          size: content.length,
          oid: sha('sha1', content),
          ...(kind === 'lfsFile' && {
            lfs: { oid: sha('sha256', content), size: content.length, pointerSize: 130 },
          }),
        })),
      );
      return true;
    }
    const file = tree.get(decodeURIComponent(m[3]));
    if (!file) {
      res.writeHead(404, { 'X-Error-Code': 'EntryNotFound', 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: 'Entry not found' }));
      return true;
    }
    const { content } = file;
    const etag = `"${sha('sha256', content)}"`;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      const end = Math.min(range[2] ? Number(range[2]) : content.length - 1, content.length - 1);
      const part = content.subarray(start, end + 1);
      res.writeHead(206, {
        'Content-Range': `bytes ${start}-${end}/${content.length}`,
        'Content-Length': part.length,
        ETag: etag,
      });
      res.end(part);
      return true;
    }
    res.writeHead(200, { 'Content-Length': content.length, ETag: etag });
    res.end(content);
    return true;
  };

  const handle = async (
    req: IncomingMessage,
    res: ServerResponse,
    call: RecordedCall,
    raw: Buffer,
  ) => {
    const url = new URL(call.path, 'http://fake');
    const path = url.pathname;
    const authorised = call.authorization === `Bearer ${options.token}`;
    const at = (method: string, pattern: RegExp) =>
      req.method === method ? pattern.exec(path) : null;
    let m: RegExpExecArray | null = null;

    m = at('PUT', /^\/lfs-upload\/([0-9a-f]{64})$/);
    if (m) {
      const sha = createHash('sha256').update(raw).digest('hex');
      if (sha !== m[1]) return send(res, 400, { error: 'sha256 mismatch' });
      lfs.set(sha, raw);
      res.writeHead(200).end();
      return;
    }
    if (handleRead(req, res, path, authorised)) return;
    if (!authorised)
      return send(res, 401, { error: 'Invalid credentials in Authorization header' });

    if (req.method === 'POST' && path === '/api/repos/create') {
      const body = JSON.parse(raw.toString('utf8'));
      const name = `${body.organization}/${body.name}`;
      if (repos.has(name))
        return send(res, 409, {
          error: 'You already created this dataset repo',
          url: `${hub.url}/datasets/${name}`,
        });
      const repo: FakeRepo = { name, type: body.type, visibility: body.visibility, commits: [] };
      repo.commits.push(newCommit('initial commit', ''));
      repos.set(name, repo);
      return send(res, 200, { url: `${hub.url}/datasets/${name}`, name, id: name });
    }
    m = at('GET', /^\/api\/datasets\/([^/]+\/[^/]+)$/);
    if (m) {
      const repo = repos.get(m[1]);
      return repo
        ? send(res, 200, { id: repo.name, private: repo.visibility === 'private' })
        : send(res, 404, { error: 'Repository not found' });
    }
    m = at('GET', /^\/api\/datasets\/([^/]+\/[^/]+)\/commits\/main$/);
    if (m) {
      const repo = repos.get(m[1]);
      if (!repo) return send(res, 404, { error: 'Repository not found' });
      return send(
        res,
        200,
        [...repo.commits].reverse().map((c) => ({
          id: c.id,
          title: c.title,
          message: c.message,
          authors: [{ user: 'me', avatar: '' }],
          date: '2020-01-01T00:00:00.000Z',
        })),
      );
    }
    m = at('POST', /^\/api\/datasets\/([^/]+\/[^/]+)\/preupload\/main$/);
    if (m) {
      if (!repos.has(m[1])) return send(res, 404, { error: 'Repository not found' });
      const body = JSON.parse(raw.toString('utf8')) as { files: { path: string; size: number }[] };
      return send(res, 200, {
        files: body.files.map((f) => ({
          path: f.path,
          uploadMode: f.path.endsWith('.parquet') || f.size > 10 * 1024 * 1024 ? 'lfs' : 'regular',
        })),
      });
    }
    m = at('POST', /^\/datasets\/([^/]+\/[^/]+)\.git\/info\/lfs\/objects\/batch$/);
    if (m) {
      if (!repos.has(m[1])) return send(res, 404, { error: 'Repository not found' });
      const body = JSON.parse(raw.toString('utf8')) as { objects: { oid: string; size: number }[] };
      return send(res, 200, {
        transfer: 'basic',
        objects: body.objects.map((o) => ({
          oid: o.oid,
          size: o.size,
          ...(!lfs.has(o.oid) && {
            actions: { upload: { href: `${hub.url}/lfs-upload/${o.oid}` } },
          }),
        })),
      });
    }
    m = at('POST', /^\/api\/datasets\/([^/]+\/[^/]+)\/commit\/main$/);
    if (m) {
      const repo = repos.get(m[1]);
      if (!repo) return send(res, 404, { error: 'Repository not found' });
      const lines = raw
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
      const header = lines.find((l) => l.key === 'header');
      const commit = newCommit(header.value.summary, header.value.description ?? '');
      for (const line of lines) {
        if (line.key === 'file') {
          commit.files.set(line.value.path, Buffer.from(line.value.content, 'base64'));
          commit.kinds.set(line.value.path, 'file');
        } else if (line.key === 'lfsFile') {
          const content = lfs.get(line.value.oid);
          if (!content)
            return send(res, 422, { error: `LFS object ${line.value.oid} was not uploaded` });
          commit.files.set(line.value.path, content);
          commit.kinds.set(line.value.path, 'lfsFile');
        } else if (line.key === 'deletedFile') {
          commit.deleted.push(line.value.path);
        }
      }
      repo.commits.push(commit);
      return send(res, 200, {
        commitOid: commit.id,
        commitUrl: `${hub.url}/datasets/${repo.name}/commit/${commit.id}`,
        success: true,
      });
    }
    send(res, 404, { error: `fake hub: no route for ${req.method} ${path}` });
  };

  const server = createServer((req, res) => {
    readBody(req)
      .then(async (raw) => {
        const contentType = req.headers['content-type'];
        const textual = /json|ndjson/.test(contentType ?? '');
        const call: RecordedCall = {
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          authorization: req.headers.authorization,
          contentType,
          body: textual ? raw.toString('utf8') : raw.length > 0 ? `<${raw.length} bytes>` : '',
        };
        calls.push(call);
        const fault = hub.fault?.(call);
        if (fault && !fault.afterHandling)
          return send(res, fault.status, fault.body ?? { error: `injected ${fault.status}` });
        if (fault) {
          // Handle for real into a throwaway response, then answer with the fault.
          const sink = { writeHead: () => sink, end: () => undefined } as unknown as ServerResponse;
          await handle(req, sink, call, raw);
          return send(res, fault.status, fault.body ?? { error: `injected ${fault.status}` });
        }
        await handle(req, res, call, raw);
      })
      .catch((err) => send(res, 500, { error: String(err) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return hub;
}
