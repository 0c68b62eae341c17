// Issue 4's bad-input test: 10,000 malformed prediction messages of every kind interleaved
// with a valid scenario (predictions and labels) on real Kafka and Redis, consumed by both
// monitoring services. Both stay up; each dead-letters every malformed message it read,
// with the reason, source position and original bytes; every valid event is counted.
import { Kafka, logLevel } from 'kafkajs';
import type { Admin } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import type { OutgoingMessage } from '../../shared/bus/types.js';
import { Codec } from '../../shared/codec/index.js';
import type { DeadLetter } from '../../shared/codec/index.js';
import { parseMonitoringConfig, resolveModelConfig } from '../../shared/config/monitoring-config.js';
import { loadRuntimeConfig } from '../../shared/config/runtime-config.js';
import { dqFamily } from '../../shared/monitor/feature-deltas.js';
import { covFamily } from '../../shared/monitor/performance.js';
import { RedisMonitorState } from '../../shared/monitor-state/redis-monitor-state.js';
import { defaultGroupId, DRIFT_GROUP, PERFORMANCE_GROUP, startDriftService, startPerformanceService } from '../../shared/pipeline/services.js';
import type { ServiceHandle } from '../../shared/runtime/run-service.js';
import { DriftwatchClient } from '../../shared/sdk/index.js';
import { toPredictionEvent, type LabelRecord, type PredictionRecord } from '../../shared/sdk/records.js';
import { malformedMessages, MALFORMED_KINDS, type MalformedMessage } from '../../shared/sim/malformed.js';
import { generateScenario, predictionTime } from '../../shared/sim/scenario.js';
import { topicNames } from '../../shared/topics.js';
import { kafkaBrokerList, kafkaBrokers, redisUrl, uniqueName } from '../setup/env.js';
import { waitForGroupCaughtUp } from '../support/kafka-progress.js';
import { FAST_CONSUMER, referenceOf } from '../support/monitor-fixtures.js';
import { until } from '../support/until.js';
import { httpGet, dlqTotals } from '../support/http-get.js';

const MALFORMED = 10_000;
const VALID_PREDICTIONS = 10_000;
/** Valid predictions published after the malformed ones, to show the services still consume. */
const LATE_PREDICTIONS = 500;
const PARTITIONS = 3;
// Small enough that oversize messages stay far below Kafka's 1 MB record limit and the
// ~1,250 of them do not turn this into a bandwidth test.
const MAX_EVENT_BYTES = 16_384;
const VERSION = '1';
const SERVICES = ['performance', 'drift'] as const;

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const fastConsumer = FAST_CONSUMER;
const codec = new Codec({ maxEventBytes: MAX_EVENT_BYTES });

const prefix = `${uniqueName('bad-input')}.`;
const topics = topicNames(prefix);
const model = uniqueName('bad-input-model');
const monitoring = parseMonitoringConfig({ models: { [model]: { task: 'binary', positiveLabel: 'yes' } } });
const settings = resolveModelConfig(monitoring, model);
const scenario = generateScenario({ model, modelVersion: VERSION, seed: 11, count: VALID_PREDICTIONS + LATE_PREDICTIONS, eventsPerSecond: 200 });
const malformed = malformedMessages(12, MALFORMED, { model, maxEventBytes: MAX_EVENT_BYTES });

/** The scenario's first `count` predictions in delivery order with a malformed message after each, and the labels. */
function interleaved(count: number, bad: readonly MalformedMessage[]): { predictions: OutgoingMessage[]; labels: LabelRecord[] } {
  const predictions: OutgoingMessage[] = [];
  const wanted = new Set(scenario.predictions.slice(0, count).map((p) => p.id));
  let next = 0;
  for (const record of scenario.predictions.slice(0, count)) {
    predictions.push({ key: record.id, ...codec.encode('prediction', toPredictionEvent(record)) });
    const message = bad[next++];
    if (message) predictions.push({ key: message.key, value: message.value, headers: message.headers });
  }
  for (const message of bad.slice(next)) predictions.push({ key: message.key, value: message.value, headers: message.headers });
  return { predictions, labels: scenario.labels.filter((l) => wanted.has(l.predictionId)) };
}

/** The version's reference, set as the CLI upload would, so the drift service counts every prediction into windows from the first. */
function uploadedReference(records: readonly PredictionRecord[]): string {
  return referenceOf(codec, records, settings);
}

describe('monitoring services on bad input (10,000 malformed messages among valid ones)', () => {
  let bus: KafkaBus;
  let admin: Admin;
  let state: RedisMonitorState;
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
    await state.setReference(model, VERSION, uploadedReference(scenario.predictions.slice(0, 2_000)));

    const config = loadRuntimeConfig({
      DW_MODE: 'distributed',
      KAFKA_BROKERS: kafkaBrokers(),
      REDIS_URL: redisUrl(),
      DW_TOPIC_PREFIX: prefix,
      DW_TOPIC_PARTITIONS: String(PARTITIONS),
      LOG_LEVEL: 'silent',
    });
    const options = { config, monitoring, codec, logger, kafkaConsumer: fastConsumer, http: { port: 0, host: '127.0.0.1' } };
    handles.performance = await startPerformanceService(options);
    stops.push(() => handles.performance!.stop());
    handles.drift = await startDriftService(options);
    stops.push(() => handles.drift!.stop());
  });

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  });

  it('dead-letters every malformed message with its reason, position and bytes, and counts every valid event', { timeout: 120_000 }, async () => {
    const started = Date.now();
    expect(new Set(malformed.map((m) => m.kind))).toEqual(new Set(MALFORMED_KINDS));

    // Where each message landed, read back from the topic: the dead letters must name it.
    const positions = new Map<string, { partition: number; offset: number }>();
    const positionReader = await bus.subscribe({
      groupId: uniqueName('bad-input-positions'),
      topics: [topics.predictions],
      handler: async (batch) => {
        for (const m of batch.messages) positions.set(m.key!.toString(), { partition: m.partition, offset: m.offset });
      },
    });
    stops.push(() => positionReader.stop());
    const letters = new Map<string, DeadLetter[]>();
    const dlqReader = await bus.subscribe({
      groupId: uniqueName('bad-input-dlq'),
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

    const client = new DriftwatchClient({ bus, topics, codec });
    const { predictions, labels } = interleaved(VALID_PREDICTIONS, malformed);
    // Small publishes: a Kafka record batch (one per partition per call) must stay under the
    // broker's 1 MB limit, and one in seven messages here is 16 KiB.
    for (let i = 0; i < predictions.length; i += 200) await bus.publish(topics.predictions, predictions.slice(i, i + 200));
    for (let i = 0; i < labels.length; i += 2_000) await client.logLabels(labels.slice(i, i + 2_000));

    const groups = {
      performance: { id: defaultGroupId(prefix, PERFORMANCE_GROUP), topics: [topics.predictions, topics.labels] },
      drift: { id: defaultGroupId(prefix, DRIFT_GROUP), topics: [topics.predictions] },
    };
    for (const service of SERVICES) await waitForGroupCaughtUp(admin, groups[service].id, groups[service].topics, 60_000);
    await until('every dead letter read back', async () => letters.size, (n) => n >= 2 * MALFORMED, 30_000);

    // Per service: each malformed message once, as it was sent and where it was.
    for (const service of SERVICES) {
      for (const message of malformed) {
        const found = letters.get(`${service}|${message.key}`) ?? [];
        expect(found, `${service} dead letters of ${message.key} (${message.kind})`).toHaveLength(1);
        const letter = found[0]!;
        const position = positions.get(message.key);
        expect(position).toBeDefined();
        expect({ reason: letter.reason, topic: letter.sourceTopic, partition: letter.partition, offset: letter.offset }).toEqual({
          reason: message.reason,
          topic: topics.predictions,
          ...position,
        });
        // Oversize originals are cut to half the event limit so the dead letter itself fits.
        const original = message.kind === 'oversize' ? message.value.subarray(0, MAX_EVENT_BYTES / 2) : message.value;
        expect(Buffer.compare(letter.value ?? Buffer.alloc(0), original), `${service} bytes of ${message.key}`).toBe(0);
      }
    }
    expect(letters.size).toBe(2 * MALFORMED);

    const bucketsEnd = predictionTime(scenario.parameters, VALID_PREDICTIONS + LATE_PREDICTIONS) + settings.bucketMs;
    const counted = async (): Promise<{ predictions: number; labelled: number; drift: number }> => {
      const cov = await state.readBuckets(model, covFamily(VERSION), scenario.parameters.startTime, bucketsEnd, settings.bucketMs);
      const dq = await state.readBuckets(model, dqFamily(VERSION), scenario.parameters.startTime, bucketsEnd, settings.bucketMs);
      return { predictions: cov.n ?? 0, labelled: cov.l ?? 0, drift: dq.n ?? 0 };
    };
    expect(await counted()).toEqual({ predictions: VALID_PREDICTIONS, labelled: labels.length, drift: VALID_PREDICTIONS });

    const expectedByReason: Record<string, number> = {};
    for (const message of malformed) expectedByReason[message.reason] = (expectedByReason[message.reason] ?? 0) + 1;
    for (const service of SERVICES) {
      const handle = handles[service]!;
      const metrics = await httpGet(handle.port!, '/metrics');
      expect(metrics.status).toBe(200);
      expect(dlqTotals(metrics.body), `${service} /metrics`).toEqual(expectedByReason);
    }

    // Still up and consuming: later valid predictions are counted by both.
    const late = scenario.predictions.slice(VALID_PREDICTIONS);
    await client.logPredictions(late);
    await until('the late predictions counted', counted, (c) => c.predictions === VALID_PREDICTIONS + LATE_PREDICTIONS && c.drift === c.predictions, 30_000);
    for (const service of SERVICES) expect((await httpGet(handles[service]!.port!, '/readyz')).status).toBe(200);
    console.info(`bad-input test: ${MALFORMED} malformed + ${VALID_PREDICTIONS} predictions + ${labels.length} labels in ${Date.now() - started} ms`);
  });
});
