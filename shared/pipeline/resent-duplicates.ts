// Re-sent duplicates in the drift service (issue 9).
//
// When Kafka does not confirm a publish, the SDK sends the unconfirmed predictions again; one
// of them may already be in the topic (the write happened, its answer was lost), and the drift
// service, fenced by offset only, would count it twice. Every copy the SDK sends again carries
// `dw-resent: T` (T = the time of the call's first send, ms) and the Kafka timestamp T, like the
// first copy (shared/sdk/client.ts). The rule:
//
//   A prediction carrying `dw-resent: T` is a duplicate when its partition holds, at a lower
//   offset with Kafka timestamp ≥ T, a prediction with the same model and id.
//
// Why it is exact: every copy of a call's message has the same key (the prediction id, so the
// same partition) and the timestamp T, and the original is written before any re-send of it is
// sent (the SDK re-sends only after the bus gave up on it), so exactly the first copy in offset
// order is counted, whichever copies were written. A copy whose original was never written has
// no such predecessor and is counted. The rule reads only the log below the batch, which never
// changes, so it needs no state and gives the same answer after a crash, a redelivery or a
// rebalance.
//
// Cost: an unflagged prediction is never checked (one header look-up per message). A batch
// with flagged predictions first looks for their originals earlier in the batch; for the rest
// it reads its partition once, from the smallest T to the batch's first offset, stopping as
// soon as every one is found, and decodes only messages whose key is a flagged id (the SDK keys
// predictions by id). On Kafka a read joins a throwaway group (see KafkaBus.readPartition).
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { readResentMark, RESENT_HEADER } from '../bus/resent-header.js';
import type { Batch, BatchContext, BusMessage, LogReader } from '../bus/types.js';
import type { Codec } from '../codec/codec.js';
import { CodecError } from '../codec/errors.js';
import { RateLimitedLog } from '../log/rate-limited.js';

/** What the rule needs of a decoded prediction. */
export interface Candidate {
  message: BusMessage;
  event: { id: string; model: string };
}

export interface ResentCheck<T> {
  /** Items that are duplicates by the rule, in offset order. */
  duplicates: T[];
  /** Items with a `dw-resent` header that is not a time: counted as originals. */
  malformed: T[];
  /** Flagged items whose original was not in the batch and could not be looked for (no LogReader). */
  unchecked: T[];
  /** Whether the partition was read. */
  readLog: boolean;
}

/** Why the look-back read stopped early: every flagged prediction found its original. */
const ALL_FOUND = Symbol('all originals found');

/**
 * Applies the rule to a batch's decoded predictions (`items`, in offset order, all from `batch`).
 * `reader` null: a bus that cannot read its log; flagged predictions whose original is not in
 * the batch are then reported as unchecked (and counted by the caller).
 */
export async function findResentDuplicates<T extends Candidate>(
  batch: Batch,
  items: readonly T[],
  reader: LogReader | null,
  codec: Codec,
  ctx?: BatchContext,
): Promise<ResentCheck<T>> {
  const result: ResentCheck<T> = { duplicates: [], malformed: [], unchecked: [], readLog: false };
  // The hot path: a batch without flagged messages costs one header look-up per message.
  if (!items.some((item) => item.message.headers[RESENT_HEADER] !== undefined)) return result;

  const found = new Set<T>();
  // id → the copies seen so far in this batch (any earlier prediction may be the original).
  const earlier = new Map<string, { model: string; timestamp: number }[]>();
  const open: { item: T; since: number }[] = [];
  for (const item of items) {
    const mark = readResentMark(item.message.headers);
    const { id, model } = item.event;
    if (mark.kind === 'malformed') result.malformed.push(item);
    if (mark.kind === 'resent') {
      const copy = earlier.get(id)?.some((seen) => seen.model === model && seen.timestamp >= mark.since);
      if (copy) found.add(item);
      else open.push({ item, since: mark.since });
    }
    const copies = earlier.get(id);
    if (copies) copies.push({ model, timestamp: item.message.timestamp });
    else earlier.set(id, [{ model, timestamp: item.message.timestamp }]);
  }

  if (open.length > 0 && reader === null) result.unchecked.push(...open.map(({ item }) => item));
  if (open.length > 0 && reader !== null) {
    result.readLog = true;
    await lookBack(batch, open, reader, codec, found, ctx);
  }
  result.duplicates = items.filter((item) => found.has(item));
  return result;
}

/** Reads the partition below the batch for the originals of `open`, adding the items found to `found`. */
async function lookBack<T extends Candidate>(
  batch: Batch,
  open: { item: T; since: number }[],
  reader: LogReader,
  codec: Codec,
  found: Set<T>,
  ctx: BatchContext | undefined,
): Promise<void> {
  const byId = new Map<string, { item: T; since: number }[]>();
  for (const entry of open) {
    const list = byId.get(entry.item.event.id);
    if (list) list.push(entry);
    else byId.set(entry.item.event.id, [entry]);
  }
  let missing = open.length;
  const from = Math.min(...open.map(({ since }) => since));
  const stop = new AbortController();
  try {
    await reader.readPartition(
      batch.topic,
      batch.partition,
      from,
      batch.messages[0]!.offset,
      async (messages) => {
        for (const message of messages) {
          const waiting = message.key === null ? undefined : byId.get(message.key.toString('utf8'));
          if (waiting === undefined) continue;
          // Decoded only when its key is a flagged id, and once.
          let model: string | null | undefined;
          for (const entry of waiting) {
            if (found.has(entry.item) || message.timestamp < entry.since) continue;
            model ??= modelOf(codec, message);
            if (model === entry.item.event.model) {
              found.add(entry.item);
              missing -= 1;
            }
          }
        }
        if (missing === 0) stop.abort(ALL_FOUND);
        // A long look-back must not cost the batch's consumer its group membership.
        else await ctx?.heartbeat();
      },
      { signal: stop.signal },
    );
  } catch (error) {
    if (stop.signal.reason !== ALL_FOUND) throw error;
  }
}

/** The model of a prediction in the log, or null when the message is not a valid prediction. */
function modelOf(codec: Codec, message: BusMessage): string | null {
  try {
    return codec.decode('prediction', message.value, message.headers).model;
  } catch (error) {
    if (error instanceof CodecError) return null;
    throw error;
  }
}

export interface ResentDuplicateFilterOptions {
  /** The service's bus when it is a LogReader (KafkaBus, MemoryBus), else null. */
  reader: LogReader | null;
  codec: Codec;
  logger: Logger;
  /** `driftwatch_duplicates_total{topic}`. */
  counter: Counter<'topic'>;
}

/** The rule as the drift pipeline uses it: drops the duplicates of a batch, counts and logs them. */
export class ResentDuplicateFilter {
  private readonly log: RateLimitedLog;

  constructor(private readonly options: ResentDuplicateFilterOptions) {
    this.log = new RateLimitedLog(options.logger);
  }

  /** `items` without the re-sent duplicates (not dead letters: they are not bad input). */
  async filter<T extends Candidate>(batch: Batch, items: T[], ctx?: BatchContext): Promise<T[]> {
    const { reader, codec, counter } = this.options;
    const check = await findResentDuplicates(batch, items, reader, codec, ctx);
    const where = { topic: batch.topic, partition: batch.partition };
    if (check.malformed.length > 0) {
      this.log.warn(
        { ...where, offsets: check.malformed.slice(0, 10).map((item) => item.message.offset) },
        `predictions with a malformed ${RESENT_HEADER} header, counted as originals`,
      );
    }
    if (check.unchecked.length > 0) {
      this.log.warn(
        { ...where, predictions: check.unchecked.length },
        're-sent predictions counted without the duplicate check: the bus cannot read its log',
      );
    }
    if (check.duplicates.length === 0) return items;
    counter.inc({ topic: batch.topic }, check.duplicates.length);
    this.log.info(
      { ...where, duplicates: check.duplicates.length, ids: check.duplicates.slice(0, 10).map((item) => item.event.id) },
      're-sent duplicate predictions dropped',
    );
    const duplicates = new Set(check.duplicates);
    return items.filter((item) => !duplicates.has(item));
  }
}

/** The bus as a LogReader when it is one. */
export function logReaderOf(bus: unknown): LogReader | null {
  return typeof (bus as Partial<LogReader> | null)?.readPartition === 'function' ? (bus as LogReader) : null;
}
