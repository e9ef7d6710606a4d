// A real S3-compatible server for the tests: moto in server mode, installed by
// `node infra/bootstrap.mjs --python-checks` (which `npm test` runs first) into
// .tagflow/s3-server, started on 127.0.0.1 on a free port under infra/process-guard.mjs, so it
// never outlives the test process even when that is killed. Each test file starts its own.
//
// The environment it gives (`env`) is what a worker needs to reach it: the endpoint, a region
// and credentials moto accepts, and no instance-metadata lookups (the SDK would otherwise try
// the network for credentials).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { s3ServerCommand } from '../../infra/bootstrap.mjs';
import { freePort } from '../../infra/dev-server.js';
import { REPO_ROOT } from './pipeline.js';

export interface S3TestServer {
  endpoint: string;
  /** The variables that point the AWS SDK at this server. */
  env: Record<string, string>;
  /** The server's request log so far (one line per request: `"PUT /bucket/key HTTP/1.1" 200`). */
  log(): string;
  /** Creates a bucket with a fresh name (or `name`) and returns its name. */
  createBucket(name?: string): Promise<string>;
  stop(): Promise<void>;
}

/** Variables for any test process that talks to S3: never the real AWS, never the network. */
export function s3TestEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'tagflow-test',
    AWS_SECRET_ACCESS_KEY: 'tagflow-test-secret',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(REPO_ROOT, '.tagflow', 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(REPO_ROOT, '.tagflow', 'no-aws-credentials'),
  };
}

async function waitForServer(endpoint: string, child: ChildProcess, log: () => string) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`moto_server exited during start-up (code ${child.exitCode}):\n${log()}`);
    try {
      // Any answer will do: with auth on, moto fails an unsigned request, but it answers.
      await fetch(endpoint);
      return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto_server at ${endpoint} did not answer within 30 s:\n${log()}`);
}

/**
 * Starts moto on a free port. `auth`: the server checks credentials (none it knows are valid,
 * so every request is refused with InvalidAccessKeyId).
 */
export async function startS3Server(options: { auth?: boolean } = {}): Promise<S3TestServer> {
  const command = s3ServerCommand();
  if (!existsSync(command)) {
    throw new Error(
      `no S3 test server at ${command}: run \`node infra/bootstrap.mjs --python-checks\` (npm test does)`,
    );
  }
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [
      join(REPO_ROOT, 'infra', 'process-guard.mjs'),
      String(process.pid),
      command,
      '-H',
      '127.0.0.1',
      '-p',
      String(port),
    ],
    {
      env: { ...process.env, ...(options.auth && { INITIAL_NO_AUTH_ACTION_COUNT: '0' }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d).slice(-2_000_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  // SIGTERM to the guard, which passes it on (and escalates to SIGKILL itself): a SIGKILL
  // would end the guard alone and leave the server running.
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const last = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(last);
  };
  try {
    await waitForServer(endpoint, child, () => output.slice(-4000));
  } catch (err) {
    await stop();
    throw err;
  }
  const env = s3TestEnv(endpoint);
  return {
    endpoint,
    env,
    log: () => output,
    async createBucket(name = `tagflow-${randomUUID().slice(0, 12)}`) {
      const response = await fetch(`${endpoint}/${name}`, { method: 'PUT' });
      if (!response.ok) throw new Error(`cannot create bucket ${name}: ${await response.text()}`);
      return name;
    },
    stop,
  };
}

/**
 * A moto server for the calling file's tests, its variables set in this process (where the
 * tests' in-process workers read them) while the tests run.
 */
export function useS3Server(): { readonly server: S3TestServer } {
  let server: S3TestServer | undefined;
  const saved: Record<string, string | undefined> = {};
  beforeAll(async () => {
    server = await startS3Server();
    for (const [k, v] of Object.entries(server.env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  }, 60_000);
  afterAll(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await server?.stop();
  });
  return {
    get server() {
      if (!server) throw new Error('useS3Server: read it inside a test or hook');
      return server;
    },
  };
}
