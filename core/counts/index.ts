export * from './correlation.js';
export * from './count-model.js';
