// The service scripts and ensureLocalServices() against real processes. Kafka itself is
// started by the global setup (or by .ci/run) through the same scripts, so here only the
// quick paths are exercised: a full Redis life cycle, Kafka's refusals, and reuse rules.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ensureLocalServices,
  freePorts,
  isKafkaReachable,
  isRedisReachable,
} from '../../scripts/local-services.js';
import { kafkaBrokers, redisUrl } from '../setup/env.js';

const scriptsDir = resolve(import.meta.dirname, '../../scripts');
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function script(name: string, command: string, env: Record<string, string>) {
  const result = spawnSync('bash', [join(scriptsDir, name), command], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function occupyPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  cleanups.push(() => new Promise<void>((done) => server.close(() => done())));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

describe('scripts/redis.sh', () => {
  it('starts on a chosen port, reports running, stops, reports stopped', async () => {
    const [port] = await freePorts(1);
    const env = { REDIS_PORT: String(port), REDIS_STATE_DIR: scratchDir('dw-redis-test-') };
    const url = `redis://127.0.0.1:${port}`;
    cleanups.push(() => void script('redis.sh', 'stop', env));

    const before = script('redis.sh', 'status', env);
    expect(before.code).toBe(1);
    expect(before.stdout).toMatch(/stopped/);

    const started = script('redis.sh', 'start', env);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout.trim()).toBe(url);
    expect(await isRedisReachable(url)).toBe(true);

    const running = script('redis.sh', 'status', env);
    expect(running.code).toBe(0);
    expect(running.stdout).toMatch(/running pid=\d+/);

    // A second start is a no-op on the same server, not a second server or an error.
    const again = script('redis.sh', 'start', env);
    expect(again.code, again.stderr).toBe(0);
    expect(script('redis.sh', 'status', env).stdout).toBe(running.stdout);

    expect(script('redis.sh', 'stop', env).code).toBe(0);
    const after = script('redis.sh', 'status', env);
    expect(after.code).toBe(1);
    expect(after.stdout).toMatch(/stopped/);
    expect(await isRedisReachable(url, 1000)).toBe(false);
  });

  it('refuses a port that another process holds, and stop leaves that process alone', async () => {
    const port = await occupyPort();
    const env = { REDIS_PORT: String(port), REDIS_STATE_DIR: scratchDir('dw-redis-test-') };
    const result = script('redis.sh', 'start', env);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/already in use/);
    expect(script('redis.sh', 'stop', env).code).toBe(0);
    expect(script('redis.sh', 'status', env).code).toBe(1);
  });
});

describe('scripts/kafka.sh', () => {
  it('reports a node that was never started as stopped', () => {
    const result = script('kafka.sh', 'status', { KAFKA_PORT: '19992', KAFKA_STATE_DIR: scratchDir('dw-kafka-test-') });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/kafka stopped brokers=127\.0\.0\.1:19992/);
  });

  it('refuses to start on a port that another process holds', async () => {
    const [port, controllerPort] = [await occupyPort(), (await freePorts(1))[0]!];
    const result = script('kafka.sh', 'start', {
      KAFKA_PORT: String(port),
      KAFKA_CONTROLLER_PORT: String(controllerPort),
      KAFKA_STATE_DIR: scratchDir('dw-kafka-test-'),
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(new RegExp(`port ${port} is already in use`));
  });

  it('rejects a port that is not a number', () => {
    const result = script('kafka.sh', 'status', { KAFKA_PORT: 'tcp://10.0.0.1:9092' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/KAFKA_PORT must be a TCP port number/);
  });
});

describe('ensureLocalServices', () => {
  it('reuses what answers, starts what does not, and stops only what it started', async () => {
    const [deadPort] = await freePorts(1);
    const env: Record<string, string | undefined> = {
      KAFKA_BROKERS: kafkaBrokers(),
      REDIS_URL: `redis://127.0.0.1:${deadPort}`,
    };
    const lines: string[] = [];
    const services = await ensureLocalServices({ env, log: (line) => lines.push(line) });
    cleanups.push(() => services.stop());

    expect(services.kafkaBrokers).toBe(kafkaBrokers());
    expect(services.redisUrl).not.toBe(`redis://127.0.0.1:${deadPort}`);
    expect(await isRedisReachable(services.redisUrl)).toBe(true);
    expect(env.REDIS_URL).toBe(services.redisUrl);
    expect(lines.join('\n')).toMatch(/does not answer/);

    await services.stop();
    expect(await isRedisReachable(services.redisUrl, 1000)).toBe(false);
    expect(await isKafkaReachable(kafkaBrokers())).toBe(true);
    expect(env.REDIS_URL).toBe(`redis://127.0.0.1:${deadPort}`);
  });

  it('leaves reused services running after stop', async () => {
    const env: Record<string, string | undefined> = { KAFKA_BROKERS: kafkaBrokers(), REDIS_URL: redisUrl() };
    const services = await ensureLocalServices({ env, log: () => {} });
    expect(services).toMatchObject({ kafkaBrokers: kafkaBrokers(), redisUrl: redisUrl() });
    await services.stop();
    expect(await isKafkaReachable(kafkaBrokers())).toBe(true);
    expect(await isRedisReachable(redisUrl())).toBe(true);
  });
});
