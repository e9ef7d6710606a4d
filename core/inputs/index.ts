export * from './catalogue.js';
export * from './tag-corpus.js';
export * from './tag-table-reader.js';
export * from './taxonomy.js';
