export type * from './types.js';
export { KafkaBus } from './kafka-bus.js';
export type { KafkaBusOptions } from './kafka-bus.js';
export { MemoryBus } from './memory-bus.js';
export type { MemoryBusOptions } from './memory-bus.js';
export { partitionForKey, murmur2 } from './partitioner.js';
export { shutdownOnSignals } from './shutdown.js';
export type { Closeable, ShutdownOptions } from './shutdown.js';
export {
  BusClosedError,
  BusUnavailableError,
  GroupOptionsMismatchError,
  HandlerError,
  PartitionCountMismatchError,
  PublishIncompleteError,
  TopicMismatchError,
  UnknownTopicError,
} from './errors.js';
export { publishUntilAccepted } from './publish-until-accepted.js';
export type { PublishRetryOptions } from './publish-until-accepted.js';
export { RESENT_HEADER, readResentMark } from './resent-header.js';
export type { ResentMark } from './resent-header.js';
