// Loading the WebAssembly modules of core/ (ziggurat.wat, topk.wat; built into *-wasm.ts by
// infra/build-wasm.ts) and sizing their memory for a call.

const PAGE = 65_536;

/** Instantiates a module from its base64 bytes; returns its exports and its memory. */
export function instantiateWasm(
  base64: string,
  imports: Record<string, Record<string, unknown>> = {},
): { exports: Record<string, unknown>; memory: WebAssembly.Memory } {
  const module = new WebAssembly.Module(Buffer.from(base64, 'base64'));
  const instance = new WebAssembly.Instance(module, imports);
  return { exports: instance.exports, memory: instance.exports.memory as WebAssembly.Memory };
}

/**
 * Grows `memory` until it holds at least `bytes`, and returns its buffer (growing detaches the
 * old one, so views must be made after this call).
 */
export function reserveWasmMemory(memory: WebAssembly.Memory, bytes: number): ArrayBuffer {
  if (bytes > memory.buffer.byteLength) {
    memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE));
  }
  return memory.buffer;
}
