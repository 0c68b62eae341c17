// Real Kafka and Redis for tests and benchmarks, without Docker.
//
// Addresses already given in KAFKA_BROKERS / REDIS_URL are reused when they answer a real
// probe (the shared dev services, or the ones .ci/run started). Whatever is missing is
// started with scripts/kafka.sh / scripts/redis.sh on free ports, in a throw-away state
// directory, so concurrent runs on one machine never share or stop each other's servers.
// stop() stops only what this call started.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { Redis } from 'ioredis';

export interface LocalServices {
  kafkaBrokers: string;
  redisUrl: string;
  stop(): Promise<void>;
}

export interface LocalServicesOptions {
  /**
   * Where KAFKA_BROKERS / REDIS_URL are read from, and where the addresses in use are written
   * back (so that code reading the environment, like the benchmarks, finds them).
   * Defaults to process.env.
   */
  env?: Record<string, string | undefined>;
  /** Progress lines; defaults to stderr. */
  log?: (line: string) => void;
}

const scriptsDir = dirname(fileURLToPath(import.meta.url));
const scriptTimeoutMs = 240_000;

export async function ensureLocalServices(options: LocalServicesOptions = {}): Promise<LocalServices> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => console.error(line));
  const given = { kafka: env.KAFKA_BROKERS, redis: env.REDIS_URL };

  const [kafkaReachable, redisReachable] = await Promise.all([
    given.kafka ? isKafkaReachable(given.kafka) : Promise.resolve(false),
    given.redis ? isRedisReachable(given.redis) : Promise.resolve(false),
  ]);
  if (given.kafka && !kafkaReachable) log(`KAFKA_BROKERS=${given.kafka} does not answer; starting a local broker`);
  if (given.redis && !redisReachable) log(`REDIS_URL=${given.redis} does not answer; starting a local Redis`);

  const started = await Promise.allSettled([
    kafkaReachable ? Promise.resolve(undefined) : startKafka(),
    redisReachable ? Promise.resolve(undefined) : startRedis(),
  ]);
  const [kafkaResult, redisResult] = started;
  const ours = started.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
  const failures = started.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (failures.length > 0) {
    await Promise.allSettled(ours.map((s) => s.stop()));
    throw failures[0];
  }
  const kafka = kafkaResult?.status === 'fulfilled' ? kafkaResult.value : undefined;
  const redis = redisResult?.status === 'fulfilled' ? redisResult.value : undefined;

  const kafkaBrokers = kafka?.address ?? (given.kafka as string);
  const redisUrl = redis?.address ?? (given.redis as string);
  env.KAFKA_BROKERS = kafkaBrokers;
  env.REDIS_URL = redisUrl;
  log(
    `services: kafka ${kafkaBrokers} (${kafka ? 'started' : 'reused'}), ` +
      `redis ${redisUrl} (${redis ? 'started' : 'reused'})`,
  );

  let stopped = false;
  return {
    kafkaBrokers,
    redisUrl,
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all(ours.map((s) => s.stop()));
      restore(env, 'KAFKA_BROKERS', given.kafka);
      restore(env, 'REDIS_URL', given.redis);
    },
  };
}

interface StartedService {
  address: string;
  stop(): Promise<void>;
}

async function startKafka(): Promise<StartedService> {
  const [port, controllerPort] = await freePorts(2);
  const stateDir = await mkdtemp(join(tmpdir(), 'dw-kafka-'));
  const env = {
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(controllerPort),
    KAFKA_STATE_DIR: stateDir,
  };
  return startWithScript('kafka.sh', env, stateDir);
}

async function startRedis(): Promise<StartedService> {
  const [port] = await freePorts(1);
  const stateDir = await mkdtemp(join(tmpdir(), 'dw-redis-'));
  // A throw-away server: the tests that need durability start their own with AOF `always`,
  // and fsyncing every write of the whole suite would only slow it down.
  return startWithScript('redis.sh', { REDIS_PORT: String(port), REDIS_STATE_DIR: stateDir, REDIS_PERSISTENCE: process.env.REDIS_PERSISTENCE ?? 'none' }, stateDir);
}

async function startWithScript(
  script: string,
  env: Record<string, string>,
  stateDir: string,
): Promise<StartedService> {
  // DW_OWNER_PID: if this process dies without calling stop(), the script's watcher stops
  // the server, so a crashed test run leaves no broker behind.
  const runEnv = { ...env, DW_OWNER_PID: String(process.pid) };
  const stop = async () => {
    await runScript(script, 'stop', runEnv);
    await rm(stateDir, { recursive: true, force: true });
  };
  try {
    const stdout = await runScript(script, 'start', runEnv);
    const address = stdout.trim().split('\n').pop() ?? '';
    if (!address) throw new Error(`${script} start printed no address`);
    return { address, stop };
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
}

/** Runs scripts/<script> <command>; rejects with the script's stderr when it fails. */
export function runScript(script: string, command: string, env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [join(scriptsDir, script), command],
      { env: { ...process.env, ...env }, timeout: scriptTimeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`scripts/${script} ${command} failed: ${error.message}\n${stderr}`));
        else resolve(stdout);
      },
    );
  });
}

export async function isKafkaReachable(brokers: string, timeoutMs = 5000): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'dw-local-services-probe',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 2000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await withTimeout(
      (async () => {
        await admin.connect();
        await admin.describeCluster();
      })(),
      timeoutMs,
    );
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

export async function isRedisReachable(url: string, timeoutMs = 3000): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // Without a listener ioredis reports the refused connection as an unhandled 'error' event.
  client.on('error', () => {});
  try {
    return (await withTimeout(client.connect().then(() => client.ping()), timeoutMs)) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** Ports the kernel reports free right now; all held open together so they are distinct. */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
    }
    return servers.map((s) => {
      const address = s.address();
      if (address === null || typeof address === 'string') throw new Error('no TCP address');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function restore(env: Record<string, string | undefined>, key: string, value: string | undefined): void {
  if (value === undefined) delete env[key];
  else env[key] = value;
}
