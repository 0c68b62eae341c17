import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ConfigResourceTypes, Kafka } from 'kafkajs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { BusUnavailableError } from '../../shared/bus/errors.js';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import type { KafkaBusOptions } from '../../shared/bus/kafka-bus.js';
import type { BusMessage } from '../../shared/bus/types.js';
import { kafkaBrokerList, uniqueName } from '../setup/env.js';
import { busContract } from './bus.contract.js';

const brokers = kafkaBrokerList();
const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

// Group joins dominate the suite's time: short heartbeats and fetch waits make members notice a
// rebalance quickly; 6 s is the broker's minimum session timeout.
export const fastConsumer: KafkaBusOptions['consumer'] = {
  sessionTimeoutMs: 6_000,
  heartbeatIntervalMs: 300,
  rebalanceTimeoutMs: 10_000,
  maxWaitTimeMs: 100,
};

busContract({
  name: 'KafkaBus',
  createBus: () => KafkaBus.connect({ brokers, logger, clientId: 'bus-contract', consumer: fastConsumer }),
  deliveryTimeoutMs: 30_000,
  quietMs: 500,
});

describe('KafkaBus topic provisioning', () => {
  it('creates topics with the asked cleanup policy and retention', async () => {
    const bus = await KafkaBus.connect({ brokers, logger });
    const admin = new Kafka({ brokers, logLevel: 0 }).admin();
    const compacted = uniqueName('bus-compacted');
    const retained = uniqueName('bus-retained');
    try {
      await bus.ensureTopics([
        { topic: compacted, partitions: 2, cleanupPolicy: 'compact' },
        { topic: retained, partitions: 1, retentionMs: 3_600_000 },
      ]);
      await admin.connect();
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [compacted, retained].map((name) => ({
          type: ConfigResourceTypes.TOPIC,
          name,
          configNames: ['cleanup.policy', 'retention.ms'],
        })),
      });
      const config = (topic: string, name: string) =>
        resources.find((r) => r.resourceName === topic)?.configEntries.find((e) => e.configName === name)?.configValue;
      expect(config(compacted, 'cleanup.policy')).toBe('compact');
      expect(config(retained, 'cleanup.policy')).toBe('delete');
      expect(config(retained, 'retention.ms')).toBe('3600000');
    } finally {
      await admin.disconnect();
      await bus.close();
    }
  });
});

describe('KafkaBus when the broker is unreachable', () => {
  it('fails with BusUnavailableError naming the brokers within the connect deadline', async () => {
    const unreachable = ['127.0.0.1:1'];
    const started = Date.now();
    const error = await KafkaBus.connect({ brokers: unreachable, logger, connectTimeoutMs: 2_000 }).catch((e) => e);
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(BusUnavailableError);
    expect((error as BusUnavailableError).message).toContain('127.0.0.1:1');
    expect(elapsed).toBeLessThan(2_000 + 1_500);
  });
});

// A consumer in its own process, killed with SIGKILL while a batch is in its handler: no graceful
// path runs, nothing is committed, and the broker only learns of the death by session timeout.
const crashingConsumer = `
import { pino } from 'pino';
import { KafkaBus } from ${JSON.stringify(fileURLToPath(new URL('../../shared/bus/kafka-bus.ts', import.meta.url)))};
const [brokers, topic, groupId, consumer] = process.argv.slice(1);
const bus = await KafkaBus.connect({ brokers: brokers.split(','), logger: pino({ level: 'silent' }), consumer: JSON.parse(consumer) });
await bus.subscribe({ groupId, topics: [topic], handler: async (batch) => {
  if (batch.messages.some((m) => m.value.toString().startsWith('after'))) {
    console.log('hung ' + batch.messages[0].offset);
    await new Promise(() => {});
  }
  console.log('handled ' + batch.lastOffset);
} });
console.log('joined');
`;

function lines(child: ChildProcessWithoutNullStreams): { seen: string[]; waitFor: (prefix: string, ms: number) => Promise<string> } {
  const seen: string[] = [];
  let stderr = '';
  createInterface({ input: child.stdout }).on('line', (line) => seen.push(line));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const waitFor = async (prefix: string, ms: number): Promise<string> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const line = seen.find((l) => l.startsWith(prefix));
      if (line !== undefined) return line;
      if (child.exitCode !== null) throw new Error(`child exited (${child.exitCode}) before "${prefix}": ${stderr}`);
      if (Date.now() > deadline) throw new Error(`child did not print "${prefix}" within ${ms} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return { seen, waitFor };
}

describe('KafkaBus after a real crash (SIGKILL)', () => {
  it('redelivers the killed process\'s in-flight batch to the next member, and no committed one', async () => {
    const bus = await KafkaBus.connect({ brokers, logger, consumer: fastConsumer });
    const topic = uniqueName('bus-kill');
    const groupId = uniqueName('bus-kill-group');
    let child: ChildProcessWithoutNullStreams | undefined;
    try {
      await bus.ensureTopics([{ topic, partitions: 1 }]);
      const before = Array.from({ length: 20 }, (_, i) => `before-${i}`);
      const after = Array.from({ length: 20 }, (_, i) => `after-${i}`);
      await bus.publish(topic, before.map((v) => ({ key: null, value: Buffer.from(v) })));

      child = spawn(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', crashingConsumer, brokers.join(','), topic, groupId, JSON.stringify(fastConsumer)],
        { stdio: 'pipe' },
      );
      const output = lines(child);
      await output.waitFor(`handled ${before.length - 1}`, 30_000);
      await bus.publish(topic, after.map((v) => ({ key: null, value: Buffer.from(v) })));
      await output.waitFor('hung', 30_000);
      child.kill('SIGKILL');

      const received: BusMessage[] = [];
      const successor = await bus.subscribe({
        groupId,
        topics: [topic],
        handler: async (batch) => {
          received.push(...batch.messages);
        },
      });
      const deadline = Date.now() + 30_000;
      while (received.length < after.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 500));
      await successor.stop();
      expect(received.map((m) => m.value?.toString())).toEqual(after);
      expect(received[0]!.offset).toBe(before.length);
    } finally {
      child?.kill('SIGKILL');
      await bus.close();
    }
  });
});
