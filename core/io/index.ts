export * from './arrow-io.js';
export * from './artifact-store.js';
export * from './local-cache.js';
export * from './open-artifact-store.js';
export * from './parquet.js';
export * from './run-folders.js';
export * from './s3-artifact-store.js';
export * from './s3-bucket.js';
