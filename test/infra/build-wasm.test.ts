import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileWat, WASM_MODULES, wasmModuleSource } from '../../infra/build-wasm.js';

describe('build-wasm', () => {
  it.each(WASM_MODULES)(
    'the committed module is what $wat compiles to',
    async ({ wat, ts, name }) => {
      const bytes = await compileWat(wat);
      expect(WebAssembly.validate(bytes)).toBe(true);
      expect(readFileSync(ts, 'utf8')).toBe(wasmModuleSource(wat, name, bytes));
    },
  );
});
