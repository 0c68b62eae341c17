// A test's own connections to the shared Kafka and Redis, beside the service processes it runs:
// a bus to publish with (the topics created first), an admin to read the group's offsets and
// the monitor state to read the windows the services wrote.
import { Kafka, logLevel } from 'kafkajs';
import type { Admin } from 'kafkajs';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import { createLogger } from '../../shared/log/logger.js';
import { RedisMonitorState } from '../../shared/monitor-state/redis-monitor-state.js';
import { topicSpecs, type TopicNames } from '../../shared/topics.js';
import { kafkaBrokerList, redisUrl } from '../setup/env.js';

export interface KafkaAndRedisClients {
  bus: KafkaBus;
  admin: Admin;
  state: RedisMonitorState;
  /** Disconnects the admin, then the state, then the bus. */
  close(): Promise<void>;
}

/** `loggerName` names the bus's log lines (warnings only); `topics` are created with `partitions` each. */
export async function connectKafkaAndRedis(loggerName: string, topics: TopicNames, partitions: number): Promise<KafkaAndRedisClients> {
  let bus: KafkaBus | undefined;
  let admin: Admin | undefined;
  let state: RedisMonitorState | undefined;
  const close = async (): Promise<void> => {
    await admin?.disconnect();
    await state?.close();
    await bus?.close();
  };
  try {
    bus = await KafkaBus.connect({ brokers: kafkaBrokerList(), logger: createLogger(loggerName, { level: 'warn' }) });
    await bus.ensureTopics(topicSpecs(topics, partitions));
    admin = new Kafka({ brokers: kafkaBrokerList(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    state = await RedisMonitorState.connect(redisUrl());
    return { bus, admin, state, close };
  } catch (error) {
    // What did connect is closed here: the caller never gets the clients to close.
    await close();
    throw error;
  }
}
