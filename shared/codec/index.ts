export { Codec, SCHEMA_HEADER, DEFAULT_MAX_EVENT_BYTES } from './codec.js';
export type { EncodedEvent, CodecOptions } from './codec.js';
export { CodecError } from './errors.js';
export type { CodecErrorReason } from './errors.js';
export { EVENT_TYPES } from './schema-files.js';
export type { EventType } from './schema-files.js';
export type * from './events.generated.js';
