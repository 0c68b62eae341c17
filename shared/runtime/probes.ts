// Readiness probes of the infrastructure a service depends on: real round trips (a Kafka
// metadata request, a Redis PING), never "the client object exists".
import { securityOptions, type KafkaSecurity } from '../bus/kafka-bus.js';
import { Kafka, logLevel } from 'kafkajs';
import type { Admin } from 'kafkajs';
import type { RedisClient } from '../store/redis-connection.js';
import type { Probe } from './ops-server.js';

export interface KafkaProbe {
  probe: Probe;
  close(): Promise<void>;
}

/**
 * A metadata request through an admin client of its own, with no retries and short
 * timeouts: the bus's clients retry for minutes by design, and a probe must answer now.
 * The admin connects on first use and again after any failure.
 */
export function kafkaProbe(brokers: string[], clientId: string, security?: KafkaSecurity): KafkaProbe {
  const kafka = new Kafka({
    brokers,
    ...securityOptions(security),
    clientId: `${clientId}-probe`,
    connectionTimeout: 1_000,
    requestTimeout: 1_500,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  let admin: Admin | undefined;
  let inFlight: Promise<void> | undefined;
  const check = async (): Promise<void> => {
    admin ??= kafka.admin();
    try {
      await admin.connect();
      const { brokers: live } = await admin.describeCluster();
      if (live.length === 0) throw new Error('Kafka cluster reports no brokers');
    } catch (error) {
      const broken = admin;
      admin = undefined;
      await broken.disconnect().catch(() => {});
      throw error;
    }
  };
  return {
    // Concurrent /readyz requests share one metadata request.
    probe: () => (inFlight ??= check().finally(() => (inFlight = undefined))),
    close: async () => {
      await inFlight?.catch(() => {});
      await admin?.disconnect().catch(() => {});
      admin = undefined;
    },
  };
}

export function redisProbe(client: RedisClient): Probe {
  return async () => {
    // A command issued while ioredis is reconnecting would wait in its offline queue.
    if (client.status !== 'ready') throw new Error(`Redis connection is ${client.status}`);
    const reply = await client.ping();
    if (reply !== 'PONG') throw new Error(`Redis answered PING with ${String(reply)}`);
  };
}
