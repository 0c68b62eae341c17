// What the notifier's integration tests share: a notifier on the real Kafka and Redis with
// a test's sinks and short retries, alert transitions to publish, the DLQ read back, and a
// counter of its /metrics.
import { pino } from 'pino';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import { Codec, type AlertInput, type DeadLetter } from '../../shared/codec/index.js';
import { loadRuntimeConfig } from '../../shared/config/runtime-config.js';
import { parseNotifyConfig } from '../../shared/notify/notify-config.js';
import { startNotifierService } from '../../shared/pipeline/notifier-service.js';
import type { ServiceHandle } from '../../shared/runtime/run-service.js';
import { topicNames, type TopicNames } from '../../shared/topics.js';
import { kafkaBrokerList, kafkaBrokers, redisUrl, uniqueName } from '../setup/env.js';
import { httpGet } from './http-get.js';
import { FAST_CONSUMER } from './monitor-fixtures.js';
import { SAMPLE_EVENTS } from './sample-events.js';

export const testLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
export const codec = new Codec();

/** Retries in tens of milliseconds, so a test sees a sink given up on quickly. */
export const FAST_DELIVERY = { maxAttempts: 3, backoff: 50, maxBackoff: 200, timeout: 2_000 };

export interface NotifierDeployment {
  prefix: string;
  topics: TopicNames;
}

export function newDeployment(name: string): NotifierDeployment {
  return deploymentOf(`${uniqueName(name)}.`);
}

export function deploymentOf(prefix: string): NotifierDeployment {
  return { prefix, topics: topicNames(prefix) };
}

/** A notifier of `deployment` with the sinks of a config file's `sinks` (and its other settings). */
export function startTestNotifier(deployment: NotifierDeployment, file: Record<string, unknown>, groupId: string): Promise<ServiceHandle> {
  const config = loadRuntimeConfig({
    DW_MODE: 'distributed',
    KAFKA_BROKERS: kafkaBrokers(),
    REDIS_URL: redisUrl(),
    DW_TOPIC_PREFIX: deployment.prefix,
    DW_TOPIC_PARTITIONS: '3',
  });
  return startNotifierService({
    config,
    notify: parseNotifyConfig({ startFrom: 'earliest', delivery: FAST_DELIVERY, ...file }, 'test notification config'),
    groupId,
    logger: testLogger,
    kafkaConsumer: FAST_CONSUMER,
    http: { port: 0, host: '127.0.0.1' },
  });
}

/** One transition of the alert key `model|3|DATA_DRIFT|psi|<feature>`, id unique per call. */
export function transition(model: string, feature: string, over: Partial<AlertInput> = {}): AlertInput {
  const now = Date.now();
  return {
    ...SAMPLE_EVENTS.alert,
    id: uniqueName('alert'),
    key: `${model}|3|DATA_DRIFT|psi|${feature}`,
    model,
    feature,
    window: { start: now - 60_000, end: now, count: 500 },
    time: now,
    ...over,
  };
}

export async function connectProducer(): Promise<KafkaBus> {
  return KafkaBus.connect({ brokers: kafkaBrokerList(), logger: testLogger, consumer: FAST_CONSUMER });
}

export async function publishAlerts(bus: KafkaBus, deployment: NotifierDeployment, alerts: readonly AlertInput[]): Promise<void> {
  await bus.publish(
    deployment.topics.alerts,
    alerts.map((alert) => ({ key: alert.key, ...codec.encode('alert', alert) })),
  );
}

/** Every dead letter of the deployment's DLQ, collected as they arrive (its topics must exist: start a notifier first). */
export async function readDeadLetters(bus: KafkaBus, deployment: NotifierDeployment): Promise<DeadLetter[]> {
  const letters: DeadLetter[] = [];
  await bus.subscribe({
    groupId: uniqueName('notify-dlq-reader'),
    topics: [deployment.topics.dlq],
    handler: async (batch) => {
      for (const m of batch.messages) letters.push(codec.decode('deadLetter', m.value, m.headers));
    },
  });
  return letters;
}

/** The value of one series of the notifier's /metrics, 0 when absent. */
export async function metricValue(handle: ServiceHandle, name: string, labels: Record<string, string>): Promise<number> {
  const { body } = await httpGet(handle.port!, '/metrics');
  const wanted = Object.entries(labels);
  for (const line of body.split('\n')) {
    const match = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries([...match[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (wanted.every(([key, value]) => present[key] === value)) return Number(match[3]);
  }
  return 0;
}
