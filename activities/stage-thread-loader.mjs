// Starts a stage thread (activities/stage-threads.ts): loads the thread's module, stage-thread,
// in this thread — the CLI bundle's build of it, or the TypeScript source through tsx (a
// worker run from the sources: `TAGFLOW_NO_BUILD=1`, tsx, vitest), since a thread does not
// inherit the main thread's loader.
//
// Plain JavaScript on purpose: it must load before any TypeScript loader is in place.
import { workerData } from 'node:worker_threads';

if (workerData.tsx) {
  const { register } = await import('tsx/esm/api');
  register();
}
// Messages the main thread posts meanwhile wait in the port until the module listens.
await import(workerData.entry);
