#!/usr/bin/env node
// The `tagflow` command. tagflow's sources are TypeScript and a clone needs no build step:
// this launcher runs cli/main.ts from a bundle that infra/cli-build.mjs makes (once, and again
// whenever a source changes), so no TypeScript transform sits on a run's path, or through tsx
// (TAGFLOW_NO_BUILD=1, or when the bundle cannot be made). A run in embedded mode gets its dev
// server started first, so it boots while the command's modules load.
import { embeddedServerFor, loadCli } from '../infra/cli-build.mjs';

const early = embeddedServerFor(process.argv.slice(2));
const { main, devServer } = await loadCli({
  beforeMain: early ? (module) => module.prestartDevServer(early) : undefined,
});
if (process.env.TAGFLOW_TRACE)
  process.stderr.write(`[trace ${performance.now().toFixed(0).padStart(6)} ms] command loaded\n`);
process.exitCode = await main.main(process.argv);
await devServer?.stopUnclaimedDevServer();
