// KafkaBus.publish's guard (issue 9) without a broker: a producer stub that answers like
// kafkajs 2.2.4 after a broker died mid-send (resolved, but no result for some partitions).
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConnectFailures } from '../../../shared/bus/connect-failure.js';
import { PublishIncompleteError } from '../../../shared/bus/errors.js';
import { KafkaBus } from '../../../shared/bus/kafka-bus.js';
import { partitionForKey } from '../../../shared/bus/partitioner.js';

const logger = pino({ level: 'silent' });
const PARTITIONS = 6;

interface Sent {
  partition: number;
  keys: string[];
}

/** A KafkaBus around stubs; `answer` decides each send's result for its one partition. */
function busWith(answer: (partition: number, call: number) => 'ok' | 'no-result' | 'throw'): { bus: KafkaBus; sent: Sent[] } {
  const sent: Sent[] = [];
  let calls = 0;
  const producer = {
    send: async ({ topic, messages }: { topic: string; messages: { partition: number; key: string }[] }) => {
      const partition = messages[0]!.partition;
      expect(messages.every((m) => m.partition === partition)).toBe(true);
      sent.push({ partition, keys: messages.map((m) => m.key) });
      const outcome = answer(partition, calls++);
      if (outcome === 'throw') throw Object.assign(new Error('Connection error'), { name: 'KafkaJSNumberOfRetriesExceeded' });
      return outcome === 'ok' ? [{ topicName: topic, partition, errorCode: 0, baseOffset: '0' }] : [];
    },
  };
  const admin = {
    listTopics: async () => ['t'],
    fetchTopicMetadata: async () => ({ topics: [{ name: 't', partitions: Array.from({ length: PARTITIONS }, (_, i) => ({ partitionId: i, leader: 1 })) }] }),
  };
  const Ctor = KafkaBus as unknown as new (...args: unknown[]) => KafkaBus;
  const bus = new Ctor({}, admin, producer, { brokers: ['x:1'], logger, publishAttempts: 3 }, logger, new ConnectFailures());
  return { bus, sent };
}

const keys = Array.from({ length: 60 }, (_, i) => `id-${i}`);
const messages = keys.map((key) => ({ key, value: Buffer.from(key) }));

describe('KafkaBus.publish guard', () => {
  it('routes each key where kafkajs would and sends each partition alone', async () => {
    const { bus, sent } = busWith(() => 'ok');
    await bus.publish('t', messages);
    for (const { partition, keys: sentKeys } of sent) {
      for (const key of sentKeys) expect(partitionForKey(key, PARTITIONS)).toBe(partition);
    }
    expect(sent.flatMap((s) => s.keys).sort()).toEqual([...keys].sort());
  });

  it('sends a partition again when the send resolved without its result, and resolves once confirmed', async () => {
    let missed = false;
    const { bus, sent } = busWith((partition) => {
      if (partition === 2 && !missed) {
        missed = true;
        return 'no-result';
      }
      return 'ok';
    });
    await bus.publish('t', messages);
    expect(sent.filter((s) => s.partition === 2)).toHaveLength(2);
    expect(sent.filter((s) => s.partition !== 2).every((s) => sent.filter((o) => o.partition === s.partition).length === 1)).toBe(true);
  });

  it('rejects with PublishIncompleteError naming the partitions and unconfirmed indices after its attempts', async () => {
    const { bus, sent } = busWith((partition) => (partition === 4 ? 'no-result' : partition === 1 ? 'throw' : 'ok'));
    const error = await bus.publish('t', messages).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PublishIncompleteError);
    const incomplete = error as PublishIncompleteError;
    expect(incomplete.partitions).toEqual([1, 4]);
    expect(incomplete.attempts).toBe(3);
    const expected = keys.map((k, i) => [k, i] as const).filter(([k]) => [1, 4].includes(partitionForKey(k, PARTITIONS))).map(([, i]) => i);
    expect(incomplete.unconfirmed).toEqual(expected);
    expect(sent.filter((s) => s.partition === 4)).toHaveLength(3);
    expect(incomplete.message).toMatch(/^publish to t: partitions 1, 4 not confirmed after 3 attempts/);
  }, 10_000);
});
