// Issue 9's last duplicate, on real Kafka and Redis: the SDK re-sends what Kafka did not
// confirm, and a re-sent prediction may already be in the topic (the write happened, only its
// answer was lost). The app publishes through a bus that loses answers and drops writes on a
// fixed plan, so the topic really holds flagged copies of written predictions (in the same
// batch as their original or in a later one, once or several times) and flagged predictions
// whose first copy was never written. The drift service is restarted in between, and copies
// whose originals the first instance consumed reach the second (client.resend() after the
// restart). The drift windows must count every distinct prediction exactly once.
import { Kafka, logLevel } from 'kafkajs';
import type { Admin } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PublishIncompleteError } from '../../shared/bus/errors.js';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import { partitionForKey } from '../../shared/bus/partitioner.js';
import type { EventBus, OutgoingMessage } from '../../shared/bus/types.js';
import { Codec } from '../../shared/codec/index.js';
import { parseMonitoringConfig, resolveModelConfig } from '../../shared/config/monitoring-config.js';
import { loadRuntimeConfig } from '../../shared/config/runtime-config.js';
import { dqFamily } from '../../shared/monitor/feature-deltas.js';
import { RedisMonitorState } from '../../shared/monitor-state/redis-monitor-state.js';
import { defaultGroupId, DRIFT_GROUP, startDriftService } from '../../shared/pipeline/services.js';
import type { ServiceHandle } from '../../shared/runtime/run-service.js';
import { DriftwatchClient } from '../../shared/sdk/client.js';
import type { PredictionRecord } from '../../shared/sdk/records.js';
import { topicNames } from '../../shared/topics.js';
import { kafkaBrokerList, kafkaBrokers, redisUrl, uniqueName } from '../setup/env.js';
import { groupLag, waitForGroupCaughtUp } from '../support/kafka-progress.js';
import { FAST_CONSUMER, referenceOf } from '../support/monitor-fixtures.js';

const PER_PHASE = 1_500;
const CALL = 250;
const PARTITIONS = 3;
const VERSION = '1';
const START = 1_700_000_000_000;

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const fastConsumer = FAST_CONSUMER;
const codec = new Codec();
const prefix = `${uniqueName('resent')}.`;
const topics = topicNames(prefix);
const model = uniqueName('resent-model');
const monitoring = parseMonitoringConfig({ models: { [model]: { task: 'binary', positiveLabel: 'yes' } } });
const settings = resolveModelConfig(monitoring, model);

const record = (i: number): PredictionRecord => ({
  id: `p-${i}`,
  model,
  modelVersion: VERSION,
  time: START + i * 10,
  features: { x: i % 97, colour: i % 2 ? 'red' : 'blue' },
  predictedClass: i % 3 ? 'yes' : 'no',
});
const records = (from: number, count: number): PredictionRecord[] => Array.from({ length: count }, (_, j) => record(from + j));

/**
 * What happens to the n-th send of a prediction: `ack` written and confirmed, `lost` written but
 * its answer lost (reported unconfirmed), `drop` not written (reported unconfirmed); sends past
 * the plan are acked. By id: p-<i>, plan by i % 10.
 */
type Fate = 'ack' | 'lost' | 'drop';
const PLANS: Record<number, Fate[]> = {
  1: ['lost'], // one flagged copy of a written original
  2: ['drop'], // the flagged copy is the only one: counted
  3: ['lost', 'lost'], // two flagged copies
  4: ['drop', 'lost'], // a flagged copy of a flagged first copy
  5: ['lost', 'lost', 'lost', 'lost'], // outlasts the SDK's re-sends: client.resend() later
  6: ['drop', 'drop', 'drop', 'drop'], // the same, never written before resend()
};

/** A bus over KafkaBus that follows PLANS, as a broker losing answers would make KafkaBus report. */
class LossyBus {
  readonly written: string[] = [];
  private readonly sends = new Map<string, number>();
  constructor(private readonly inner: KafkaBus) {}

  readonly bus = {
    publish: async (topic: string, messages: OutgoingMessage[]): Promise<void> => {
      const fates = messages.map((message) => {
        const id = message.key!;
        const n = this.sends.get(id) ?? 0;
        this.sends.set(id, n + 1);
        return PLANS[Number(id.split('-')[1]) % 10]?.[n] ?? 'ack';
      });
      const writes = messages.filter((_, i) => fates[i] !== 'drop');
      await this.inner.publish(topic, writes);
      this.written.push(...writes.map((message) => message.key!));
      const unconfirmed = fates.flatMap((fate, i) => (fate === 'ack' ? [] : [i]));
      if (unconfirmed.length === 0) return;
      const partitions = [...new Set(unconfirmed.map((i) => partitionForKey(messages[i]!.key!, PARTITIONS)))].sort((a, b) => a - b);
      throw new PublishIncompleteError(topic, partitions, unconfirmed, messages.length, 3);
    },
  } as unknown as EventBus;
}

async function duplicatesCounted(handle: ServiceHandle): Promise<number> {
  return (await handle.metrics.duplicates.get()).values.reduce((sum, { value }) => sum + value, 0);
}

describe('re-sent duplicate predictions through Kafka and the drift service', () => {
  let bus: KafkaBus;
  let admin: Admin;
  let state: RedisMonitorState;
  const stops: (() => Promise<void>)[] = [];
  const options = () => ({
    config: loadRuntimeConfig({
      DW_MODE: 'distributed',
      KAFKA_BROKERS: kafkaBrokers(),
      REDIS_URL: redisUrl(),
      DW_TOPIC_PREFIX: prefix,
      DW_TOPIC_PARTITIONS: String(PARTITIONS),
      LOG_LEVEL: 'silent',
    }),
    monitoring,
    logger,
    kafkaConsumer: fastConsumer,
    http: false as const,
  });

  beforeAll(async () => {
    bus = await KafkaBus.connect({ brokers: kafkaBrokerList(), logger, consumer: fastConsumer });
    stops.push(() => bus.close());
    admin = new Kafka({ brokers: kafkaBrokerList(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    stops.push(() => admin.disconnect());
    state = await RedisMonitorState.connect(redisUrl());
    stops.push(() => state.close());
    // A reference in place: every prediction goes to the windows (none to a reference sample).
    await state.setReference(model, VERSION, referenceOf(codec, records(0, 500), settings));
  });

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  });

  it('counts every distinct prediction once, across a restart of the drift service', { timeout: 90_000 }, async () => {
    const groupId = defaultGroupId(prefix, DRIFT_GROUP);
    const counted = async () =>
      (await state.readBuckets(model, dqFamily(VERSION), START, START + 2 * PER_PHASE * 10 + settings.bucketMs, settings.bucketMs)).n ?? 0;
    const lossy = new LossyBus(bus);
    const client = new DriftwatchClient({ bus: lossy.bus, topics, codec, resendBackoffMs: 20 });
    const failed: PublishIncompleteError[] = [];
    const publish = async (from: number) => {
      for (let i = from; i < from + PER_PHASE; i += CALL) {
        await client.logPredictions(records(i, CALL)).catch((error: unknown) => {
          if (!(error instanceof PublishIncompleteError)) throw error;
          failed.push(error);
        });
      }
    };

    // Phase 1, the service consuming while the app publishes: most copies arrive in a later
    // batch than their original, and the service reads the partition back for them.
    const first = await startDriftService(options());
    stops.push(() => first.stop());
    await publish(0);
    await waitForGroupCaughtUp(admin, groupId, [topics.predictions], 30_000);
    // Those whose every send so far was dropped wait for the app's resend().
    expect(await counted()).toBe(new Set(lossy.written).size);
    const droppedByFirst = await duplicatesCounted(first);
    await first.stop();

    // Phase 2, the service stopped: originals and copies wait in the same batches. Then a new
    // instance (nothing in memory) also gets the app's late re-sends of both phases, whose
    // originals the first instance consumed.
    await publish(PER_PHASE);
    expect(await groupLag(admin, groupId, [topics.predictions])).toBeGreaterThan(0);
    const second = await startDriftService(options());
    stops.push(() => second.stop());
    expect(failed.length).toBeGreaterThan(0);
    for (const error of failed) {
      for (let pending: PublishIncompleteError | null = error; pending !== null; ) {
        pending = await client.resend(pending).then(
          () => null,
          (again: unknown) => {
            if (!(again instanceof PublishIncompleteError)) throw again;
            return again;
          },
        );
      }
    }
    await waitForGroupCaughtUp(admin, groupId, [topics.predictions], 30_000);

    const distinct = new Set(lossy.written).size;
    const duplicates = lossy.written.length - distinct;
    expect(distinct).toBe(2 * PER_PHASE);
    expect(duplicates).toBeGreaterThan(PER_PHASE / 5);
    // The topic really holds every copy.
    const ends = await admin.fetchTopicOffsets(topics.predictions);
    expect(ends.reduce((sum, { high }) => sum + Number(high), 0)).toBe(lossy.written.length);
    expect(await counted()).toBe(distinct);
    // Per delivery: a redelivered batch would count its duplicates again, never fewer.
    expect(droppedByFirst + (await duplicatesCounted(second))).toBeGreaterThanOrEqual(duplicates);
    console.info(`resent-duplicates: ${lossy.written.length} copies of ${distinct} predictions written, ${duplicates} duplicates; ${failed.length} calls re-sent by the app after a restart`);
  });
});
