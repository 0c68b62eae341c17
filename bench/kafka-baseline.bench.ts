// The baseline every later throughput figure is compared with: raw kafkajs produce and
// consume of 100,000 Avro prediction events on this machine, plus codec decode speed.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Codec } from '../shared/codec/index.js';
import { formatRate, printTable, type BenchModule } from './lib.js';
import { encodedPredictions } from './support/predictions.js';

const EVENTS = 100_000;
const PARTITIONS = 6;
const PRODUCE_BATCH = 1_000;

async function run(): Promise<void> {
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const kafka = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.NOTHING });
  const topic = `bench.raw.${randomUUID()}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });

  const events = encodedPredictions(EVENTS);
  const bytes = events.reduce((sum, e) => sum + e.value.length, 0);

  // Produce: batches of 1,000, acks=all, idempotent — what a careful producer does.
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const produceStart = performance.now();
  for (let i = 0; i < events.length; i += PRODUCE_BATCH) {
    await producer.send({
      topic,
      acks: -1,
      messages: events.slice(i, i + PRODUCE_BATCH).map((e) => ({ key: e.key, value: e.value, headers: e.headers })),
    });
  }
  const produceMs = performance.now() - produceStart;
  await producer.disconnect();

  // Consume: eachBatch doing nothing but counting, from the beginning, until all arrived.
  const consumer = kafka.consumer({ groupId: `bench-${randomUUID()}`, maxBytes: 10 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let consumeStart = 0;
  const done = new Promise<number>((resolve) => {
    void consumer.run({
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        if (consumeStart === 0) consumeStart = performance.now();
        seen += batch.messages.length;
        if (seen >= EVENTS) resolve(performance.now());
      },
    });
  });
  const consumeEnd = await done;
  const consumeMs = consumeEnd - consumeStart;
  await consumer.disconnect();
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();

  const codec = new Codec();
  const decodeStart = performance.now();
  for (const e of events) codec.decode('prediction', e.value, e.headers);
  const decodeMs = performance.now() - decodeStart;

  const produceRate = (EVENTS * 1000) / produceMs;
  const consumeRate = (EVENTS * 1000) / consumeMs;
  const decodeRate = (EVENTS * 1000) / decodeMs;
  printTable(`${EVENTS} Avro predictions (${(bytes / EVENTS).toFixed(0)} B avg), ${PARTITIONS} partitions`, [
    { step: 'kafkajs produce (acks=all, batches of 1000)', rate: formatRate(produceRate), 'vs consume': (produceRate / consumeRate).toFixed(2) },
    { step: 'kafkajs consume (eachBatch, no work)', rate: formatRate(consumeRate), 'vs consume': '1.00' },
    { step: 'Codec.decode prediction (one core)', rate: formatRate(decodeRate), 'vs consume': (decodeRate / consumeRate).toFixed(2) },
  ]);
  console.log(`baseline: raw consume ${Math.round(consumeRate)} events/s; later monitor throughput is reported as a ratio of it`);
}

export default { title: 'Kafka baseline: raw kafkajs produce/consume', needsServices: true, run } satisfies BenchModule;
