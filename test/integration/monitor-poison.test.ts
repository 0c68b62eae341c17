// Issue 9's poison events on real Kafka and Redis: prediction time -5000, label time -1, model
// `evil{x}`, numeric feature 1e200, probability 1.15 and two predictions dated 2034, written
// raw with avsc (as a foreign producer would, bypassing the SDK's checks) among a few thousand
// valid events. Each is dead-lettered exactly once per service that reads it, as INVALID with
// its reason; every valid event is counted exactly; the watermark never sees 2034; /readyz
// answers 200 throughout (no crash, no restart loop).
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import type { OutgoingMessage } from '../../shared/bus/types.js';
import { Codec, CodecError, SCHEMA_HEADER } from '../../shared/codec/index.js';
import type { DeadLetter, EventMap, EventType, Label, Prediction, PredictionWithoutFeatures } from '../../shared/codec/index.js';
import { parseMonitoringConfig, resolveModelConfig } from '../../shared/config/monitoring-config.js';
import { loadRuntimeConfig } from '../../shared/config/runtime-config.js';
import { dqFamily } from '../../shared/monitor/feature-deltas.js';
import { covFamily } from '../../shared/monitor/performance.js';
import { RedisMonitorState } from '../../shared/monitor-state/redis-monitor-state.js';
import { defaultGroupId, DRIFT_GROUP, PERFORMANCE_GROUP, startDriftService, startPerformanceService } from '../../shared/pipeline/services.js';
import type { ServiceHandle } from '../../shared/runtime/run-service.js';
import { DriftwatchClient } from '../../shared/sdk/index.js';
import { toLabelEvent, toPredictionEvent } from '../../shared/sdk/records.js';
import { generateScenario, predictionTime } from '../../shared/sim/scenario.js';
import { topicNames } from '../../shared/topics.js';
import { kafkaBrokerList, kafkaBrokers, redisUrl, uniqueName } from '../setup/env.js';
import { waitForGroupCaughtUp } from '../support/kafka-progress.js';
import { FAST_CONSUMER, referenceOf } from '../support/monitor-fixtures.js';
import { until } from '../support/until.js';
import { httpGet, dlqTotals } from '../support/http-get.js';

const VALID = 10_000;
const PARTITIONS = 3;
const VERSION = '1';
const SERVICES = ['performance', 'drift'] as const;
const YEAR_2034 = Date.UTC(2034, 0, 1);

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const fastConsumer = FAST_CONSUMER;
const codec = new Codec();

const prefix = `${uniqueName('poison')}.`;
const topics = topicNames(prefix);
const model = uniqueName('poison-model');
const monitoring = parseMonitoringConfig({ models: { [model]: { task: 'binary', positiveLabel: 'yes' } } });
const settings = resolveModelConfig(monitoring, model);
const scenario = generateScenario({ model, modelVersion: VERSION, seed: 23, count: VALID, eventsPerSecond: 200 });

interface Poison {
  key: string;
  topic: 'predictions' | 'labels';
  says: RegExp;
  value: Buffer;
  headers: Record<string, Buffer>;
}

/** Written with avsc directly: the codec's (and so the SDK's) checks never see them. */
function poisons(): Poison[] {
  const base = toPredictionEvent(scenario.predictions[0]!) as Prediction;
  const prediction = (key: string, says: RegExp, changes: Partial<Prediction>): Poison => ({
    key, topic: 'predictions', says,
    value: codec.typeOf('prediction').toBuffer({ ...base, id: key, ...changes }),
    headers: { [SCHEMA_HEADER]: codec.typeOf('prediction').fingerprint('md5') },
  });
  const label = toLabelEvent(scenario.labels[0]!) as Label;
  return [
    prediction('poison-time', /eventTime -5000 is before 1970/, { eventTime: -5000 }),
    prediction('poison-model', /invalid model name "evil\{x\}"/, { model: 'evil{x}' }),
    prediction('poison-feature', /numeric feature "spend" 1e\+200 is beyond/, { numericFeatures: { ...base.numericFeatures, spend: 1e200 } }),
    prediction('poison-probability', /classProbabilities "yes" 1.15 is outside \[0, 1\]/, { classProbabilities: { yes: 1.15, no: 0 } }),
    prediction('poison-2034-a', /2034-01-01T00:00:00.000Z is more than 86400000 ms ahead/, { eventTime: YEAR_2034 }),
    prediction('poison-2034-b', /2034-01-01T00:00:01.000Z is more than 86400000 ms ahead/, { eventTime: YEAR_2034 + 1_000 }),
    {
      key: 'poison-label-time', topic: 'labels', says: /eventTime -1 is before 1970/,
      value: codec.typeOf('label').toBuffer({ ...label, predictionId: 'poison-label-time', eventTime: -1 }),
      headers: { [SCHEMA_HEADER]: codec.typeOf('label').fingerprint('md5') },
    },
  ];
}

describe('poison events of issue 9 among valid ones', () => {
  let bus: KafkaBus;
  let admin: Admin;
  let state: RedisMonitorState;
  let redis: Redis;
  const handles: Partial<Record<(typeof SERVICES)[number], ServiceHandle>> = {};
  const stops: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    bus = await KafkaBus.connect({ brokers: kafkaBrokerList(), logger, consumer: fastConsumer });
    stops.push(() => bus.close());
    admin = new Kafka({ brokers: kafkaBrokerList(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    stops.push(() => admin.disconnect());
    state = await RedisMonitorState.connect(redisUrl());
    stops.push(() => state.close());
    redis = new Redis(redisUrl());
    stops.push(async () => void redis.disconnect());
    await state.setReference(model, VERSION, referenceOf(codec, scenario.predictions.slice(0, 1_000), settings));

    const config = loadRuntimeConfig({
      DW_MODE: 'distributed',
      KAFKA_BROKERS: kafkaBrokers(),
      REDIS_URL: redisUrl(),
      DW_TOPIC_PREFIX: prefix,
      DW_TOPIC_PARTITIONS: String(PARTITIONS),
      LOG_LEVEL: 'silent',
    });
    // No codec passed: the services build theirs from the config (DW_MAX_EVENT_SKEW_MS default).
    const options = { config, monitoring, logger, kafkaConsumer: fastConsumer, http: { port: 0, host: '127.0.0.1' } };
    handles.performance = await startPerformanceService(options);
    stops.push(() => handles.performance!.stop());
    handles.drift = await startDriftService(options);
    stops.push(() => handles.drift!.stop());
  });

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  });

  it('dead-letters each poison event once as INVALID, counts every valid event, stays ready', { timeout: 90_000 }, async () => {
    const started = Date.now();
    // /readyz of both services, every 200 ms for the whole test.
    const notReady: string[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        for (const service of SERVICES) {
          const { status, body } = await httpGet(handles[service]!.port!, '/readyz').catch((e: Error) => ({ status: 0, body: e.message }));
          if (status !== 200) notReady.push(`${service} ${status} ${body}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();

    const letters = new Map<string, DeadLetter[]>();
    const dlqReader = await bus.subscribe({
      groupId: uniqueName('poison-dlq'),
      topics: [topics.dlq],
      handler: async (batch) => {
        for (const m of batch.messages) {
          const letter = codec.decode('deadLetter', m.value, m.headers);
          const key = `${letter.service}|${letter.key?.toString() ?? ''}`;
          letters.set(key, [...(letters.get(key) ?? []), letter]);
        }
      },
    });
    stops.push(() => dlqReader.stop());

    const bad = poisons();
    const client = new DriftwatchClient({ bus, topics, codec });
    // The poison events in the middle of the stream, so valid events sit before and after them on every partition.
    const valid = scenario.predictions.map((record): OutgoingMessage => ({ key: record.id, ...codec.encode('prediction', toPredictionEvent(record)) }));
    const half = VALID / 2;
    const raw = (topic: Poison['topic']): OutgoingMessage[] =>
      bad.filter((p) => p.topic === topic).map((p) => ({ key: p.key, value: p.value, headers: p.headers }));
    // Chunks of 2,000 keep each partition's record batch under Kafka's 1 MB limit.
    const publish = async (topic: string, messages: OutgoingMessage[]) => {
      for (let i = 0; i < messages.length; i += 2_000) await bus.publish(topic, messages.slice(i, i + 2_000));
    };
    await publish(topics.predictions, valid.slice(0, half));
    await publish(topics.predictions, raw('predictions'));
    await publish(topics.predictions, valid.slice(half));
    const labels = scenario.labels;
    const labelHalf = Math.floor(labels.length / 2);
    for (let i = 0; i < labelHalf; i += 2_000) await client.logLabels(labels.slice(i, Math.min(i + 2_000, labelHalf)));
    await bus.publish(topics.labels, raw('labels'));
    for (let i = labelHalf; i < labels.length; i += 2_000) await client.logLabels(labels.slice(i, i + 2_000));

    const groups = {
      performance: { id: defaultGroupId(prefix, PERFORMANCE_GROUP), topics: [topics.predictions, topics.labels] },
      drift: { id: defaultGroupId(prefix, DRIFT_GROUP), topics: [topics.predictions] },
    };
    for (const service of SERVICES) await waitForGroupCaughtUp(admin, groups[service].id, groups[service].topics, 60_000);
    const expectedLetters = bad.length + bad.filter((p) => p.topic === 'predictions').length;
    await until('every dead letter read back', async () => letters.size, (n) => n >= expectedLetters, 20_000);

    for (const poison of bad) {
      const readers = poison.topic === 'predictions' ? SERVICES : (['performance'] as const);
      for (const service of readers) {
        const found = letters.get(`${service}|${poison.key}`) ?? [];
        expect(found, `${service} dead letters of ${poison.key}`).toHaveLength(1);
        expect(found[0]!.reason).toBe('INVALID');
        expect(found[0]!.message).toMatch(poison.says);
        expect(Buffer.compare(found[0]!.value ?? Buffer.alloc(0), poison.value)).toBe(0);
      }
    }
    // Nothing else was dead-lettered (no valid event, no label left without its prediction).
    expect(letters.size).toBe(expectedLetters);

    const end = predictionTime(scenario.parameters, VALID) + settings.bucketMs;
    const cov = await state.readBuckets(model, covFamily(VERSION), scenario.parameters.startTime, end, settings.bucketMs);
    const dq = await state.readBuckets(model, dqFamily(VERSION), scenario.parameters.startTime, end, settings.bucketMs);
    expect({ predictions: cov.n, labelled: cov.l, drift: dq.n }).toEqual({ predictions: VALID, labelled: labels.length, drift: VALID });
    // The 2034 events never reached a watermark.
    for (const scope of ['perf', 'drift']) {
      const watermark = Number(await redis.hget(`dw:{${model}}:clock:${scope}`, 'watermark'));
      expect(watermark, scope).toBeLessThan(Date.now());
    }
    const poisonedPredictions = bad.filter((p) => p.topic === 'predictions').length;
    expect(dlqTotals((await httpGet(handles.performance!.port!, '/metrics')).body)).toEqual({ INVALID: poisonedPredictions + 1 });
    expect(dlqTotals((await httpGet(handles.drift!.port!, '/metrics')).body)).toEqual({ INVALID: poisonedPredictions });

    polling = false;
    await poller;
    expect(notReady).toEqual([]);
    console.info(`poison test: ${bad.length} poison events among ${VALID} predictions and ${labels.length} labels in ${Date.now() - started} ms`);
  });
});

/**
 * A codec that lets out-of-range probabilities through, standing in for a poison event no
 * validation rule knows yet: its apply fails (the confusion matrix's RangeError), and the
 * performance service must bisect the batch and dead-letter it alone as APPLY_FAILED. Both
 * decodes are lenient: the performance service reads predictions without their features.
 */
class LenientCodec extends Codec {
  override decode<K extends EventType>(expected: K, bytes: Buffer | null, headers: Record<string, Buffer | string | undefined>): EventMap[K] {
    return lenient(
      () => super.decode(expected, bytes, headers),
      () => this.typeOf(expected).fromBuffer(bytes!) as EventMap[K],
    );
  }

  override decodePredictionWithoutFeatures(bytes: Buffer | null, headers: Record<string, Buffer | string | undefined>): PredictionWithoutFeatures {
    return lenient(
      () => super.decodePredictionWithoutFeatures(bytes, headers),
      // With its features: a wider value than the view, never read by the service.
      () => this.typeOf('prediction').fromBuffer(bytes!) as Prediction,
    );
  }
}

/** decode(), or read() when decode refused only an out-of-range probability. */
function lenient<T>(decode: () => T, read: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof CodecError && error.reason === 'INVALID' && /classProbabilities/.test(error.message)) return read();
    throw error;
  }
}

describe('a poison event that passes validation but fails its apply', () => {
  const prefix2 = `${uniqueName('poison-apply')}.`;
  const topics2 = topicNames(prefix2);
  const model2 = uniqueName('poison-apply-model');
  const monitoring2 = parseMonitoringConfig({ models: { [model2]: { task: 'binary', positiveLabel: 'yes' } } });
  const scenario2 = generateScenario({ model: model2, modelVersion: VERSION, seed: 29, count: 2_000, eventsPerSecond: 200 });
  const stops: (() => Promise<void>)[] = [];
  let handle: ServiceHandle;
  let bus: KafkaBus;
  let admin: Admin;
  let state: RedisMonitorState;

  beforeAll(async () => {
    bus = await KafkaBus.connect({ brokers: kafkaBrokerList(), logger, consumer: fastConsumer });
    stops.push(() => bus.close());
    admin = new Kafka({ brokers: kafkaBrokerList(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    stops.push(() => admin.disconnect());
    state = await RedisMonitorState.connect(redisUrl());
    stops.push(() => state.close());
    const config = loadRuntimeConfig({
      DW_MODE: 'distributed', KAFKA_BROKERS: kafkaBrokers(), REDIS_URL: redisUrl(),
      DW_TOPIC_PREFIX: prefix2, DW_TOPIC_PARTITIONS: '1', LOG_LEVEL: 'silent',
    });
    handle = await startPerformanceService({ config, monitoring: monitoring2, codec: new LenientCodec(), logger, kafkaConsumer: fastConsumer, http: { port: 0, host: '127.0.0.1' } });
    stops.push(() => handle.stop());
  });

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  });

  it('bisects the batch: the one message is dead-lettered once as APPLY_FAILED, every other counted once', { timeout: 60_000 }, async () => {
    const letters: DeadLetter[] = [];
    const dlqReader = await bus.subscribe({
      groupId: uniqueName('poison-apply-dlq'),
      topics: [topics2.dlq],
      handler: async (batch) => void letters.push(...batch.messages.map((m) => codec.decode('deadLetter', m.value, m.headers))),
    });
    stops.push(() => dlqReader.stop());
    const records = scenario2.predictions;
    const base = toPredictionEvent(records[1_000]!) as Prediction;
    const poison = codec.typeOf('prediction').toBuffer({ ...base, id: 'poison-apply', classProbabilities: { yes: 1.15, no: 0 } });
    const messages: OutgoingMessage[] = records.map((r) => ({ key: r.id, ...codec.encode('prediction', toPredictionEvent(r)) }));
    // One partition and one publish: the poison lands inside one batch of valid predictions.
    messages.splice(1_000, 0, { key: 'poison-apply', value: poison, headers: { [SCHEMA_HEADER]: codec.typeOf('prediction').fingerprint('md5') } });
    await bus.publish(topics2.predictions, messages);
    await new DriftwatchClient({ bus, topics: topics2, codec }).logLabels(scenario2.labels);

    await waitForGroupCaughtUp(admin, defaultGroupId(prefix2, PERFORMANCE_GROUP), [topics2.predictions, topics2.labels], 45_000);
    await until('the dead letter read back', async () => letters.length, (n) => n >= 1, 15_000);
    expect(letters.map((l) => [l.key?.toString(), l.sourceTopic, l.partition, l.offset, l.reason])).toEqual([['poison-apply', topics2.predictions, 0, 1_000, 'APPLY_FAILED']]);
    expect(letters[0]!.message).toMatch(/^RangeError: probability of yes must be in \[0, 1\], got 1.15/);
    const end = predictionTime(scenario2.parameters, records.length) + 10_000;
    const cov = await state.readBuckets(model2, covFamily(VERSION), scenario2.parameters.startTime, end, 10_000);
    expect({ predictions: cov.n, labelled: cov.l }).toEqual({ predictions: records.length, labelled: scenario2.labels.length });
    expect((await httpGet(handle.port!, '/readyz')).status).toBe(200);
    expect(dlqTotals((await httpGet(handle.port!, '/metrics')).body)).toEqual({ APPLY_FAILED: 1 });
  });
});
