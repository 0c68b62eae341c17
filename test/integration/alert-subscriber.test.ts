// AlertSubscriber on the real Kafka: filtering, skipping bad messages, backpressure over many
// batches without losing an alert, and at-least-once resumption of a shared group.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import { Codec, type Alert, type AlertInput } from '../../shared/codec/index.js';
import { AlertSubscriber } from '../../shared/sdk/index.js';
import { topicNames, type TopicNames } from '../../shared/topics.js';
import { kafkaBrokerList, uniqueName } from '../setup/env.js';
import { SAMPLE_EVENTS } from '../support/sample-events.js';
import { FAST_CONSUMER } from '../support/monitor-fixtures.js';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const fastConsumer = FAST_CONSUMER;
const codec = new Codec();

let bus: KafkaBus;
let topics: TopicNames;

const alert = (id: string, over: Partial<AlertInput> = {}): AlertInput => ({ ...SAMPLE_EVENTS.alert, id, key: `churn|3|DATA_DRIFT|psi|${id.length % 5}`, ...over });

const publish = (alerts: AlertInput[]) =>
  bus.publish(
    topics.alerts,
    alerts.map((a) => ({ key: a.key, ...codec.encode('alert', a) })),
  );

async function take(iterator: AsyncIterator<Alert>, count: number, timeoutMs = 60_000): Promise<Alert[]> {
  const out: Alert[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < count) {
    let timer: NodeJS.Timeout | undefined;
    const next = await Promise.race([
      iterator.next(),
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now()));
      }),
    ]);
    clearTimeout(timer);
    if (next === 'timeout') throw new Error(`only ${out.length} of ${count} alerts arrived`);
    if (next.done) break;
    out.push(next.value);
  }
  return out;
}

beforeAll(async () => {
  bus = await KafkaBus.connect({ brokers: kafkaBrokerList(), logger, clientId: 'alert-subscriber-test', consumer: fastConsumer });
  topics = topicNames(`${uniqueName('alert-sub')}.`);
  await bus.ensureTopics([{ topic: topics.alerts, partitions: 3 }]);
});

afterAll(async () => {
  await bus?.close();
});

describe('AlertSubscriber on Kafka', () => {
  it('delivers matching alerts, skips unreadable messages and filters the rest', async () => {
    const subscriber = new AlertSubscriber({
      bus,
      topics,
      logger,
      groupId: uniqueName('alert-sub-filter'),
      fromBeginning: true,
      filter: { model: 'churn', minSeverity: 'WARNING', status: 'FIRING' },
    });
    try {
      const good = codec.encode('alert', alert('f-ok-1'));
      await bus.publish(topics.alerts, [
        { key: 'bad', value: Buffer.from('not avro'), headers: good.headers },
        { key: 'bad', value: good.value, headers: {} },
      ]);
      await publish([
        alert('f-ok-1'),
        alert('f-info', { severity: 'INFO' }),
        alert('f-fraud', { model: 'fraud' }),
        alert('f-resolved', { status: 'RESOLVED' }),
        alert('f-ok-2', { severity: 'CRITICAL', kind: 'PERFORMANCE', metric: 'accuracy', feature: null }),
      ]);
      const iterator = subscriber[Symbol.asyncIterator]();
      const got = await take(iterator, 2);
      expect(got.map((a) => a.id).sort()).toEqual(['f-ok-1', 'f-ok-2']);
      expect(got.find((a) => a.id === 'f-ok-2')).toMatchObject({ kind: 'PERFORMANCE', severity: 'CRITICAL', window: SAMPLE_EVENTS.alert.window });
      // The bus moves past a batch once the app asks for more than it held; then the other
      // partitions' messages are seen too.
      const pending = iterator.next();
      await expect.poll(() => subscriber.stats, { timeout: 20_000 }).toEqual({ delivered: 2, filtered: 3, skipped: 2 });
      await subscriber.close();
      expect(await pending).toEqual({ done: true, value: undefined });
    } finally {
      await subscriber.close();
    }
  });

  it('sees only new alerts by default, and every alert through a small queue', async () => {
    const subscriber = new AlertSubscriber({ bus, topics, logger, maxQueued: 5 });
    try {
      await subscriber.start();
      // A member of a fresh group that starts at the end takes the end when it first fetches:
      // wait until it has an assignment by publishing a probe until it comes through.
      const iterator = subscriber[Symbol.asyncIterator]();
      const probe = take(iterator, 1, 30_000);
      const sending = setInterval(() => void publish([alert('probe', { key: 'probe' })]).catch(() => {}), 500);
      try {
        expect((await probe)[0]?.id).toBe('probe');
      } finally {
        clearInterval(sending);
      }
      const sent = Array.from({ length: 400 }, (_, i) => alert(`bp-${i}`, { key: `bp-key-${i % 11}` }));
      await publish(sent);
      const got: Alert[] = [];
      while (got.filter((a) => a.id.startsWith('bp-')).length < sent.length) {
        const [next] = await take(iterator, 1);
        got.push(next!);
        // A slow app: the subscriber must hold the bus back rather than pile up alerts.
        if (got.length % 100 === 0) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          expect((subscriber as unknown as { queue: unknown[] }).queue.length).toBeLessThanOrEqual(5);
        }
      }
      const ids = got.map((a) => a.id).filter((id) => id.startsWith('bp-'));
      expect(new Set(ids).size).toBe(sent.length);
      // The alerts of the first test were published before this subscriber started.
      expect(got.filter((a) => a.id.startsWith('f-'))).toEqual([]);
      // Order is kept per key (one partition).
      const ofKey = (list: { id: string; key: string }[]) => list.filter((a) => a.key === 'bp-key-4').map((a) => a.id);
      expect(ofKey(got)).toEqual(ofKey(sent));
    } finally {
      await subscriber.close();
    }
  });

  it('a shared group resumes from the batch the last member did not finish', async () => {
    const groupId = uniqueName('alert-sub-group');
    const resumeTopics = topicNames(`${uniqueName('alert-sub-resume')}.`);
    await bus.ensureTopics([{ topic: resumeTopics.alerts, partitions: 1 }]);
    const sent = ['r-1', 'r-2', 'r-3'].map((id) => alert(id, { key: 'resume' }));
    await bus.publish(
      resumeTopics.alerts,
      sent.map((a) => ({ key: a.key, ...codec.encode('alert', a) })),
    );

    const first = new AlertSubscriber({ bus, topics: resumeTopics, logger, groupId, fromBeginning: true });
    expect((await take(first[Symbol.asyncIterator](), 1)).map((a) => a.id)).toEqual(['r-1']);
    await first.close();

    const second = new AlertSubscriber({ bus, topics: resumeTopics, logger, groupId, fromBeginning: true });
    try {
      const iterator = second[Symbol.asyncIterator]();
      expect((await take(iterator, 3)).map((a) => a.id)).toEqual(['r-1', 'r-2', 'r-3']);
      const extra = take(iterator, 1, 2_000).catch((error: Error) => error);
      expect(await extra).toBeInstanceOf(Error);
    } finally {
      await second.close();
    }
  });
});
