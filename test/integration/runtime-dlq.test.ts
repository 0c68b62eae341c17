// A service built with runService on the real Kafka and Redis, fed valid predictions
// interleaved with every kind of malformed message: it stays up, every malformed message
// lands on the DLQ with its reason, original bytes and source position, and every valid
// prediction reaches the handler exactly once.
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import type { BusMessage, OutgoingMessage } from '../../shared/bus/types.js';
import { Codec } from '../../shared/codec/index.js';
import type { DeadLetter, PredictionInput } from '../../shared/codec/index.js';
import { loadRuntimeConfig } from '../../shared/config/runtime-config.js';
import { runService } from '../../shared/runtime/run-service.js';
import type { ServiceHandle } from '../../shared/runtime/run-service.js';
import { kafkaBrokerList, kafkaBrokers, redisUrl, uniqueName } from '../setup/env.js';
import { SAMPLE_EVENTS } from '../support/sample-events.js';
import { httpGet } from '../support/http-get.js';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const fastConsumer = { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 300, rebalanceTimeoutMs: 10_000, maxWaitTimeMs: 100 };
// Small enough that an oversize message still fits Kafka's 1 MB record limit.
const MAX_EVENT_BYTES = 16_384;
const codec = new Codec({ maxEventBytes: MAX_EVENT_BYTES });
const VALID = 1_000;
const PER_KIND = 20;

const predictionInput = (id: string): PredictionInput => ({ ...SAMPLE_EVENTS.prediction, id, model: 'runtime-dlq' });

interface Malformed {
  reason: string;
  make(i: number): Pick<OutgoingMessage, 'value' | 'headers'>;
}

const predictionHeaders = codec.encode('prediction', predictionInput('h')).headers;
const raw = codec.typeOf('prediction');

const MALFORMED_KINDS: Record<string, Malformed> = {
  randomBytes: { reason: 'MALFORMED', make: () => ({ value: randomBytes(40), headers: predictionHeaders }) },
  nullValue: { reason: 'MALFORMED', make: () => ({ value: null as unknown as Buffer, headers: predictionHeaders }) },
  labelOnPredictions: {
    reason: 'WRONG_SCHEMA',
    make: (i) => codec.encode('label', { ...SAMPLE_EVENTS.label, predictionId: `label-${i}` }),
  },
  nanFeature: {
    reason: 'NON_FINITE',
    make: (i) => ({
      value: raw.toBuffer({ ...predictionInput(`nan-${i}`), numericFeatures: { tenure: Number.NaN } }),
      headers: predictionHeaders,
    }),
  },
  oversize: {
    reason: 'OVERSIZE',
    make: (i) => ({
      value: raw.toBuffer({ ...predictionInput(`big-${i}`), segments: { blob: 'x'.repeat(MAX_EVENT_BYTES) } }),
      headers: predictionHeaders,
    }),
  },
  emptyModel: {
    reason: 'INVALID',
    make: (i) => ({ value: raw.toBuffer({ ...predictionInput(`nomodel-${i}`), model: '' }), headers: predictionHeaders }),
  },
  missingHeader: {
    reason: 'MISSING_SCHEMA_HEADER',
    make: (i) => ({ value: codec.encode('prediction', predictionInput(`nohdr-${i}`)).value, headers: {} }),
  },
};

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('runService dead letters on real Kafka and Redis', () => {
  const stops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
  });

  it('dead-letters every malformed message and hands each valid one to the handler exactly once', async () => {
    const prefix = `${uniqueName('rt-dlq')}.`;
    const config = loadRuntimeConfig({
      DW_MODE: 'distributed',
      KAFKA_BROKERS: kafkaBrokers(),
      REDIS_URL: redisUrl(),
      DW_TOPIC_PREFIX: prefix,
      DW_TOPIC_PARTITIONS: '3',
    });
    const seen = new Map<string, number>();
    const handle: ServiceHandle = await runService({
      name: 'dlq-test',
      config,
      codec,
      logger,
      kafkaConsumer: fastConsumer,
      http: { port: 0, host: '127.0.0.1' },
      subscriptions: (service) => [
        {
          groupId: uniqueName('rt-dlq-group'),
          topics: [service.topics.predictions],
          handler: async (batch) => {
            for (const { event } of await service.decodeOrDeadLetter(batch, 'prediction')) {
              seen.set(event.id, (seen.get(event.id) ?? 0) + 1);
            }
          },
        },
      ],
    });
    stops.push(() => handle.stop());
    const { topics } = handle.context;

    // Interleave: after every few valid predictions, one malformed message of the next kind.
    const expected = new Map<string, { reason: string; value: Buffer | null }>();
    const outgoing: OutgoingMessage[] = [];
    const kinds = Object.entries(MALFORMED_KINDS);
    const malformedTotal = kinds.length * PER_KIND;
    for (let v = 0, m = 0; v < VALID || m < malformedTotal; ) {
      if (v < VALID) {
        const id = `ok-${v++}`;
        outgoing.push({ key: id, ...codec.encode('prediction', predictionInput(id)) });
      }
      if (m < malformedTotal && (v % 7 === 0 || v >= VALID)) {
        const [kind, malformed] = kinds[m % kinds.length]!;
        const key = `bad-${kind}-${m++}`;
        const { value, headers } = malformed.make(m);
        outgoing.push({ key, value, ...(headers ? { headers } : {}) });
        expected.set(key, { reason: malformed.reason, value });
      }
    }
    expect(expected.size).toBe(malformedTotal);

    const producer = await KafkaBus.connect({ brokers: kafkaBrokerList(), logger, consumer: fastConsumer });
    stops.push(() => producer.close());
    for (let i = 0; i < outgoing.length; i += 250) await producer.publish(topics.predictions, outgoing.slice(i, i + 250));

    const letters = new Map<string, { key: string; letter: DeadLetter }>();
    const sources = new Map<string, BusMessage>();
    await producer.subscribe({
      groupId: uniqueName('rt-dlq-reader'),
      topics: [topics.dlq],
      handler: async (batch) => {
        for (const m of batch.messages) {
          const letter = codec.decode('deadLetter', m.value, m.headers);
          letters.set(letter.key!.toString(), { key: m.key!.toString(), letter });
        }
      },
    });
    await producer.subscribe({
      groupId: uniqueName('rt-dlq-source'),
      topics: [topics.predictions],
      handler: async (batch) => {
        for (const m of batch.messages) sources.set(m.key!.toString(), m);
      },
    });

    await until(() => seen.size === VALID && letters.size === malformedTotal && sources.size === outgoing.length, 'all messages');
    // A quiet moment in which a duplicate delivery would show up.
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect(seen.size).toBe(VALID);
    expect([...seen.values()].every((count) => count === 1)).toBe(true);

    expect([...letters.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [key, { key: dlqKey, letter }] of letters) {
      const want = expected.get(key)!;
      const source = sources.get(key)!;
      expect({ key, reason: letter.reason }).toEqual({ key, reason: want.reason });
      expect(letter.sourceTopic).toBe(topics.predictions);
      expect([letter.partition, letter.offset]).toEqual([source.partition, source.offset]);
      expect(dlqKey).toBe(`${topics.predictions}/${source.partition}/${source.offset}`);
      expect(letter.service).toBe('dlq-test');
      if (want.reason === 'OVERSIZE') {
        // Cut to half the event limit so the dead letter itself can be published.
        expect(letter.value).toEqual(want.value!.subarray(0, MAX_EVENT_BYTES / 2));
      } else {
        expect(letter.value ?? null).toEqual(want.value && want.value.length > 0 ? want.value : null);
      }
    }

    const metrics = await httpGet(handle.port!, '/metrics');
    const byReason = new Map<string, number>();
    for (const { reason } of expected.values()) byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
    for (const [reason, count] of byReason) {
      expect(metrics.body).toContain(`driftwatch_dlq_total{reason="${reason}",service="dlq-test"} ${count}`);
    }
    expect(metrics.body).toContain(
      `driftwatch_events_consumed_total{topic="${topics.predictions}",service="dlq-test"} ${outgoing.length}`,
    );

    // Everything was consumed: the lag from each batch's high watermark is down to zero.
    const lags = [...metrics.body.matchAll(/^driftwatch_consumer_lag\{topic="([^"]+)",partition="(\d)",service="dlq-test"\} (\S+)$/gm)];
    expect(lags.map(([, topic, partition, value]) => [topic, partition, value]).sort()).toEqual(
      ['0', '1', '2'].map((partition) => [topics.predictions, partition, '0']),
    );

    // Still up, and ready: Kafka and Redis answer their probes.
    const ready = await httpGet(handle.port!, '/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body).checks).toMatchObject({ kafka: { ok: true }, redis: { ok: true }, consuming: { ok: true } });

    // Losing Redis makes the service unready (not dead).
    const store = handle.context.store;
    if (store.mode !== 'distributed') throw new Error('expected a Redis store');
    store.redis.disconnect();
    const unready = await httpGet(handle.port!, '/readyz');
    expect(unready.status).toBe(503);
    expect(JSON.parse(unready.body).checks.redis.ok).toBe(false);
    expect((await httpGet(handle.port!, '/healthz')).status).toBe(200);
  });
});
