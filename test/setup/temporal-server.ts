// Vitest global setup: one Temporal dev server for the whole test run, or the cluster named by
// TEMPORAL_ADDRESS when set. Tests read the address with `inject('temporalAddress')`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type DevServer, startDevServer } from '../../infra/dev-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalNamespace: string;
    /** Set when this run started its own server (tests that restart it need this). */
    temporalDevServerDir: string | null;
  }
}

let server: DevServer | undefined;
let dataDir: string | undefined;

export async function setup(project: TestProject) {
  if (process.env.TEMPORAL_ADDRESS) {
    project.provide('temporalAddress', process.env.TEMPORAL_ADDRESS);
    project.provide('temporalNamespace', process.env.TEMPORAL_NAMESPACE ?? 'default');
    project.provide('temporalDevServerDir', null);
    return;
  }
  dataDir = mkdtempSync(join(tmpdir(), 'tagflow-test-temporal-'));
  server = await startDevServer({ dataDir });
  project.provide('temporalAddress', server.address);
  project.provide('temporalNamespace', 'default');
  project.provide('temporalDevServerDir', dataDir);
}

export async function teardown() {
  await server?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}
