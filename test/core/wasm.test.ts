import { describe, expect, it } from 'vitest';
import { TOPK_WASM_BASE64 } from '../../core/topk-wasm.js';
import { instantiateWasm, reserveWasmMemory } from '../../core/wasm.js';

describe('instantiateWasm / reserveWasmMemory', () => {
  it('gives the exports and memory, and grows the memory to fit, whole pages at a time', () => {
    const { exports, memory } = instantiateWasm(TOPK_WASM_BASE64);
    expect(typeof exports.topk).toBe('function');
    const before = memory.buffer;
    expect(before.byteLength).toBe(65_536);
    expect(reserveWasmMemory(memory, 1000)).toBe(before); // fits: no growth, same buffer
    const grown = reserveWasmMemory(memory, 3 * 65_536 + 1);
    expect(grown.byteLength).toBe(4 * 65_536);
    expect(grown).toBe(memory.buffer);
    expect(before.byteLength).toBe(0); // the old buffer is detached
  });
});
