// SubscribeOptions.partitionsConcurrently, checked once for both buses: a bad value must fail
// at subscribe() with its name, not turn into kafkajs's silent default or a stalled MemoryBus.
import type { SubscribeOptions } from './types.js';

/** Most a subscription may ask for; more workers than partitions only idle. */
export const MAX_PARTITIONS_CONCURRENTLY = 1_000;

export function partitionsConcurrentlyOf(options: Pick<SubscribeOptions, 'partitionsConcurrently'>): number {
  const value = options.partitionsConcurrently ?? 1;
  if (!Number.isInteger(value) || value < 1 || value > MAX_PARTITIONS_CONCURRENTLY) {
    throw new RangeError(`partitionsConcurrently must be an integer from 1 to ${MAX_PARTITIONS_CONCURRENTLY}, got ${String(value)}`);
  }
  return value;
}
