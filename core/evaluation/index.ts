export * from './chart-specs.js';
export * from './concept-profile.js';
export * from './distinct-sets.js';
export * from './evaluation.js';
export * from './evaluation-markdown.js';
export * from './metrics.js';
export * from './published-dataset.js';
export * from './report-charts.js';
