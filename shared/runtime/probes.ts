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
 *
 * kafkajs starts every new client at the first broker of its list, so one client over the
 * whole list would call a healthy cluster down whenever that first broker is. Instead there
 * is one client per configured broker: a check asks the broker that answered last and, when
 * it fails, each of the others in turn; it fails only when none answers (naming each one's
 * error). An admin connects on first use and again after any failure.
 */
export function kafkaProbe(brokers: string[], clientId: string, security?: KafkaSecurity): KafkaProbe {
  if (brokers.length === 0) throw new TypeError('kafkaProbe needs at least one broker');
  const clients = brokers.map((broker) => ({
    broker,
    kafka: new Kafka({
      brokers: [broker],
      ...securityOptions(security),
      clientId: `${clientId}-probe`,
      connectionTimeout: 1_000,
      requestTimeout: 1_500,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    }),
    admin: undefined as Admin | undefined,
  }));
  let current = 0;
  let inFlight: Promise<void> | undefined;
  const ask = async (client: (typeof clients)[number]): Promise<void> => {
    client.admin ??= client.kafka.admin();
    const admin = client.admin;
    try {
      await admin.connect();
      const { brokers: live } = await admin.describeCluster();
      if (live.length === 0) throw new Error('Kafka cluster reports no brokers');
    } catch (error) {
      client.admin = undefined;
      await admin.disconnect().catch(() => {});
      throw error;
    }
  };
  const check = async (): Promise<void> => {
    const failures: string[] = [];
    for (let attempt = 0; attempt < clients.length; attempt++) {
      const index = (current + attempt) % clients.length;
      const client = clients[index]!;
      try {
        await ask(client);
        current = index;
        return;
      } catch (error) {
        failures.push(`${client.broker}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    throw new Error(`no Kafka broker answered (${failures.join('; ')})`);
  };
  return {
    // Concurrent /readyz requests share one metadata request.
    probe: () => (inFlight ??= check().finally(() => (inFlight = undefined))),
    close: async () => {
      await inFlight?.catch(() => {});
      await Promise.all(clients.map((client) => client.admin?.disconnect().catch(() => {})));
      for (const client of clients) client.admin = undefined;
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
