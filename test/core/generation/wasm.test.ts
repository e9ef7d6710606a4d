import { describe, expect, it } from 'vitest';
import { reserveWasmMemory } from '../../../core/generation/batch-kernels.mjs';
import { wasmModules } from '../../../core/generation/wasm.js';

describe('wasmModules / reserveWasmMemory', () => {
  it('compiles each module once, with the exports the kernels call', () => {
    const modules = wasmModules();
    expect(wasmModules().topk).toBe(modules.topk);
    const exports = (module: WebAssembly.Module) =>
      WebAssembly.Module.exports(module).map((e) => e.name);
    expect(exports(modules.topk)).toEqual(expect.arrayContaining(['memory', 'topk']));
    expect(exports(modules.ziggurat)).toEqual(expect.arrayContaining(['memory', 'fillRows']));
  });

  it('grows a memory to fit, whole pages at a time', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const before = memory.buffer;
    expect(before.byteLength).toBe(65_536);
    expect(reserveWasmMemory(memory, 1000)).toBe(before); // fits: no growth, same buffer
    const grown = reserveWasmMemory(memory, 3 * 65_536 + 1);
    expect(grown.byteLength).toBe(4 * 65_536);
    expect(grown).toBe(memory.buffer);
    expect(before.byteLength).toBe(0); // the old buffer is detached
  });
});
