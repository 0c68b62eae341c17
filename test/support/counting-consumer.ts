// A consumer process for crash tests: reads prediction events from Kafka through KafkaBus
// and counts each prediction id in Redis through the idempotent batch primitive.
// With HANG_AFTER_BATCHES=n it applies n batches, then hangs inside the n-th handler —
// after Redis applied it, before Kafka committed it — and prints HANG so the test can
// kill -9 it at the worst possible moment.
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import { Codec } from '../../shared/codec/index.js';
import { createLogger } from '../../shared/log/logger.js';
import { RedisStore } from '../../shared/store/redis-store.js';
import { applyOnce } from '../../shared/store/apply-once.js';
import type { CounterDelta } from '../../shared/store/types.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const topic = env('TOPIC');
const group = env('GROUP');
const model = env('MODEL');
const hangAfter = Number(process.env.HANG_AFTER_BATCHES ?? 0);

const logger = createLogger('counting-consumer', { level: 'warn' });
const bus = await KafkaBus.connect({
  brokers: env('KAFKA_BROKERS').split(','),
  logger,
  // Small fetches make many batches, so the kill lands mid-stream with work on both sides of it.
  consumer: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 6_000, maxWaitTimeMs: 200, maxBytesPerPartition: 64 * 1024 },
});
const store = await RedisStore.connect(env('REDIS_URL'));
const codec = new Codec();
let batches = 0;

const subscription = await bus.subscribe({
  groupId: group,
  topics: [topic],
  handler: async (batch) => {
    const outcome = await applyOnce(store, { model, group, batch }, (messages) => {
      const deltas: CounterDelta[] = [{ key: 'total', field: 'events', by: messages.length }];
      for (const message of messages) {
        const prediction = codec.decode('prediction', message.value, message.headers);
        deltas.push({ key: 'seen', field: prediction.id, by: 1 });
      }
      return deltas;
    });
    process.stdout.write(`BATCH ${batch.partition} ${batch.lastOffset} applied=${outcome.applied} skipped=${outcome.skipped}\n`);
    batches += 1;
    if (hangAfter > 0 && batches === hangAfter) {
      process.stdout.write('HANG\n');
      await new Promise(() => undefined);
    }
  },
});
process.stdout.write('READY\n');

const shutdown = async (): Promise<void> => {
  await subscription.stop();
  await bus.close();
  await store.close();
  process.exit(0);
};
process.once('SIGTERM', () => void shutdown());
