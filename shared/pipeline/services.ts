// The two monitoring services as runService definitions. services/*/main.ts start one
// each as its own process; the embedded mode and `driftwatch replay` start both in one
// process on a shared MemoryBus and MemoryKeyspace.
import { randomUUID } from 'node:crypto';
import type { MonitoringConfig } from '../config/monitoring-config.js';
import { DEFAULT_PARTITIONS_CONCURRENTLY } from '../config/runtime-config.js';
import { MemoryMonitorState } from '../monitor-state/memory-monitor-state.js';
import { RedisMonitorState } from '../monitor-state/redis-monitor-state.js';
import type { MonitorState } from '../monitor-state/types.js';
import { runService, type RunServiceOptions, type ServiceContext, type ServiceHandle } from '../runtime/run-service.js';
import type { BackgroundEvaluations } from './background-evaluations.js';
import { countedState } from './counted-state.js';
import { DriftPipeline } from './drift-pipeline.js';
import { PerformancePipeline } from './performance-pipeline.js';

export const PERFORMANCE_GROUP = 'performance';
export const DRIFT_GROUP = 'drift';

/**
 * The default consumer group of a service: under the topic prefix, like the topics. The
 * prefix separates deployments sharing one cluster (staging and production, or tests), and
 * a group shared across them would mix their members: kafkajs assigns every subscribed
 * topic's partitions round-robin over all members of a group, whatever each subscribed to,
 * so one deployment's instances would be handed the other's partitions.
 */
export function defaultGroupId(topicPrefix: string, service: string): string {
  return `${topicPrefix}${service}`;
}

export type MonitorServiceOptions = Omit<RunServiceOptions, 'name' | 'subscriptions' | 'onStart'> & {
  monitoring: MonitoringConfig;
  /** Overrides the consumer group (tests run several independent monitors on one broker). */
  groupId?: string;
  /** Receives the service's pipeline once built (tests read its `modelsInMemory`). */
  onPipeline?: (pipeline: PerformancePipeline | DriftPipeline) => void;
};

/** The pipelines serialize per model (keyed-serializer.ts), so their batches may overlap across partitions. */
function partitionsConcurrently(service: ServiceContext): number {
  return service.config.partitionsConcurrently ?? DEFAULT_PARTITIONS_CONCURRENTLY;
}

/** A graceful stop lets the pipeline's evaluations finish while the connections are still open. */
function stopEvaluationsFirst(options: MonitorServiceOptions, pipeline: () => { background: BackgroundEvaluations } | undefined) {
  return async (service: ServiceContext): Promise<void> => {
    await pipeline()?.background.stop();
    await options.onStop?.(service);
  };
}

function monitorState(service: ServiceContext): MonitorState {
  const state =
    service.store.mode === 'distributed' ? new RedisMonitorState(service.store.redis) : new MemoryMonitorState(service.store.keyspace);
  return countedState(state, service.metrics.redisCalls);
}

export function startPerformanceService(options: MonitorServiceOptions): Promise<ServiceHandle> {
  const groupId = options.groupId ?? defaultGroupId(options.config.topics.prefix, PERFORMANCE_GROUP);
  let pipeline: PerformancePipeline | undefined;
  return runService({
    ...options,
    name: 'performance',
    onStop: stopEvaluationsFirst(options, () => pipeline),
    // The join and the outcomes never read a prediction's features: avsc skips their bytes.
    predictionView: 'withoutFeatures',
    subscriptions: (service) => {
      pipeline = new PerformancePipeline({ service, state: monitorState(service), config: options.monitoring, groupId });
      options.onPipeline?.(pipeline);
      // One group for both topics: equal partition counts and the same key put a
      // prediction and its label on the same partition number, and the co-partitioned
      // assignment gives both to one member, whose memory holds the join.
      return [
        {
          groupId,
          topics: [service.topics.predictions, service.topics.labels],
          handler: pipeline.handleBatch,
          trackProgress: true,
          coPartitioned: true,
          rebuild: pipeline.rebuild,
          probes: { joinMemory: pipeline.budgetProbe, joinReplay: pipeline.replayProbe, evaluations: pipeline.background.probe() },
          partitionsConcurrently: partitionsConcurrently(service),
        },
      ];
    },
  });
}

export function startDriftService(options: MonitorServiceOptions): Promise<ServiceHandle> {
  const groupId = options.groupId ?? defaultGroupId(options.config.topics.prefix, DRIFT_GROUP);
  let pipeline: DriftPipeline | undefined;
  return runService({
    ...options,
    name: 'drift',
    onStop: stopEvaluationsFirst(options, () => pipeline),
    // The feature values are read from the message bytes (featureDeltasFromBytes): avsc skips the feature maps.
    predictionView: 'withoutFeatures',
    subscriptions: (service) => {
      pipeline = new DriftPipeline({ service, state: monitorState(service), config: options.monitoring, groupId });
      options.onPipeline?.(pipeline);
      return [
        {
          groupId,
          topics: [service.topics.predictions],
          handler: pipeline.handleBatch,
          trackProgress: true,
          partitionsConcurrently: partitionsConcurrently(service),
          probes: { evaluations: pipeline.background.probe() },
        },
        // Every instance reads every model event (its own group), so each one's reference cache follows.
        { groupId: `${groupId}-models-${randomUUID()}`, topics: [service.topics.models], handler: pipeline.handleModelEvents },
      ];
    },
  });
}
