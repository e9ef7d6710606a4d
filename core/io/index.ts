export * from './arrow-io.js';
export * from './artifact-store.js';
export * from './parquet.js';
export * from './run-folders.js';
