// Every workflow the workers serve (this module is the worker's `workflowsPath`).
export { healthCheck } from './health-check.js';
