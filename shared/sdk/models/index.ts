// driftwatch/models: follow a model's champion and predict with it (loads TensorFlow.js), plus
// the registry view and rollback. Kept out of the main entry so that importing 'driftwatch'
// never loads tfjs.
export { ModelWatcher, ModelNotReadyError } from './model-watcher.js';
export type { ModelWatcherEvents, ModelWatcherOptions, ModelVariantName, SwapFailure, WatchedPrediction } from './model-watcher.js';
export { readModelRegistry, publishRollback } from './model-registry.js';
export type { ModelRegistryView, ModelView, ModelVersionView, ReadRegistryOptions, RollbackOptions } from './model-registry.js';
export { ChampionTracker } from '../../models/champion-tracker.js';
export type { ChampionDecision } from '../../models/champion-tracker.js';
export { IntegrityError, ModelNotFoundError } from '../../models/model-store.js';
export type { ModelStore } from '../../models/model-store.js';
export { LocalModelStore, modelStoreFromEnv } from '../../models/local-model-store.js';
export type { FeatureRow } from '../../learning/feature-spec.js';
