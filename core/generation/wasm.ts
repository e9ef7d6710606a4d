// The WebAssembly modules of core/ (ziggurat.wat, topk.wat; built into *-wasm.ts by
// infra/build-wasm.ts), compiled once per process. Compiled modules can be sent to inference
// threads (core/generation/inference-pool.ts), which instantiate them for batch-kernels.mjs.
import { TOPK_WASM_BASE64 } from './topk-wasm.js';
import { ZIGGURAT_WASM_BASE64 } from './ziggurat-wasm.js';

let ziggurat: WebAssembly.Module | undefined;
let topk: WebAssembly.Module | undefined;

/** The compiled modules: ziggurat.wat (normals) and topk.wat (selection). */
export function wasmModules(): { ziggurat: WebAssembly.Module; topk: WebAssembly.Module } {
  ziggurat ??= new WebAssembly.Module(Buffer.from(ZIGGURAT_WASM_BASE64, 'base64'));
  topk ??= new WebAssembly.Module(Buffer.from(TOPK_WASM_BASE64, 'base64'));
  return { ziggurat, topk };
}
