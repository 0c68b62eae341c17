// Honest /readyz on real Kafka and Redis: a handler that blocks makes the service "stuck"
// (503) until it returns; a consumer crash kafkajs will not restart makes it not ready and
// calls onFatal; the Kafka probe passes with a dead broker first in the list.
import { request } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { KafkaJSNonRetriableError } from 'kafkajs';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import { loadRuntimeConfig } from '../../shared/config/runtime-config.js';
import { kafkaProbe } from '../../shared/runtime/probes.js';
import { runService } from '../../shared/runtime/run-service.js';
import type { ServiceHandle } from '../../shared/runtime/run-service.js';
import { kafkaBrokerList, kafkaBrokers, redisUrl, uniqueName } from '../setup/env.js';
import { FAST_CONSUMER } from '../support/monitor-fixtures.js';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const fastConsumer = FAST_CONSUMER;

type Report = { status: number; body: { ready: boolean; checks: Record<string, { ok: boolean; error?: string }> } };
function readyz(port: number): Promise<Report> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/readyz', agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function until<T>(get: () => Promise<T> | T, ok: (value: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await get();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function distributedConfig(prefix: string) {
  return loadRuntimeConfig({
    DW_MODE: 'distributed',
    KAFKA_BROKERS: kafkaBrokers(),
    REDIS_URL: redisUrl(),
    DW_TOPIC_PREFIX: prefix,
    DW_TOPIC_PARTITIONS: '1',
    LOG_LEVEL: 'warn',
  });
}

describe('/readyz on real Kafka', () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
  });

  it('a handler blocked on a batch: 503 "stuck" after stuckAfterMs, 200 again once it returns', async () => {
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    let entered = false;
    const handle: ServiceHandle = await runService({
      name: 'stuck-test',
      config: distributedConfig(`${uniqueName('rz-stuck')}.`),
      logger,
      kafkaConsumer: fastConsumer,
      http: { port: 0, host: '127.0.0.1' },
      stuckAfterMs: 1_500,
      subscriptions: (service) => [
        {
          groupId: uniqueName('rz-stuck-group'),
          topics: [service.topics.predictions],
          handler: async (_batch, ctx) => {
            entered = true;
            // Heartbeats alone are no progress: the group stays healthy, the service does not.
            while (!(await Promise.race([blocked.then(() => true), new Promise((r) => setTimeout(() => r(false), 500))]))) {
              await ctx.heartbeat();
            }
          },
        },
      ],
    });
    stops.push(() => (release(), handle.stop()));
    const port = handle.port!;
    await until(() => readyz(port), (r) => r.status === 200, 'ready after start');

    await handle.context.bus.publish(handle.context.topics.predictions, [{ key: 'k', value: Buffer.from('x'), headers: {} }]);
    await until(() => entered, Boolean, 'the handler to get the batch');
    const stuck = await until(() => readyz(port), (r) => r.status === 503, '/readyz 503');
    expect(stuck.body.checks.consuming!.error).toMatch(/^stuck: group rz-stuck-group-\S+ has been handling \S+predictions\/0 from offset 0/);
    expect(stuck.body.checks.kafka!.ok).toBe(true);
    expect(stuck.body.checks.redis!.ok).toBe(true);

    release();
    await until(() => readyz(port), (r) => r.status === 200, '/readyz 200 after the batch finished');
  });

  it('a consumer crash kafkajs does not restart: 503 naming it and onFatal called', async () => {
    const fatal: Error[] = [];
    const handle: ServiceHandle = await runService({
      name: 'crash-test',
      config: distributedConfig(`${uniqueName('rz-crash')}.`),
      logger,
      kafkaConsumer: fastConsumer,
      http: { port: 0, host: '127.0.0.1' },
      subscriptions: (service) => [
        {
          groupId: uniqueName('rz-crash-group'),
          topics: [service.topics.predictions],
          handler: async () => {
            // kafkajs's own unrecoverable error passes through the bus untouched; kafkajs
            // then crashes the consumer without restarting it (an expired SCRAM credential does the same).
            throw new KafkaJSNonRetriableError('simulated unrecoverable client error');
          },
        },
      ],
      onFatal: (error) => fatal.push(error),
    });
    stops.push(() => handle.stop());
    const port = handle.port!;
    await handle.context.bus.publish(handle.context.topics.predictions, [{ key: 'k', value: Buffer.from('x'), headers: {} }]);
    await until(() => fatal.length, (n) => n > 0, 'onFatal');
    expect(fatal[0]!.message).toMatch(/simulated unrecoverable/);
    const report = await readyz(port);
    expect(report.status).toBe(503);
    expect(report.body.checks.consuming!.error).toMatch(/crashed and will not restart: .*simulated unrecoverable/);
  });

  it('the Kafka probe passes with a dead broker listed first, and fails naming every broker when none answers', async () => {
    const dead = `127.0.0.1:${await closedPort()}`;
    const probe = kafkaProbe([dead, ...kafkaBrokerList()], 'rz-probe');
    stops.push(() => probe.close());
    for (let i = 0; i < 3; i++) await expect(probe.probe()).resolves.toBeUndefined();

    const none = kafkaProbe([dead, `127.0.0.1:${await closedPort()}`], 'rz-probe-none');
    stops.push(() => none.close());
    await expect(none.probe()).rejects.toThrow(/no Kafka broker answered \(127\.0\.0\.1:\d+: .*; 127\.0\.0\.1:\d+: /);
  });

  it('ensureTopics on one broker: the topic takes a publish at once', async () => {
    const bus = await KafkaBus.connect({ brokers: kafkaBrokerList(), logger, consumer: fastConsumer });
    stops.push(() => bus.close());
    const topic = uniqueName('rz-topic');
    await bus.ensureTopics([{ topic, partitions: 2 }]);
    await bus.publish(topic, [{ key: 'a', value: Buffer.from('1'), headers: {} }]);
  });
});
