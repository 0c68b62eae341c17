// The drift service's rule for re-sent predictions (issue 9), on the MemoryBus's log: a
// prediction carrying `dw-resent: T` is a duplicate when its partition holds, at a lower offset
// with Kafka timestamp ≥ T, a prediction with the same model and id. Unflagged predictions are
// never checked, the batch is searched before the log, and the answer needs no state.
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../../shared/bus/memory-bus.js';
import { RESENT_HEADER } from '../../../shared/bus/resent-header.js';
import type { Batch, BusMessage, LogReader, OutgoingMessage } from '../../../shared/bus/types.js';
import { Codec } from '../../../shared/codec/index.js';
import { silentLogger } from '../../../shared/log/logger.js';
import { findResentDuplicates, logReaderOf, ResentDuplicateFilter } from '../../../shared/pipeline/resent-duplicates.js';
import { decodeBatch, type DecodedMessage } from '../../../shared/runtime/decode.js';
import { toPredictionEvent } from '../../../shared/sdk/records.js';

const TOPIC = 'dw.predictions';
const T = Date.now() - 60_000;
const codec = new Codec();

interface Copy {
  id: string;
  model?: string;
  /** Kafka timestamp; default T. */
  at?: number;
  /** The `dw-resent` header's value; absent: an unflagged first copy. */
  resent?: string;
}

function message({ id, model = 'churn', at = T, resent }: Copy): OutgoingMessage {
  const encoded = codec.encode('prediction', toPredictionEvent({ id, model, modelVersion: '1', time: T, features: { x: 1 }, predictedClass: 'yes' }));
  return { key: id, value: encoded.value, headers: { ...encoded.headers, ...(resent === undefined ? {} : { [RESENT_HEADER]: resent }) }, timestamp: at };
}

/** A reader over a MemoryBus that counts its reads and the messages they handed over. */
class CountingReader {
  reads = 0;
  handed = 0;
  constructor(private readonly bus: MemoryBus) {}
  readonly reader: LogReader = {
    readFrom: (...args) => this.bus.readFrom(...args),
    readPartition: async (topic, partition, fromTime, endOffset, onMessages, options) => {
      this.reads += 1;
      return this.bus.readPartition(topic, partition, fromTime, endOffset, async (messages) => {
        this.handed += messages.length;
        await onMessages(messages);
      }, options);
    },
  };
}

/**
 * Publishes `before` then `batch` to one partition (`before` in chunks of `chunk`, the bus's
 * fetch size) and returns the batch as the drift service gets it: its decoded predictions.
 */
async function setUp(before: Copy[], batchCopies: Copy[], chunk = 500) {
  const bus = new MemoryBus({ maxBatchMessages: chunk });
  await bus.ensureTopics([{ topic: TOPIC, partitions: 1 }]);
  await bus.publish(TOPIC, [...before, ...batchCopies].map(message));
  const all: BusMessage[] = [];
  await bus.readPartition(TOPIC, 0, 0, Number.MAX_SAFE_INTEGER, (messages) => void all.push(...messages));
  const messages = all.slice(before.length);
  const batch: Batch = { topic: TOPIC, partition: 0, messages, lastOffset: messages.at(-1)!.offset };
  const items = decodeBatch(batch, 'prediction', codec).events;
  return { bus, batch, items, counting: new CountingReader(bus) };
}

const ids = (items: readonly DecodedMessage<'prediction'>[]) => items.map((item) => `${item.event.id}@${item.message.offset}`);
const flag = String(T);

describe('findResentDuplicates', () => {
  it('never checks an unflagged prediction, even one whose id came before', async () => {
    const { batch, items, counting } = await setUp([{ id: 'a' }], [{ id: 'a' }, { id: 'b' }, { id: 'b' }]);
    const check = await findResentDuplicates(batch, items, counting.reader, codec);
    expect(check.duplicates).toEqual([]);
    expect(check.readLog).toBe(false);
    expect(counting.reads).toBe(0);
  });

  it('finds the original earlier in the batch without reading the log', async () => {
    const { batch, items, counting } = await setUp([], [{ id: 'a' }, { id: 'b' }, { id: 'a', resent: flag }, { id: 'b', resent: flag }]);
    const check = await findResentDuplicates(batch, items, counting.reader, codec);
    expect(ids(check.duplicates)).toEqual(['a@2', 'b@3']);
    expect(counting.reads).toBe(0);
  });

  it('reads the partition below the batch for originals written in earlier batches', async () => {
    const { batch, items, counting } = await setUp(
      [{ id: 'older', at: T - 5_000 }, { id: 'a' }, { id: 'b' }, { id: 'c' }],
      [{ id: 'x' }, { id: 'a', resent: flag }, { id: 'b', resent: flag }],
    );
    const check = await findResentDuplicates(batch, items, counting.reader, codec);
    expect(ids(check.duplicates)).toEqual(['a@5', 'b@6']);
    expect(counting.reads).toBe(1);
    // From the first message stamped ≥ T: `older` is not handed over.
    expect(counting.handed).toBe(3);
  });

  it('counts a flagged copy whose original was never written, and only its first copy', async () => {
    const { batch, items, counting } = await setUp([{ id: 'a' }], [{ id: 'lost', resent: flag }, { id: 'x' }, { id: 'lost', resent: flag }]);
    const check = await findResentDuplicates(batch, items, counting.reader, codec);
    expect(ids(check.duplicates)).toEqual(['lost@3']);
    expect(counting.reads).toBe(1);
  });

  it('is no duplicate of another model\'s prediction, nor of one stamped before T (in the log or the batch), nor of one at a higher offset', async () => {
    const { batch, items, counting } = await setUp(
      [{ id: 'a', model: 'other' }, { id: 'b', at: T - 1 }],
      [{ id: 'a', resent: flag }, { id: 'b', resent: flag }, { id: 'c', resent: flag }, { id: 'c' }, { id: 'd', at: T - 1 }, { id: 'd', resent: flag }],
    );
    const check = await findResentDuplicates(batch, items, counting.reader, codec);
    expect(check.duplicates).toEqual([]);
    expect(counting.reads).toBe(1);
  });

  it('finds an original many fetches back and stops reading there', async () => {
    const filler = Array.from({ length: 300 }, (_, i): Copy => ({ id: `f${i}` }));
    const { batch, items, counting } = await setUp([{ id: 'a', at: T - 1 }, { id: 'a' }, ...filler], [{ id: 'a', resent: flag }], 10);
    const check = await findResentDuplicates(batch, items, counting.reader, codec);
    expect(ids(check.duplicates)).toEqual(['a@302']);
    expect(counting.handed).toBe(10);
  });

  it('counts a prediction with a malformed header as an original', async () => {
    const { batch, items, counting } = await setUp([{ id: 'a' }], [{ id: 'a', resent: 'yesterday' }, { id: 'a', resent: '-5' }]);
    const check = await findResentDuplicates(batch, items, counting.reader, codec);
    expect(check.duplicates).toEqual([]);
    expect(ids(check.malformed)).toEqual(['a@1', 'a@2']);
    expect(counting.reads).toBe(0);
  });

  it('needs no state: the same batch again, or on another reader, gets the same answer', async () => {
    const { bus, batch, items } = await setUp([{ id: 'a' }, { id: 'b' }], [{ id: 'a', resent: flag }, { id: 'n', resent: flag }, { id: 'b', resent: flag }]);
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(ids((await findResentDuplicates(batch, items, new CountingReader(bus).reader, codec)).duplicates));
    expect(answers).toEqual([['a@2', 'b@4'], ['a@2', 'b@4'], ['a@2', 'b@4']]);
  });

  it('without a LogReader, reports the flagged predictions it could not check', async () => {
    const { batch, items } = await setUp([{ id: 'a' }], [{ id: 'b' }, { id: 'b', resent: flag }, { id: 'a', resent: flag }]);
    const check = await findResentDuplicates(batch, items, null, codec);
    expect(ids(check.duplicates)).toEqual(['b@2']);
    expect(ids(check.unchecked)).toEqual(['a@3']);
    expect(logReaderOf({ publish: async () => {} })).toBeNull();
    expect(logReaderOf(new MemoryBus())).not.toBeNull();
  });
});

describe('ResentDuplicateFilter', () => {
  it('drops the duplicates and counts them by topic', async () => {
    const { bus, batch, items } = await setUp([{ id: 'a' }], [{ id: 'a', resent: flag }, { id: 'b' }, { id: 'b', resent: flag }, { id: 'c', resent: flag }]);
    const registry = new Registry();
    const counter = new Counter({ name: 'driftwatch_duplicates_total', help: 'test', labelNames: ['topic'] as const, registers: [registry] });
    const filter = new ResentDuplicateFilter({ reader: bus, codec, logger: silentLogger(), counter });
    expect(ids(await filter.filter(batch, items))).toEqual(['b@2', 'c@4']);
    expect((await counter.get()).values).toEqual([{ labels: { topic: TOPIC }, value: 2 }]);
    // A batch without flags is handed back as it is.
    const plain = items.filter((item) => item.message.headers[RESENT_HEADER] === undefined);
    expect(await filter.filter(batch, plain)).toBe(plain);
  });
});
