export type * from './types.js';
export { KafkaBus } from './kafka-bus.js';
export type { KafkaBusOptions } from './kafka-bus.js';
export { MemoryBus } from './memory-bus.js';
export type { MemoryBusOptions } from './memory-bus.js';
export { partitionForKey, murmur2 } from './partitioner.js';
export { shutdownOnSignals } from './shutdown.js';
export type { Closeable, ShutdownOptions } from './shutdown.js';
export { BusClosedError, BusUnavailableError, HandlerError, TopicMismatchError, UnknownTopicError } from './errors.js';
