// Issue 9 for the retrainer, on the real Kafka and a redis-server of this test's own (FLUSHALL
// never touches the shared suite Redis):
// (a) every key the retrainer writes expires: after a retrain and a pending trigger, every key
//     in Redis has a TTL, the one the rule gives (the model's idle expiry; 30 days at least for
//     incidents), except the epoch, which must outlive everything;
// (b) Redis wiped while the retrainer runs: /readyz 503 with the reason, an error log saying
//     what to do, POST /retrain refused (503), an alert records nothing, no model event; after
//     the operator's recovery (clear the keys, restart) the next retrain's fencing token is
//     above the one already on the models topic although Redis's counter started over, and the
//     alert refused during the loss is handled then.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import { Codec, type AlertInput, type ModelEvent } from '../../shared/codec/index.js';
import { parseMonitoringConfig, parseDuration, type MonitoringConfig } from '../../shared/config/monitoring-config.js';
import { loadRuntimeConfig } from '../../shared/config/runtime-config.js';
import { LocalModelStore } from '../../shared/models/local-model-store.js';
import { startRetrainerService, type RetrainerHandle } from '../../shared/pipeline/retrainer-service.js';
import { incidentIndexKey, incidentKey, incidentModelsKey } from '../../shared/retrain/incident-store.js';
import { fenceKey, lastKey, MIN_INCIDENT_TTL_MS, pendingKey, pendingModelsKey } from '../../shared/retrain/retrain-keys.js';
import { EPOCH_KEY, RedisLostError } from '../../shared/runtime/redis-progress.js';
import { connectRedis, type RedisClient } from '../../shared/store/redis-connection.js';
import { topicNames, topicSpecs, type TopicNames } from '../../shared/topics.js';
import { kafkaBrokerList, kafkaBrokers, uniqueName } from '../setup/env.js';
import { startOwnRedis, type OwnRedis } from '../support/own-redis.js';
import { FAST_CONSUMER } from '../support/monitor-fixtures.js';
import { until } from '../support/until.js';

const codec = new Codec();
const fastConsumer = FAST_CONSUMER;
const IDLE_EXPIRY = '2d';

let bus: KafkaBus;
let own: OwnRedis;
let redis: RedisClient;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  bus = await KafkaBus.connect({ brokers: kafkaBrokerList(), logger: pino({ level: 'silent' }), clientId: 'retrainer-redis-loss-test' });
  own = await startOwnRedis();
  redis = await connectRedis(`redis://127.0.0.1:${own.port}`);
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await redis?.quit();
  await own?.stop();
  await bus?.close();
});

interface Running {
  handle: RetrainerHandle;
  /** Every log line so far (JSON). */
  logs: string[];
  url: string;
  /** Stops it; the cleanup then does not stop it again. */
  stop(): Promise<void>;
}

async function setup(name: string): Promise<{ prefix: string; topics: TopicNames; store: LocalModelStore }> {
  const prefix = `${uniqueName(name)}.`;
  const topics = topicNames(prefix);
  await bus.ensureTopics(topicSpecs(topics, 1));
  const storeDir = mkdtempSync(join(tmpdir(), 'dw-retrainer-loss-'));
  cleanups.push(() => rmSync(storeDir, { recursive: true, force: true }));
  return { prefix, topics, store: new LocalModelStore(storeDir) };
}

async function startRetrainer(s: { prefix: string; store: LocalModelStore }, monitoring: MonitoringConfig): Promise<Running> {
  const logs: string[] = [];
  const handle = await startRetrainerService({
    config: {
      ...loadRuntimeConfig({
        KAFKA_BROKERS: kafkaBrokers(),
        REDIS_URL: `redis://127.0.0.1:${own.port}`,
        DW_TOPIC_PREFIX: s.prefix,
        DW_TOPIC_PARTITIONS: '1',
        LOG_LEVEL: 'info',
      }),
      mode: 'distributed',
    },
    monitoring,
    models: s.store,
    tickMs: 100,
    http: { port: 0, host: '127.0.0.1' },
    logger: pino({ level: 'info' }, { write: (line: string) => void logs.push(line) }),
    kafkaConsumer: fastConsumer,
  });
  let stopped = false;
  cleanups.push(() => (stopped ? undefined : handle.stop()));
  const stop = async (): Promise<void> => {
    stopped = true;
    await handle.stop();
  };
  return { handle, logs, url: `http://127.0.0.1:${handle.port}`, stop };
}

async function modelEvents(topics: TopicNames, model: string): Promise<ModelEvent[]> {
  const events: ModelEvent[] = [];
  await bus.readFrom(topics.models, 0, (messages) => {
    for (const m of messages) {
      const event = codec.decode('model', m.value, m.headers);
      if (event.model === model) events.push(event);
    }
  });
  return events;
}

async function readyz(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: await response.text() };
}

async function postRetrain(url: string, model: string): Promise<{ status: number; body: { error?: string; status?: string } }> {
  const response = await fetch(`${url}/retrain/${model}`, { method: 'POST' });
  return { status: response.status, body: (await response.json()) as { error?: string; status?: string } };
}

function firingAlert(model: string): AlertInput {
  const now = Date.now();
  return {
    id: uniqueName('alert'), key: `${model}|0|CONCEPT_DRIFT|concept_drift|`, model, modelVersion: '0', kind: 'CONCEPT_DRIFT', status: 'FIRING',
    severity: 'WARNING', metric: 'concept_drift', feature: null, value: 1, threshold: 0.5, window: { start: now - 60_000, end: now, count: 500 },
    detector: 'adwin', message: 'concept drift', time: now, details: {},
  };
}

async function publishAlert(topics: TopicNames, alert: AlertInput): Promise<void> {
  await bus.publish(topics.alerts, [{ key: alert.key, ...codec.encode('alert', alert) }]);
}

async function allKeys(): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys.sort();
}

describe('retrainer: Redis keys expire', () => {
  it('(a) after a retrain and a pending trigger every key has the TTL its rule gives; only the epoch has none', { timeout: 90_000 }, async () => {
    const s = await setup('rl-ttl');
    const model = uniqueName('ttl-model');
    // A long debounce keeps the alert's trigger pending while the keys are read; no cooldown, so it is recorded.
    const running = await startRetrainer(s, parseMonitoringConfig({ idleExpiry: IDLE_EXPIRY, defaults: { retrain: { debounce: '1h', cooldown: '0s' } } }));
    expect((await postRetrain(running.url, model)).status).toBe(202);
    await until('the manual retrain REJECTED', () => running.handle.incidents.list(model), (l) => l[0]?.status === 'REJECTED');
    await publishAlert(s.topics, firingAlert(model));
    await until('the alert pending', () => redis.exists(pendingKey(model)), (n) => n === 1);

    const keys = await allKeys();
    const retrainKeys = [fenceKey(model), lastKey(model), pendingKey(model), pendingModelsKey(s.prefix)];
    const incidentId = (await running.handle.incidents.list(model))[0]!.id;
    const incidentKeys = [incidentKey(model, incidentId), incidentIndexKey(model), incidentModelsKey(s.prefix)];
    expect(keys).toEqual([...retrainKeys, ...incidentKeys, EPOCH_KEY].sort());
    const idleMs = parseDuration(IDLE_EXPIRY);
    for (const key of retrainKeys) {
      const left = await redis.pttl(key);
      expect(left, key).toBeGreaterThan(idleMs - 60_000);
      expect(left, key).toBeLessThanOrEqual(idleMs);
    }
    for (const key of incidentKeys) {
      const left = await redis.pttl(key);
      expect(left, key).toBeGreaterThan(MIN_INCIDENT_TTL_MS - 60_000);
      expect(left, key).toBeLessThanOrEqual(MIN_INCIDENT_TTL_MS);
    }
    // The epoch tells this Redis from one that lost its data: it must never expire.
    expect(await redis.pttl(EPOCH_KEY)).toBe(-1);
  });
});

describe('retrainer: Redis loss', () => {
  it('(b) FLUSHALL while it runs: not ready with the reason, retrains refused, nothing published; after recovery the token is above the old one', { timeout: 120_000 }, async () => {
    const s = await setup('rl-flush');
    const [model, refusedModel, alertedModel] = [uniqueName('before'), uniqueName('refused'), uniqueName('alerted')];
    const monitoring = parseMonitoringConfig({ defaults: { retrain: { debounce: '100ms' } } });
    let running = await startRetrainer(s, monitoring);

    // Before the loss: a retrain publishes its REJECTED with a fencing token.
    await until('ready', () => readyz(running.url), (r) => r.status === 200);
    expect((await postRetrain(running.url, model)).status).toBe(202);
    const [before] = await until('the first REJECTED', () => modelEvents(s.topics, model), (e) => e.length > 0);
    expect(before!.status).toBe('REJECTED');
    const firstToken = before!.fencingToken!;
    expect(firstToken).toBeGreaterThan(0);
    await until('the trigger cleared', () => redis.exists(pendingKey(model)), (n) => n === 0);

    await redis.flushall();

    const refused = await until('/readyz 503 naming the loss', () => readyz(running.url), (r) => r.status === 503 && r.body.includes('lost'));
    expect(JSON.parse(refused.body).checks.redisEpoch).toEqual({
      ok: false,
      error: 'Redis lost the retrain state: its epoch key vanished (restarted without persistence, or flushed)',
    });
    // Tombstoned: every monitor and every restart refuses too.
    expect(await redis.get(EPOCH_KEY)).toMatch(/^LOST .* detected by retrainer /);
    const errorLog = running.logs.map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => l.level >= 50 && l.msg.includes('Refusing to retrain'));
    expect(errorLog?.msg).toContain("delete driftwatch's keys");

    const posted = await postRetrain(running.url, refusedModel);
    expect(posted).toEqual({ status: 503, body: { error: expect.stringContaining('Redis lost the retrain state') } });
    expect(posted.body.error).toContain('the retrain was not requested');
    await expect(running.handle.retrain(refusedModel)).rejects.toThrow(RedisLostError);
    await publishAlert(s.topics, firingAlert(alertedModel));
    // Many ticks and alert polls: nothing may be recorded or published.
    await new Promise((r) => setTimeout(r, 3_000));
    for (const m of [refusedModel, alertedModel]) expect(await redis.exists(pendingKey(m)), m).toBe(0);
    expect(await modelEvents(s.topics, refusedModel)).toEqual([]);
    expect(await modelEvents(s.topics, alertedModel)).toEqual([]);
    expect(await modelEvents(s.topics, model)).toHaveLength(1);

    // The operator's recovery: stop, clear driftwatch's keys, start again.
    await running.stop();
    await redis.flushall();
    running = await startRetrainer(s, monitoring);
    await until('ready again', () => readyz(running.url), (r) => r.status === 200);
    expect((await postRetrain(running.url, model)).status).toBe(202);
    const after = await until('the second REJECTED', () => modelEvents(s.topics, model), (e) => e.length > 1);
    // Redis's counter started over at 1; the floor from the models topic lifts the token above the old one.
    expect(after[1]!.fencingToken).toBe(firstToken + 1);
    expect(Number(await redis.get(fenceKey(model)))).toBe(firstToken + 1);
    // The alert refused during the loss was not committed: the restarted retrainer handles it.
    const alerted = await until('the refused alert handled', () => modelEvents(s.topics, alertedModel), (e) => e.length > 0);
    expect(alerted[0]).toMatchObject({ status: 'REJECTED', trigger: { kind: 'ALERT' } });
  });
});
