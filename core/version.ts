import { readFileSync } from 'node:fs';

/** tagflow's version, from package.json (recorded in model packs and dataset cards). */
export const version: string = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
).version;
