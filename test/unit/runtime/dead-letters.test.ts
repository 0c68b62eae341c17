import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { BusClosedError } from '../../../shared/bus/errors.js';
import { MemoryBus } from '../../../shared/bus/memory-bus.js';
import type { BusMessage, EventBus } from '../../../shared/bus/types.js';
import { Codec, CodecError, SCHEMA_HEADER } from '../../../shared/codec/index.js';
import { DeadLetterPublisher, deadLetter, deadLetterKey } from '../../../shared/runtime/dead-letters.js';
import { createServiceMetrics } from '../../../shared/runtime/metrics.js';

const codec = new Codec({ maxEventBytes: 2_048 });

function source(offset: number, value: Buffer | null, key: Buffer | null = Buffer.from(`k-${offset}`)): BusMessage {
  return {
    topic: 'dw.predictions',
    partition: 3,
    offset,
    key,
    value,
    headers: { [SCHEMA_HEADER]: Buffer.from('abcd', 'hex'), gone: undefined },
    timestamp: 1,
  };
}

function captureLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()));
      callback();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

describe('deadLetter', () => {
  it('records the source position, key, original bytes and headers, and survives an Avro round trip', () => {
    const original = source(42, Buffer.from([9, 8, 7]));
    const letter = deadLetter(original, 'MALFORMED', 'bad varint', 'drift', { now: () => 1_700_000_000_000 });
    expect(letter).toEqual({
      sourceTopic: 'dw.predictions',
      partition: 3,
      offset: 42,
      key: Buffer.from('k-42'),
      value: Buffer.from([9, 8, 7]),
      headers: { [SCHEMA_HEADER]: Buffer.from('abcd', 'hex') },
      reason: 'MALFORMED',
      message: 'bad varint',
      service: 'drift',
      time: 1_700_000_000_000,
    });
    const encoded = codec.encode('deadLetter', letter);
    expect(codec.decode('deadLetter', encoded.value, encoded.headers)).toEqual(letter);
  });

  it('works for a null value and a null key', () => {
    const letter = deadLetter(source(7, null, null), 'MALFORMED', 'empty payload', 'performance');
    expect(letter.value).toBeNull();
    expect(letter.key).toBeNull();
    const encoded = codec.encode('deadLetter', letter);
    expect(codec.decode('deadLetter', encoded.value, encoded.headers).value).toBeNull();
  });

  it('cuts an oversize value to the limit and says so, so its dead letter can still be published', () => {
    const value = Buffer.alloc(10_000, 5);
    const letter = deadLetter(source(1, value), 'OVERSIZE', 'too big', 'drift', { maxValueBytes: 1_000 });
    expect(letter.value).toEqual(value.subarray(0, 1_000));
    expect(letter.message).toContain('1000 of 10000 bytes');
  });

  it('keys a dead letter by its source position', () => {
    expect(deadLetterKey(source(11, null))).toBe('dw.predictions/3/11');
  });
});

describe('DeadLetterPublisher', () => {
  async function setup(bus: EventBus = new MemoryBus()) {
    await bus.ensureTopics([{ topic: 'dlq', partitions: 2 }]);
    const metrics = createServiceMetrics('drift', { processMetrics: false });
    const { lines, logger } = captureLogger();
    const publisher = new DeadLetterPublisher({ bus, codec, topic: 'dlq', service: 'drift', metrics, logger });
    return { bus, metrics, lines, publisher };
  }

  async function readAll(bus: EventBus, expected: number): Promise<BusMessage[]> {
    const seen: BusMessage[] = [];
    const subscription = await bus.subscribe({
      groupId: 'reader',
      topics: ['dlq'],
      handler: async (batch) => {
        seen.push(...batch.messages);
      },
    });
    for (let i = 0; i < 100 && seen.length < expected; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    await subscription.stop();
    return seen;
  }

  it('publishes each failure keyed by its position, counts by reason and logs one line per reason', async () => {
    const { bus, metrics, lines, publisher } = await setup();
    const failures = [
      { message: source(1, Buffer.from([1])), error: new CodecError('MALFORMED', 'one') },
      { message: source(2, Buffer.alloc(5_000, 2)), error: new CodecError('OVERSIZE', 'two') },
      { message: source(3, Buffer.from([3])), error: new CodecError('MALFORMED', 'three') },
      { message: source(4, null), error: { reason: 'UNKNOWN_PREDICTION', message: 'no prediction came' } },
    ];
    await publisher.publish(failures);

    const published = await readAll(bus, failures.length);
    const letters = published.map((m) => ({ key: m.key!.toString(), letter: codec.decode('deadLetter', m.value, m.headers) }));
    letters.sort((a, b) => a.letter.offset - b.letter.offset);
    expect(letters.map((l) => l.key)).toEqual([1, 2, 3, 4].map((o) => `dw.predictions/3/${o}`));
    expect(letters.map((l) => l.letter.reason)).toEqual(['MALFORMED', 'OVERSIZE', 'MALFORMED', 'UNKNOWN_PREDICTION']);
    // The oversize original is cut to half the codec limit so its dead letter fits.
    expect(letters[1]!.letter.value!.length).toBe(1_024);
    expect(letters[0]!.letter.value).toEqual(Buffer.from([1]));

    const counted = (await metrics.deadLetters.get()).values.map((v) => [v.labels.reason, v.value]);
    expect(Object.fromEntries(counted)).toEqual({ MALFORMED: 2, OVERSIZE: 1, UNKNOWN_PREDICTION: 1 });
    const logged = lines.filter((l) => l.msg === 'dead-lettered messages');
    expect(logged.map((l) => [l.reason, l.count])).toEqual([
      ['MALFORMED', 2],
      ['OVERSIZE', 1],
      ['UNKNOWN_PREDICTION', 1],
    ]);
  });

  it('retries until the DLQ accepts the messages (issue 9), logging each failure, and counts once', async () => {
    const flaky = new MemoryBus();
    const { metrics, lines, publisher } = await setup(flaky);
    const publish = flaky.publish.bind(flaky);
    let failures = 0;
    flaky.publish = async (topic, messages) => {
      if (failures < 2) {
        failures += 1;
        throw new Error('broker down');
      }
      return publish(topic, messages);
    };
    await publisher.publish([{ message: source(1, Buffer.from([1])), error: new CodecError('MALFORMED', 'x') }]);
    expect(failures).toBe(2);
    expect((await metrics.deadLetters.get()).values.map((v) => v.value)).toEqual([1]);
    expect(lines.filter((l) => String(l.msg).includes('retrying until Kafka accepts it'))).toHaveLength(2);
    expect(await readAll(flaky, 1)).toHaveLength(1);
  });

  it('fails, without counting, when the bus is closed', async () => {
    const { bus, metrics, publisher } = await setup();
    await bus.close();
    await expect(
      publisher.publish([{ message: source(1, Buffer.from([1])), error: new CodecError('MALFORMED', 'x') }]),
    ).rejects.toBeInstanceOf(BusClosedError);
    expect((await metrics.deadLetters.get()).values).toEqual([]);
  });
});
