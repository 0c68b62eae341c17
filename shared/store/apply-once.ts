// Applies one Kafka batch's effect for one model exactly once, on top of the store's
// idempotent batch primitive.
//
// The primitive records, per (group, topic, partition), the last offset applied. A batch
// redelivered after a crash need not have the same boundaries as the first delivery: it
// may start at the committed offset but run further than the batch that was applied and
// not committed. So the script also gets the batch's first offset and refuses a batch
// that straddles the recorded offset; we then aggregate again only the messages after it.
// The common case stays one round trip per batch per model; the retry happens only after
// a crash.
import type { Batch, BusMessage } from '../bus/types.js';
import type { CounterDelta, StateStore } from './types.js';

export interface ApplyOnceTarget {
  model: string;
  group: string;
  batch: Batch;
  ttlSeconds?: number;
}

export interface ApplyOnceOutcome {
  /** Messages whose effect this call applied. */
  applied: number;
  /** Messages already applied by an earlier delivery. */
  skipped: number;
}

export async function applyOnce(
  store: StateStore,
  target: ApplyOnceTarget,
  aggregate: (messages: BusMessage[]) => CounterDelta[],
): Promise<ApplyOnceOutcome> {
  const { batch, model, group } = target;
  let messages = batch.messages;
  for (;;) {
    const first = messages[0];
    if (first === undefined) return { applied: 0, skipped: batch.messages.length };
    const result = await store.applyBatch({
      model,
      source: { group, topic: batch.topic, partition: batch.partition, firstOffset: first.offset, offset: batch.lastOffset },
      deltas: aggregate(messages),
      ...(target.ttlSeconds !== undefined ? { ttlSeconds: target.ttlSeconds } : {}),
    });
    if (result.applied) return { applied: messages.length, skipped: batch.messages.length - messages.length };
    const recorded = result.offset;
    const remaining = messages.filter((m) => m.offset > recorded);
    if (remaining.length === messages.length) {
      throw new Error(`store refused ${batch.topic}/${batch.partition} from ${first.offset} though it recorded ${recorded}`);
    }
    messages = remaining;
  }
}
