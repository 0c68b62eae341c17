// The baselines of the monitor benchmark: kafkajs consuming the very topics the services
// read, from the beginning, in this process. "raw": eachBatch doing nothing but counting;
// "raw+decode": eachBatch plus Codec.decode of every message (the full decode, as the drift
// service does). Timed from the first batch, as a service run is timed from its first commit.
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { Codec, type EventType } from '../../shared/codec/index.js';

export interface ConsumeResult {
  events: number;
  ms: number;
  rate: number;
  /** CPU of this process (user + sys) per event while consuming, µs. */
  cpuUsPerEvent: number;
}

/**
 * @param decodeAs topic → event type to decode its messages as; undefined for raw consume
 */
export async function consumeBaseline(kafka: Kafka, topics: string[], expected: number, decodeAs?: Record<string, EventType>): Promise<ConsumeResult> {
  const codec = new Codec();
  const consumer = kafka.consumer({ groupId: `bench-raw-${randomUUID()}`, maxBytes: 10 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  let seen = 0;
  let start = 0;
  let cpuAtStart: NodeJS.CpuUsage = process.cpuUsage();
  let sink = 0;
  const end = await new Promise<{ at: number; cpu: NodeJS.CpuUsage }>((resolve, reject) => {
    void consumer
      .run({
        eachBatchAutoResolve: true,
        eachBatch: async ({ batch }) => {
          if (start === 0) {
            start = performance.now();
            cpuAtStart = process.cpuUsage();
          }
          const type = decodeAs?.[batch.topic];
          if (type !== undefined) {
            for (const m of batch.messages) {
              const headers = m.headers as Record<string, Buffer | string | undefined>;
              sink += (codec.decode(type, m.value, headers) as { eventTime: number }).eventTime > 0 ? 1 : 0;
            }
          }
          seen += batch.messages.length;
          if (seen >= expected) resolve({ at: performance.now(), cpu: process.cpuUsage(cpuAtStart) });
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  if (decodeAs !== undefined && sink === 0) throw new Error('nothing decoded');
  const ms = end.at - start;
  return { events: seen, ms, rate: (seen * 1000) / ms, cpuUsPerEvent: (end.cpu.user + end.cpu.system) / seen };
}
