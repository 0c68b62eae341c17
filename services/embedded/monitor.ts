// Both monitoring services in one process, with a listener on what they publish: the
// wiring shared by `driftwatch replay` and the `npm start` demo.
//
// Embedded (the default): one MemoryBus and one MemoryKeyspace shared by the two services,
// the SDK client and the listener, so nothing outside the process is needed. Distributed:
// the same on a KafkaBus, with the services keeping their state in Redis.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import { MemoryBus } from '../../shared/bus/memory-bus.js';
import type { EventBus } from '../../shared/bus/types.js';
import { Codec, type Alert, type DeadLetter, type MetricsSnapshot } from '../../shared/codec/index.js';
import type { MonitoringConfig } from '../../shared/config/monitoring-config.js';
import type { RuntimeConfig } from '../../shared/config/runtime-config.js';
import type { BackgroundEvaluations } from '../../shared/pipeline/background-evaluations.js';
import type { DriftPipeline } from '../../shared/pipeline/drift-pipeline.js';
import type { PerformancePipeline } from '../../shared/pipeline/performance-pipeline.js';
import { startDriftService, startPerformanceService } from '../../shared/pipeline/services.js';
import type { ServiceHandle } from '../../shared/runtime/run-service.js';
import { DriftwatchClient } from '../../shared/sdk/client.js';
import { MemoryKeyspace } from '../../shared/store/memory-store.js';
import { topicNames, topicSpecs, type TopicNames } from '../../shared/topics.js';
import { ConsumerFailedError, ConsumptionTracker } from './consumption-tracker.js';

/**
 * Messages the embedded bus keeps per partition. The replay and the demo wait for every
 * consumer after each chunk they publish, so no group ever lags by more than a chunk;
 * this only has to be far above a chunk, and it bounds memory on inputs of any length.
 */
export const EMBEDDED_RETAIN_PER_PARTITION = 200_000;

export interface MonitorListener {
  onSnapshot?(snapshot: MetricsSnapshot): void;
  onAlert?(alert: Alert): void;
  onDeadLetter?(deadLetter: DeadLetter): void;
}

export interface StartMonitorOptions {
  config: RuntimeConfig;
  monitoring: MonitoringConfig;
  logger: Logger;
  listener: MonitorListener;
}

export interface RunningMonitor {
  readonly client: DriftwatchClient;
  readonly topics: TopicNames;
  /** Resolves once the services and the listener have handled everything published so far. */
  settled(signal?: AbortSignal): Promise<void>;
  /** Stops the services and the listener, then closes the bus. Safe to call more than once. */
  stop(): Promise<void>;
}

export async function startMonitor(options: StartMonitorOptions): Promise<RunningMonitor> {
  const { config, monitoring, logger, listener } = options;
  const codec = new Codec();
  const topics = topicNames(config.topics.prefix);
  const embedded = config.mode === 'embedded';
  const inner: EventBus = embedded
    ? new MemoryBus({ retainPerPartition: EMBEDDED_RETAIN_PER_PARTITION, logger })
    : await KafkaBus.connect({
        brokers: config.kafka.brokers,
        clientId: config.kafka.clientId,
        security: { ssl: config.kafka.ssl, ...(config.kafka.sasl ? { sasl: config.kafka.sasl } : {}) },
        logger,
      });
  const bus = new ConsumptionTracker(inner);
  const keyspace = embedded ? new MemoryKeyspace() : undefined;
  const handles: ServiceHandle[] = [];
  const evaluations: BackgroundEvaluations[] = [];
  let listening: { stop(): Promise<void> } | undefined;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await listening?.stop();
      await Promise.all(handles.map((handle) => handle.stop()));
      await bus.close();
    })());

  try {
    await bus.ensureTopics(topicSpecs(topics, config.topics.partitions, { retentionMs: config.topicRetentionMs }));
    const common = {
      config,
      monitoring,
      http: false as const,
      bus,
      logger,
      codec,
      ...(keyspace ? { keyspace } : {}),
      onPipeline: (pipeline: PerformancePipeline | DriftPipeline) => evaluations.push(pipeline.background),
    };
    handles.push(await startPerformanceService({ ...common, logger: logger.child({ service: 'performance' }) }));
    handles.push(await startDriftService({ ...common, logger: logger.child({ service: 'drift' }) }));
    listening = await bus.subscribe({
      groupId: `dw-listener-${randomUUID()}`,
      topics: [topics.metrics, topics.alerts, topics.dlq],
      fromBeginning: true,
      handler: async (batch) => {
        for (const message of batch.messages) {
          if (batch.topic === topics.metrics) listener.onSnapshot?.(codec.decode('metricsSnapshot', message.value, message.headers));
          else if (batch.topic === topics.alerts) listener.onAlert?.(codec.decode('alert', message.value, message.headers));
          else listener.onDeadLetter?.(codec.decode('deadLetter', message.value, message.headers));
        }
      },
    });
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    client: new DriftwatchClient({ bus, topics, codec }),
    topics,
    settled: (signal) => settled(bus, evaluations, signal),
    stop,
  };
}

/**
 * Everything published is handled and no evaluation runs: evaluations run beside the batches
 * (background-evaluations.ts) and publish snapshots and alerts, which the listener then reads.
 * An evaluation that failed (the in-memory state does not fail for outages) fails the wait, as
 * a batch failing again and again does (ConsumerFailedError): a replay must not report without it.
 */
async function settled(bus: ConsumptionTracker, evaluations: readonly BackgroundEvaluations[], signal?: AbortSignal): Promise<void> {
  for (;;) {
    await bus.whenCaughtUp(signal);
    const failing = evaluations.map((e) => e.failing).find((f) => f !== null);
    if (failing) throw new ConsumerFailedError(`the evaluation of model ${failing.model} failed: ${String((failing.error as Error)?.message ?? failing.error)}`, { cause: failing.error });
    if (evaluations.every((e) => e.inFlight === 0)) return;
    await Promise.all(evaluations.map((e) => e.idle()));
  }
}
