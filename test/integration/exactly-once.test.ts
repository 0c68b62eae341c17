// Issue 2's acceptance test: 20,000 predictions through KafkaBus into Redis counters, the
// consumer killed with SIGKILL midway after Redis applied a batch that Kafka never saw
// committed, then restarted: every event is counted exactly once.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import { createLogger } from '../../shared/log/logger.js';
import { DriftwatchClient } from '../../shared/sdk/index.js';
import { RedisStore } from '../../shared/store/redis-store.js';
import { topicNames } from '../../shared/topics.js';
import { kafkaBrokers, redisUrl, uniqueName } from '../setup/env.js';
import { until } from '../support/until.js';

const EVENTS = 20_000;
const PARTITIONS = 3;
const CONSUMER = fileURLToPath(new URL('../support/counting-consumer.ts', import.meta.url));

interface Running {
  child: ChildProcess;
  lines: string[];
  waitFor(line: string, timeoutMs: number): Promise<void>;
  exited: Promise<number | null>;
}

function startConsumer(env: Record<string, string>): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', CONSUMER], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiters: { line: string; resolve: () => void }[] = [];
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const w of waiters.filter((w) => line === w.line)) w.resolve();
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    exited,
    waitFor(line, timeoutMs) {
      if (lines.includes(line)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no ${line} within ${timeoutMs} ms; consumer said: ${lines.slice(-5).join(" / ")}`)),
          timeoutMs,
        );
        waiters.push({ line, resolve: () => (clearTimeout(timer), resolve()) });
        void exited.then((code) => reject(new Error(`consumer exited (${code}) before ${line}`)));
      });
    },
  };
}

describe('exactly-once through Kafka and Redis', () => {
  const topic = topicNames(`${uniqueName('eo')}.`).predictions;
  const group = uniqueName('eo-group');
  const model = uniqueName('eo-model');
  let bus: KafkaBus;
  let store: RedisStore;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    bus = await KafkaBus.connect({ brokers: kafkaBrokers().split(','), logger: createLogger('test', { level: 'warn' }) });
    store = await RedisStore.connect(redisUrl());
    await bus.ensureTopics([{ topic, partitions: PARTITIONS }]);
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await bus?.close();
    await store?.close();
  });

  it('counts every one of 20,000 events once across a SIGKILL between apply and commit', async () => {
    const client = new DriftwatchClient({ bus, topics: { ...topicNames(), predictions: topic } });
    for (let i = 0; i < EVENTS; i += 2_000) {
      await client.logPredictions(
        Array.from({ length: 2_000 }, (_, j) => ({
          id: `e-${i + j}`,
          model,
          modelVersion: '1',
          time: 1_700_000_000_000 + i + j,
          features: { x: (i + j) % 97, colour: (i + j) % 2 ? 'red' : 'blue' },
          predictedClass: (i + j) % 3 ? 'yes' : 'no',
        })),
      );
    }

    const env = { KAFKA_BROKERS: kafkaBrokers(), REDIS_URL: redisUrl(), TOPIC: topic, GROUP: group, MODEL: model };
    const first = startConsumer({ ...env, HANG_AFTER_BATCHES: '20' });
    children.push(first.child);
    await first.waitFor('HANG', 60_000);
    first.child.kill('SIGKILL');
    await first.exited;

    const midway = await store.readCounters(model, 'total');
    expect(midway.events).toBeGreaterThan(0);
    expect(midway.events).toBeLessThan(EVENTS);

    const second = startConsumer(env);
    children.push(second.child);
    const total = await until('all events counted', () => store.readCounters(model, 'total'), (t) => t.events === EVENTS, 120_000);
    expect(total.events).toBe(EVENTS);

    // The batch applied before the kill comes again: some of it must have been skipped.
    const skippedLines = second.lines.filter((l) => /skipped=[1-9]/.test(l));
    expect(skippedLines.length).toBeGreaterThan(0);

    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const seen = await store.readCounters(model, 'seen');
    expect(Object.keys(seen)).toHaveLength(EVENTS);
    const counts = new Set(Object.values(seen));
    expect([...counts]).toEqual([1]);
    for (let p = 0; p < PARTITIONS; p++) {
      expect(await store.lastOffset(model, { group, topic, partition: p })).toBeGreaterThan(0);
    }
  });
});
