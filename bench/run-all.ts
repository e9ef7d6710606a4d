// Runs the benchmarks one after another (never in parallel: they would time each other).
//
//   npm run bench                 the quick ones (a few minutes in all)
//   npm run bench -- --all        also the slow ones (training: ~10 minutes; 10M latent rows:
//                                  a few minutes)
//   npm run bench -- pipeline     only the named ones
//
// Each prints its own table; numbers are ratios measured side by side within one script, so
// compare within a table, not across machines.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));

const QUICK = [
  'inference',
  'count-sampler',
  'generation',
  'dedupe-split-publish',
  'notebook-job',
  'pipeline',
  'metrics-baselines',
  'quality-report',
];
const SLOW = ['latent-scale', 'train-vs-imported'];

const args = process.argv.slice(2);
const all = args.includes('--all');
const named = args.filter((a) => !a.startsWith('--'));
const chosen = named.length ? named : all ? [...QUICK, ...SLOW] : QUICK;

const failed: string[] = [];
for (const name of chosen) {
  const file = join(BENCH_DIR, `${name}.ts`);
  if (!existsSync(file)) {
    console.error(`no benchmark ${name} (bench/${name}.ts)`);
    failed.push(name);
    continue;
  }
  console.log(`\n=== bench/${name}.ts`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit' });
  if (run.status !== 0) failed.push(name);
}
if (failed.length) {
  console.error(`\nfailed: ${failed.join(', ')}`);
  process.exit(1);
}
