// Every workflow the workers serve (this module is the worker's `workflowsPath`).
export { generateDataset, generateTemperature } from './generate-dataset.js';
export { healthCheck } from './health-check.js';
export { scheduledRun } from './scheduled-run.js';
