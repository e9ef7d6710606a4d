#!/usr/bin/env node
// The `tagflow` command. tagflow runs its TypeScript sources directly through tsx, so a clone
// needs no build step; this launcher registers tsx's loader and hands over to cli/main.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv);
