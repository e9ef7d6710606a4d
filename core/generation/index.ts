export * from './count-coupling.js';
export * from './generation.js';
export * from './inference.js';
export * from './selection.js';
export * from './topk-wasm.js';
export * from './wasm.js';
export * from './ziggurat-wasm.js';
