export * from './feature-fields.js';
export * from './reference-profile.js';
export * from './feature-deltas.js';
export * from './drift-report.js';
export * from './performance.js';
export * from './concept-drift.js';
export * from './evaluate-rules.js';
export * from './metrics-snapshot.js';
