// driftwatch's public API: what an upstream app, a service or a notebook imports.
export * from './codec/index.js';
export * from './bus/index.js';
export * from './store/index.js';
export * from './sdk/index.js';
export * from './topics.js';
export { loadRuntimeConfig, ConfigError } from './config/runtime-config.js';
export type { RuntimeConfig } from './config/runtime-config.js';
export { createLogger, silentLogger } from './log/logger.js';
export type { Logger } from './log/logger.js';
export * as stats from './stats/index.js';
