export * from './dataset-card.js';
export * from './dataset-rows.js';
export * from './dedupe.js';
export * from './publish-dataset.js';
export * from './publish-folder.js';
export * from './publish-hub.js';
export * from './split.js';
export * from './surrogate-id.js';
