export * from './generated-rows.js';
export * from './generated-rows-scan.js';
