// Wrong credentials and settings, as an operator meets them: a service process started with a
// wrong Redis password or a TLS file that is missing must exit non-zero with one error line
// that names the cause, and the password must appear in none of its output streams. Before
// runMain, Node's unhandled-rejection dump printed ioredis's `command.args` (the password).
//
// Redis: a redis-server of the test's own with --requirepass. A wrong Kafka SASL password
// (SCRAM and PLAIN) and a password rotated under a running service are
// test/integration/kafka-sasl.test.ts's, on a real broker with a SASL listener.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaBrokers, redisUrl, uniqueName } from '../setup/env.js';
import { startOwnRedis, type OwnRedis } from '../support/own-redis.js';
import { captureOutput } from '../support/process-output.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';

const running: ServiceProcess[] = [];

function start(env: Record<string, string>): { service: ServiceProcess; output: ReturnType<typeof captureOutput> } {
  const service = startServiceProcess('drift', {
    DW_HTTP_PORT: '0',
    DW_TOPIC_PREFIX: `${uniqueName('secrets')}.`,
    LOG_LEVEL: 'info',
    KAFKA_BROKERS: kafkaBrokers(),
    REDIS_URL: redisUrl(),
    ...env,
  });
  running.push(service);
  return { service, output: captureOutput(service) };
}

/** Lines at error level or above, other than kafkajs's own reports of its connection attempts. */
function errorLines(output: ReturnType<typeof captureOutput>): Array<Record<string, unknown>> {
  return output.logLines().filter((line) => Number(line.level) >= 50 && line.component !== 'kafkajs');
}

afterAll(async () => {
  await Promise.all(running.map((service) => service.kill()));
});

describe('a wrong Redis password', () => {
  let redis: OwnRedis;
  beforeAll(async () => {
    redis = await startOwnRedis({ requirePass: `right-${randomBytes(6).toString('hex')}` });
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('exits 1 with one line naming WRONGPASS, and the password in no output stream', async () => {
    const password = `wrong-redis-pw-${randomBytes(6).toString('hex')}`;
    const { service, output } = start({ REDIS_URL: `redis://default:${password}@127.0.0.1:${redis.port}` });
    expect(await service.exited).toBe(1);
    const errors = errorLines(output);
    expect(errors, output.stdout()).toHaveLength(1);
    expect(errors[0]!.msg).toMatch(/^service failed to start: Redis at 127\.0\.0\.1:\d+ unavailable: .*WRONGPASS/);
    expect(output.stdout()).not.toContain(password);
    expect(output.stderr()).not.toContain(password);
    // No unhandled-rejection dump: everything went through the logger.
    expect(output.stderr()).not.toMatch(/triggerUncaughtException|command:|args:/);
  });
});

describe('a TLS file that is missing', () => {
  it('exits 2 before connecting, naming the variable and the path', async () => {
    const { service, output } = start({ KAFKA_SSL_CA: '/nonexistent/driftwatch-ca.pem' });
    expect(await service.exited).toBe(2);
    const errors = errorLines(output);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.msg).toBe('drift failed to start: invalid environment: KAFKA_SSL_CA: cannot read /nonexistent/driftwatch-ca.pem (ENOENT)');
  });
});
