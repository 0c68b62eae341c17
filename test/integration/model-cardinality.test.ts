// Issue 9, bounded models, on real Kafka and Redis: 5,000 distinct model names (one prediction
// each) with maxModels 1,000. Both services admit the same 1,000 (one shared set), the other
// 4,000 are UNKNOWN_MODEL dead letters in each service and create no key; Redis holds at most
// KEYS_PER_MODEL keys per admitted model; and with a short idle expiry every key is gone after it.
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import { Codec } from '../../shared/codec/index.js';
import { parseMonitoringConfig } from '../../shared/config/monitoring-config.js';
import { loadRuntimeConfig } from '../../shared/config/runtime-config.js';
import { admittedModelsKey } from '../../shared/monitor-state/model-admission.js';
import { defaultGroupId, DRIFT_GROUP, PERFORMANCE_GROUP, startDriftService, startPerformanceService } from '../../shared/pipeline/services.js';
import type { ServiceHandle } from '../../shared/runtime/run-service.js';
import { DriftwatchClient } from '../../shared/sdk/index.js';
import { topicNames } from '../../shared/topics.js';
import { kafkaBrokerList, kafkaBrokers, redisUrl, uniqueName } from '../setup/env.js';
import { waitForGroupCaughtUp } from '../support/kafka-progress.js';
import { scanKeys } from '../support/redis-keys.js';

const MODELS = 5_000;
const MAX_MODELS = 1_000;
// Longer than the whole ingestion (~5–10 s here), so no admitted model expires before the counts are checked.
const IDLE_MS = 15_000;
/**
 * Keys of a model after one prediction: offsets, clock:perf, clock:drift, families:perf,
 * families:drift, pp:<id>, b:cov:1:<bucket>, refsample:1 (the drift reference being collected).
 */
const KEYS_PER_MODEL = 8;

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const fastConsumer = { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 300, rebalanceTimeoutMs: 10_000, maxWaitTimeMs: 100 };
const codec = new Codec();
const prefix = `${uniqueName('cardinality')}.`;
const topics = topicNames(prefix);
const modelPrefix = uniqueName('card');
// Short windows so that an idle expiry of seconds is allowed (≥ retention + 2 × label horizon = 6 s).
const monitoring = parseMonitoringConfig({
  maxModels: MAX_MODELS,
  idleExpiry: IDLE_MS,
  defaults: { bucketMs: '1s', horizons: ['2s'], evaluationHorizon: '2s', allowedLatenessMs: 0, labelHorizonMs: '1s' },
});

describe('5,000 model names with maxModels 1,000', () => {
  let bus: KafkaBus;
  let admin: Admin;
  let redis: Redis;
  const handles: ServiceHandle[] = [];
  const stops: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    bus = await KafkaBus.connect({ brokers: kafkaBrokerList(), logger, consumer: fastConsumer });
    stops.push(() => bus.close());
    admin = new Kafka({ brokers: kafkaBrokerList(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    stops.push(() => admin.disconnect());
    redis = new Redis(redisUrl());
    stops.push(async () => void redis.disconnect());
    const config = loadRuntimeConfig({
      DW_MODE: 'distributed', KAFKA_BROKERS: kafkaBrokers(), REDIS_URL: redisUrl(), DW_TOPIC_PREFIX: prefix, DW_TOPIC_PARTITIONS: '3', LOG_LEVEL: 'silent',
    });
    const options = { config, monitoring, logger, kafkaConsumer: fastConsumer, http: { port: 0, host: '127.0.0.1' } };
    handles.push(await startPerformanceService(options));
    stops.push(() => handles[0]!.stop());
    handles.push(await startDriftService(options));
    stops.push(() => handles[1]!.stop());
  });

  afterAll(async () => {
    const keys = await scanKeys(redis, `dw:{${modelPrefix}*`).catch(() => []);
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500)).catch(() => undefined);
    await redis.del(admittedModelsKey(prefix)).catch(() => undefined);
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  });

  it('admits 1,000, dead-letters 4,000 per service as UNKNOWN_MODEL, bounds the keys, and expires them when idle', { timeout: 90_000 }, async () => {
    const started = Date.now();
    const letters = new Map<string, number>();
    const lettered = new Map<string, Set<string>>();
    const dlqReader = await bus.subscribe({
      groupId: uniqueName('card-dlq'),
      topics: [topics.dlq],
      handler: async (batch) => {
        for (const m of batch.messages) {
          const letter = codec.decode('deadLetter', m.value, m.headers);
          const key = `${letter.service}|${letter.reason}`;
          letters.set(key, (letters.get(key) ?? 0) + 1);
          const set = lettered.get(letter.service) ?? new Set<string>();
          set.add(codec.decode('prediction', letter.value!, letter.headers).model);
          lettered.set(letter.service, set);
        }
      },
    });
    stops.push(() => dlqReader.stop());

    const client = new DriftwatchClient({ bus, topics, codec });
    const names = Array.from({ length: MODELS }, (_, i) => `${modelPrefix}-${i}`);
    for (let i = 0; i < MODELS; i += 1_000) {
      await client.logPredictions(
        names.slice(i, i + 1_000).map((model, j) => ({
          id: `p${i + j}`, model, modelVersion: '1', features: { x: (i + j) % 7, plan: 'pro' }, predictedClass: 'a', probabilities: { a: 0.7, b: 0.3 },
        })),
      );
    }
    const perfGroup = defaultGroupId(prefix, PERFORMANCE_GROUP);
    const driftGroup = defaultGroupId(prefix, DRIFT_GROUP);
    await waitForGroupCaughtUp(admin, perfGroup, [topics.predictions], 60_000);
    await waitForGroupCaughtUp(admin, driftGroup, [topics.predictions], 60_000);
    const deadline = Date.now() + 20_000;
    while ((letters.get('performance|UNKNOWN_MODEL') ?? 0) + (letters.get('drift|UNKNOWN_MODEL') ?? 0) < 2 * (MODELS - MAX_MODELS) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const caughtUp = Date.now() - started;

    const admitted = new Set(await redis.zrange(admittedModelsKey(prefix), 0, -1));
    expect(admitted.size).toBe(MAX_MODELS);
    expect(letters.get('performance|UNKNOWN_MODEL')).toBe(MODELS - MAX_MODELS);
    expect(letters.get('drift|UNKNOWN_MODEL')).toBe(MODELS - MAX_MODELS);
    // Both services refused exactly the models outside the one shared set.
    for (const service of ['performance', 'drift']) {
      const refused = lettered.get(service)!;
      expect(refused.size).toBe(MODELS - MAX_MODELS);
      for (const model of refused) expect(admitted.has(model)).toBe(false);
    }

    const keys = await scanKeys(redis, `dw:{${modelPrefix}*`);
    const withKeys = new Set(keys.map((k) => /^dw:\{([^}]*)\}/.exec(k)![1]!));
    expect([...withKeys].every((m) => admitted.has(m))).toBe(true);
    expect(keys.length).toBeLessThanOrEqual(KEYS_PER_MODEL * MAX_MODELS);
    let bytes = 0;
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.memory('USAGE', key);
    for (const [, used] of (await pipeline.exec()) ?? []) bytes += Number(used ?? 0);
    // -1: a key without expiry (none may exist); -2: one that expired since the scan (pp: keys live 1 s).
    const ttlPipeline = redis.pipeline();
    for (const key of keys) ttlPipeline.pttl(key);
    const ttls = ((await ttlPipeline.exec()) ?? []).map(([, ttl]) => Number(ttl));
    expect(keys.filter((_, i) => ttls[i] === -1)).toEqual([]);
    console.log(
      `[cardinality] ${MODELS} models, ${admitted.size} admitted; ${keys.length} keys (${(keys.length / admitted.size).toFixed(2)} per model), ` +
        `${(bytes / 1e6).toFixed(2)} MB by MEMORY USAGE (${Math.round(bytes / admitted.size)} B per model); caught up in ${caughtUp} ms`,
    );

    // Idle expiry: nothing arrives for IDLE_MS, then every key and the set's members are gone.
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS + 1_500));
    expect(await scanKeys(redis, `dw:{${modelPrefix}*`)).toEqual([]);
    expect(await redis.zcard(admittedModelsKey(prefix))).toBe(0);
  });
});
