// Test fixture: starts a dev server, prints its pid, then waits to be killed.
import { startDevServer } from '../../infra/dev-server.js';

const server = await startDevServer({ dataDir: process.argv[2] });
process.stdout.write(`${JSON.stringify({ pid: server.pid, address: server.address })}\n`);
setInterval(() => {}, 1_000);
