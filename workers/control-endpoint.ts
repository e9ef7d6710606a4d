// The background server's control endpoint (`tagflow server`, workers/local-server.ts): HTTP
// on 127.0.0.1 at a port the kernel picks, one route — POST /run with a JSON request, answered
// with JSON lines while the request is handled. A bearer token, kept in server.json (readable
// by the project's owner only), keeps other local users out. What the requests and lines mean
// is the caller's (cli/local-run.ts); this file only carries them.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, request } from 'node:http';

export interface ControlAddress {
  port: number;
  token: string;
}

export interface ControlEndpoint extends ControlAddress {
  close(): Promise<void>;
}

/** Handles one request: `send` writes a line to the caller; `closed` fires if it goes away. */
export type ControlHandler = (
  body: unknown,
  send: (line: unknown) => void,
  closed: AbortSignal,
) => Promise<void>;

function authorized(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function startControlEndpoint(handle: ControlHandler): Promise<ControlEndpoint> {
  const token = randomBytes(24).toString('hex');
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/run') {
      res.writeHead(404).end();
      return;
    }
    if (!authorized(req.headers.authorization, token)) {
      res.writeHead(401).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.writeHead(400).end();
        return;
      }
      const closed = new AbortController();
      res.on('close', () => closed.abort());
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      const send = (line: unknown) => {
        if (!res.writableEnded && !res.destroyed) res.write(`${JSON.stringify(line)}\n`);
      };
      handle(body, send, closed.signal)
        .catch(() => undefined) // the handler sends its own failures
        .finally(() => res.end());
    });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolveListen());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no control port');
  return {
    port: address.port,
    token,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}

/**
 * Posts `body` to a control endpoint and hands each line it answers with to `onLine`;
 * resolves when the answer ends. `abort` ends the call early.
 */
export function callControlEndpoint(
  control: ControlAddress,
  body: unknown,
  onLine: (line: unknown) => void,
  abort?: AbortSignal,
): Promise<void> {
  return new Promise((resolveCall, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: control.port,
        method: 'POST',
        path: '/run',
        agent: false,
        signal: abort,
        headers: {
          authorization: `Bearer ${control.token}`,
          'content-type': 'application/json',
        },
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`the background server's control endpoint answered ${res.statusCode}`));
          return;
        }
        let pending = '';
        res.setEncoding('utf8');
        res.on('data', (text: string) => {
          pending += text;
          for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
            const line = pending.slice(0, nl);
            pending = pending.slice(nl + 1);
            if (line) onLine(JSON.parse(line));
          }
        });
        res.on('end', () => resolveCall());
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
