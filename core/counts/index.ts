export * from './correlation.js';
export * from './count-description.js';
export * from './count-fit.js';
export * from './count-model.js';
export * from './count-sampler.js';
export * from './notebook-counts.js';
