export * from './classification.js';
export * from './probabilistic.js';
export * from './regression.js';
export * from './report.js';
