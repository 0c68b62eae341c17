// Issue 9, "Redis loss": the performance service (its own process) on a Redis of the test's
// own (never the shared one), 20,000 predictions with their labels.
// (a) Redis with the default persistence (AOF `appendfsync always`) killed with SIGKILL
//     mid-stream and restarted from its AOF: the service resumes, every count exact.
// (b) Redis wiped (FLUSHALL) mid-run: the service refuses loudly (/readyz 503 naming the loss,
//     an error log, the epoch tombstoned, nothing committed past the loss), and after the
//     operator's recovery (clear the keys, restart) it rebuilds from the Kafka log: exact counts.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import { parseMonitoringConfig, resolveModelConfig } from '../../shared/config/monitoring-config.js';
import { createLogger } from '../../shared/log/logger.js';
import { covFamily } from '../../shared/monitor/performance.js';
import { RedisMonitorState } from '../../shared/monitor-state/redis-monitor-state.js';
import { defaultGroupId, PERFORMANCE_GROUP } from '../../shared/pipeline/services.js';
import { EPOCH_KEY } from '../../shared/runtime/redis-progress.js';
import { DriftwatchClient } from '../../shared/sdk/index.js';
import type { LabelRecord, PredictionRecord } from '../../shared/sdk/records.js';
import { predictionTime, resolveScenarioOptions, scenarioDeliveries } from '../../shared/sim/scenario.js';
import { topicNames, topicSpecs } from '../../shared/topics.js';
import { kafkaBrokerList, kafkaBrokers, uniqueName } from '../setup/env.js';
import { waitForGroupCaughtUp } from '../support/kafka-progress.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';

const PREDICTIONS = 20_000;
const PARTITIONS = 3;
const VERSION = '1';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A redis-server of this test's own, AOF `always` as scripts/redis.sh starts it by default. */
class OwnRedis {
  child: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'dw-redis-loss-'));
  constructor(readonly port: number) {}
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    this.child = spawn(
      'redis-server',
      ['--bind', '127.0.0.1', '--port', String(this.port), '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.dir],
      { stdio: 'ignore' },
    );
    const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {});
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await probe.connect();
        if ((await probe.ping()) === 'PONG') break;
      } catch {
        if (Date.now() > deadline) throw new Error(`own redis-server on ${this.port} did not start`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    probe.disconnect();
  }
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  async remove(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, alive?: ServiceProcess): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value: T | undefined;
  for (;;) {
    try {
      value = await read();
      if (done(value)) return value;
    } catch {
      // Redis restarting: read again.
    }
    if (alive && alive.child.exitCode !== null) throw new Error(`the service exited while waiting for ${what}:\n${alive.output()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value ${JSON.stringify(value)}${alive ? `\n${alive.output()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('Redis loss under the performance service', () => {
  let bus: KafkaBus;
  let admin: Admin;
  const processes: ServiceProcess[] = [];
  const redises: OwnRedis[] = [];

  beforeAll(async () => {
    bus = await KafkaBus.connect({ brokers: kafkaBrokerList(), logger: createLogger('redis-loss-test', { level: 'warn' }) });
    admin = new Kafka({ brokers: kafkaBrokerList(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  });

  afterAll(async () => {
    for (const running of processes) await running.kill();
    for (const redis of redises) await redis.remove();
    await admin?.disconnect();
    await bus?.close();
  });

  async function setUp(kind: string) {
    const prefix = `${uniqueName(kind)}.`;
    const topics = topicNames(prefix);
    await bus.ensureTopics(topicSpecs(topics, PARTITIONS));
    const model = uniqueName(`${kind}-model`);
    const scenario = resolveScenarioOptions({ model, modelVersion: VERSION, seed: 9, count: PREDICTIONS, eventsPerSecond: 200, unlabelledShare: 0.1 });
    const monitoringJson = JSON.stringify({ models: { [model]: { task: 'binary', positiveLabel: 'yes' } } });
    const { bucketMs } = resolveModelConfig(parseMonitoringConfig(JSON.parse(monitoringJson)), model);
    const firstBucket = Math.floor(scenario.startTime / bucketMs) * bucketMs;
    const bucketsEnd = predictionTime(scenario, PREDICTIONS - 1) + bucketMs;
    const redis = new OwnRedis(await freePort());
    redises.push(redis);
    await redis.start();
    const state = await RedisMonitorState.connect(redis.url);
    const httpPort = await freePort();
    const env = {
      KAFKA_BROKERS: kafkaBrokers(),
      REDIS_URL: redis.url,
      DW_MODE: 'distributed',
      DW_TOPIC_PREFIX: prefix,
      DW_TOPIC_PARTITIONS: String(PARTITIONS),
      DW_MONITORING_CONFIG_JSON: monitoringJson,
      DW_HTTP_PORT: String(httpPort),
      LOG_LEVEL: 'warn',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
    };
    const start = (): ServiceProcess => {
      const running = startServiceProcess('performance', env);
      processes.push(running);
      return running;
    };
    const coverage = (): Promise<Record<string, number>> => state.readBuckets(model, covFamily(VERSION), firstBucket, bucketsEnd, bucketMs);
    const readyz = async (): Promise<{ status: number; body: string }> => {
      const response = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
      return { status: response.status, body: await response.text() };
    };
    const publish = async (): Promise<{ predictions: number; labels: number }> => {
      const client = new DriftwatchClient({ bus, topics });
      const predictions: PredictionRecord[] = [];
      const labels: LabelRecord[] = [];
      for (const delivery of scenarioDeliveries(scenario)) {
        if (delivery.kind === 'prediction') predictions.push(delivery.record);
        else labels.push(delivery.record);
      }
      // In slices, so the service is mid-stream when the test strikes.
      for (let i = 0; i < predictions.length; i += 2_000) {
        await client.logPredictions(predictions.slice(i, i + 2_000));
        await client.logLabels(labels.slice(Math.floor((i * labels.length) / predictions.length), Math.floor(((i + 2_000) * labels.length) / predictions.length)));
      }
      return { predictions: predictions.length, labels: labels.length };
    };
    const group = defaultGroupId(prefix, PERFORMANCE_GROUP);
    const caughtUp = (timeoutMs: number) => waitForGroupCaughtUp(admin, group, [topics.predictions, topics.labels], timeoutMs);
    return { redis, state, start, coverage, readyz, publish, caughtUp };
  }

  it('(a) Redis kill -9 mid-stream with AOF always, restarted: the service resumes with exact counts', { timeout: 90_000 }, async () => {
    const started = Date.now();
    const run = await setUp('rl-kill');
    try {
      const service = run.start();
      await until('the service ready', run.readyz, (r) => r.status === 200, 30_000, service);
      const publishing = run.publish();
      publishing.catch(() => undefined);
      const atKill = await until('30% counted', run.coverage, (c) => (c.n ?? 0) >= 0.3 * PREDICTIONS, 45_000, service);
      await run.redis.kill();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await run.redis.start();
      const produced = await publishing;
      await run.caughtUp(45_000);
      const final = await until('every prediction counted', run.coverage, (c) => (c.n ?? 0) >= produced.predictions, 10_000, service);
      expect(atKill.n).toBeLessThan(PREDICTIONS);
      expect(final.n).toBe(produced.predictions);
      expect(final.l).toBe(produced.labels);
      expect((await run.readyz()).status).toBe(200);
      expect(await service.stop()).toBe(0);
      console.info(`redis kill -9: killed at n=${atKill.n}; exact ${final.n} + ${final.l} after ${Date.now() - started} ms`);
    } finally {
      await run.state.close();
    }
  });

  it('(b) Redis wiped mid-run: the service refuses loudly, then rebuilds from the log with exact counts', { timeout: 120_000 }, async () => {
    const started = Date.now();
    const run = await setUp('rl-wipe');
    try {
      let service = run.start();
      await until('the service ready', run.readyz, (r) => r.status === 200, 30_000, service);
      const publishing = run.publish();
      publishing.catch(() => undefined);
      const atWipe = await until('30% counted', run.coverage, (c) => (c.n ?? 0) >= 0.3 * PREDICTIONS, 45_000, service);
      await run.state.client.flushall();
      const produced = await publishing;

      // Refusal: not ready with the reason, a tombstone every instance sees, an error log.
      const refused = await until('/readyz 503 naming the loss', run.readyz, (r) => r.status === 503 && r.body.includes('lost'), 30_000, service);
      expect(refused.body).toContain('redisProgress');
      expect(await run.state.client.get(EPOCH_KEY)).toMatch(/^LOST /);
      await until('the error log', async () => service.output(), (out) => out.includes('Refusing to consume'), 10_000, service);
      // Nothing counted silently after the loss: what Redis holds now is far from complete.
      const afterWipe = await run.coverage();
      expect(afterWipe.n ?? 0).toBeLessThan(produced.predictions);
      await service.stop();

      // A restart alone keeps refusing: the tombstone outlives the process.
      service = run.start();
      await until('/readyz 503 after a restart', run.readyz, (r) => r.status === 503 && r.body.includes('lost'), 30_000, service);
      await service.stop();

      // The operator's recovery: clear driftwatch's keys, start again; the log is read from its start.
      await run.state.client.flushall();
      service = run.start();
      await run.caughtUp(60_000);
      const final = await until('every prediction counted again', run.coverage, (c) => (c.n ?? 0) >= produced.predictions, 15_000, service);
      expect(final.n).toBe(produced.predictions);
      expect(final.l).toBe(produced.labels);
      expect((await run.readyz()).status).toBe(200);
      expect(await service.stop()).toBe(0);
      console.info(`redis wipe: wiped at n=${atWipe.n}; refused, then rebuilt ${final.n} + ${final.l} after ${Date.now() - started} ms`);
    } finally {
      await run.state.close();
    }
  });
});
