export { Codec, SCHEMA_HEADER, DEFAULT_MAX_EVENT_BYTES, PREDICTION_FEATURE_FIELDS } from './codec.js';
export type { EncodedEvent, CodecOptions, PredictionWithoutFeatures } from './codec.js';
export { FeatureCollection, compileFeatureReader } from './feature-reader.js';
export type { FeatureReader, FeatureSink } from './feature-reader.js';
export { CodecError } from './errors.js';
export type { CodecErrorReason } from './errors.js';
export { EVENT_TYPES } from './schema-files.js';
export type { EventType } from './schema-files.js';
export type * from './events.generated.js';
export {
  DEFAULT_MAX_EVENT_SKEW_MS,
  DEFAULT_VALIDATION_POLICY,
  MAX_ABS_NUMBER,
  latestEventTime,
  validationPolicy,
} from './validation-policy.js';
export type { ValidationPolicy } from './validation-policy.js';
