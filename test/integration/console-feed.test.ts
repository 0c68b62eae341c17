// The console's feed on the real Kafka broker: nothing published between the end of the rebuild
// (LogReader) and the start of the live group is lost, and nothing is applied twice — both for
// partitions the rebuild read from and for partitions it found empty (the startOffset hook's two
// paths). Messages are published from inside subscribe(), i.e. exactly in that gap.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import type { EventBus, LogReader, SubscribeOptions } from '../../shared/bus/types.js';
import { Codec } from '../../shared/codec/index.js';
import { ConsoleHistory } from '../../shared/console/console-history.js';
import { createConsoleMetrics } from '../../shared/console/console-metrics.js';
import { EventFeed } from '../../shared/console/event-feed.js';
import { topicNames, topicSpecs } from '../../shared/topics.js';
import { kafkaBrokers, uniqueName } from '../setup/env.js';
import { snapshotAt } from '../support/console-events.js';
import { until } from '../support/until.js';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const codec = new Codec();
const topics = topicNames(`${uniqueName('console-feed')}.`);
const PARTITIONS = 4;
let bus: KafkaBus;

beforeAll(async () => {
  bus = await KafkaBus.connect({ brokers: kafkaBrokers().split(','), logger, consumer: { maxWaitTimeMs: 100 } });
  await bus.ensureTopics(topicSpecs(topics, PARTITIONS));
});

afterAll(async () => {
  await bus?.close();
});

async function publishSnapshot(model: string, end: number): Promise<void> {
  const encoded = codec.encode('metricsSnapshot', snapshotAt(model, '1', '5m', end));
  await bus.publish(topics.metrics, [{ key: model, value: encoded.value, headers: encoded.headers }]);
}

describe('console feed on Kafka', () => {
  it('applies every message published between the rebuild and the live group, each once', async () => {
    const now = Date.now();
    // Models spread over the partitions; only the first two have data before the rebuild.
    const models = Array.from({ length: 12 }, (_, i) => `m${i}`);
    const early = models.slice(0, 2);
    for (const model of early) await publishSnapshot(model, now - 50_000);

    // A bus whose subscribe() first publishes a snapshot per model: after the rebuild's reads, before the group exists.
    const gapBus: EventBus & LogReader = Object.assign(Object.create(bus) as KafkaBus, {
      subscribe: async (options: SubscribeOptions) => {
        for (const model of models) await publishSnapshot(model, now - 40_000);
        return bus.subscribe(options);
      },
    });
    const history = new ConsoleHistory({ historyMs: 3_600_000, maxSnapshotsPerSeries: 100, maxAlerts: 10, maxAlertHistory: 10, maxIncidents: 10 });
    const metrics = createConsoleMetrics(() => history.sizes(), { processMetrics: false });
    const live: string[] = [];
    const feed = new EventFeed({
      bus: gapBus,
      topics,
      codec,
      history,
      metrics,
      logger,
      groupId: uniqueName('console-feed-group'),
      onEvent: (event) => live.push(event.type === 'snapshot' ? event.data.model : event.type),
    });
    try {
      await feed.start();
      expect(history.sizes().snapshots).toBe(early.length);
      // Published after the group is running too.
      for (const model of models) await publishSnapshot(model, now - 30_000);
      await until('every snapshot applied', () => history.sizes().snapshots, (n) => n === early.length + 2 * models.length, 60_000);
      for (const model of models) {
        const ends = history.windows(model, '5m').map((s) => s.end);
        expect(ends).toEqual(early.includes(model) ? [now - 50_000, now - 40_000, now - 30_000] : [now - 40_000, now - 30_000]);
      }
      // Live events: the gap's and the later ones, once each (the rebuild's are not streamed).
      expect(live.sort()).toEqual([...models, ...models].sort());
      const applied = await metrics.eventsApplied.get();
      expect(applied.values.find((v) => v.labels.topic === topics.metrics)?.value).toBe(early.length + 2 * models.length);
    } finally {
      await feed.stop();
    }
  });
});
