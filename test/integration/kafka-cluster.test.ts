// Topics on a real 3-node KRaft cluster (scripts/kafka-cluster.sh, started fresh here):
// ensureTopics creates them with replication 3 and min.insync.replicas 2, and returns only
// once every broker knows them, so a publish and a consume right after never meet
// UNKNOWN_TOPIC_OR_PARTITION (the issue saw it in 14 of 17 fresh-cluster starts). Then the
// readiness probe with the first listed broker down.
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import type { BusMessage } from '../../shared/bus/types.js';
import { kafkaProbe } from '../../shared/runtime/probes.js';
import { uniqueName } from '../setup/env.js';
import { startTestCluster } from '../support/kafka-cluster.js';
import type { TestCluster } from '../support/kafka-cluster.js';
import { FAST_CONSUMER } from '../support/monitor-fixtures.js';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const fastConsumer = FAST_CONSUMER;

describe('topics on a 3-node cluster', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startTestCluster();
  }, 240_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 120_000);

  it('creates RF 3 / min ISR 2 topics that take a publish and a consume right away, 5 fresh sets in a row', async () => {
    const admin = new Kafka({ brokers: cluster.brokers, clientId: 'dw-cluster-test', logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      for (let set = 0; set < 5; set++) {
        // A new bus each time, as a service starting up: nothing cached from the last set.
        const bus = await KafkaBus.connect({ brokers: cluster.brokers, logger, consumer: fastConsumer });
        try {
          const specs = [
            { topic: uniqueName(`cl-predictions-${set}`), partitions: 6 },
            { topic: uniqueName(`cl-labels-${set}`), partitions: 6 },
            { topic: uniqueName(`cl-models-${set}`), partitions: 1, cleanupPolicy: 'compact' as const },
          ];
          await bus.ensureTopics(specs);
          const perTopic = 12;
          for (const { topic } of specs) {
            await bus.publish(
              topic,
              Array.from({ length: perTopic }, (_, i) => ({ key: `k${i}`, value: Buffer.from(`${set}-${i}`), headers: {} })),
            );
          }
          const seen: BusMessage[] = [];
          const subscription = await bus.subscribe({
            groupId: uniqueName(`cl-group-${set}`),
            topics: specs.map((s) => s.topic),
            handler: async (batch) => void seen.push(...batch.messages),
          });
          const deadline = Date.now() + 30_000;
          while (seen.length < perTopic * specs.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
          await subscription.stop();
          expect(seen.length, `set ${set}`).toBe(perTopic * specs.length);

          const { topics } = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic) });
          for (const topic of topics) for (const p of topic.partitions) expect(p.replicas, `${topic.name}/${p.partitionId}`).toHaveLength(3);
          const { resources } = await admin.describeConfigs({
            includeSynonyms: false,
            resources: specs.map((s) => ({ type: ConfigResourceTypes.TOPIC, name: s.topic, configNames: ['min.insync.replicas'] })),
          });
          for (const resource of resources) {
            expect(resource.configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue, resource.resourceName).toBe('2');
          }
        } finally {
          await bus.close();
        }
      }
    } finally {
      await admin.disconnect();
    }
  });

  it('the readiness probe passes while the first listed broker is down', async () => {
    await cluster.run('stop-node', '1');
    const probe = kafkaProbe(cluster.brokers, 'dw-cluster-probe');
    try {
      const started = Date.now();
      await expect(probe.probe()).resolves.toBeUndefined();
      expect(Date.now() - started).toBeLessThan(2_000);
      await expect(probe.probe()).resolves.toBeUndefined();
    } finally {
      await probe.close();
    }
  });
});
