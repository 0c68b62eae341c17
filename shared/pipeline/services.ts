// The two monitoring services as runService definitions. services/*/main.ts start one
// each as its own process; the embedded mode and `driftwatch replay` start both in one
// process on a shared MemoryBus and MemoryKeyspace.
import { randomUUID } from 'node:crypto';
import type { MonitoringConfig } from '../config/monitoring-config.js';
import { MemoryMonitorState } from '../monitor-state/memory-monitor-state.js';
import { RedisMonitorState } from '../monitor-state/redis-monitor-state.js';
import type { MonitorState } from '../monitor-state/types.js';
import { runService, type RunServiceOptions, type ServiceContext, type ServiceHandle } from '../runtime/run-service.js';
import { DriftPipeline } from './drift-pipeline.js';
import { PerformancePipeline } from './performance-pipeline.js';

export const PERFORMANCE_GROUP = 'dw-performance';
export const DRIFT_GROUP = 'dw-drift';

export type MonitorServiceOptions = Omit<RunServiceOptions, 'name' | 'subscriptions' | 'onStart'> & {
  monitoring: MonitoringConfig;
  /** Overrides the consumer group (tests run several independent monitors on one broker). */
  groupId?: string;
};

function monitorState(service: ServiceContext): MonitorState {
  return service.store.mode === 'distributed'
    ? new RedisMonitorState(service.store.redis)
    : new MemoryMonitorState(service.store.keyspace);
}

export function startPerformanceService(options: MonitorServiceOptions): Promise<ServiceHandle> {
  const groupId = options.groupId ?? PERFORMANCE_GROUP;
  return runService({
    ...options,
    name: 'performance',
    subscriptions: (service) => {
      const pipeline = new PerformancePipeline({ service, state: monitorState(service), config: options.monitoring, groupId });
      // One group for both topics: equal partition counts and the same key put a
      // prediction and its label on the same partition number.
      return [{ groupId, topics: [service.topics.predictions, service.topics.labels], handler: pipeline.handleBatch }];
    },
  });
}

export function startDriftService(options: MonitorServiceOptions): Promise<ServiceHandle> {
  const groupId = options.groupId ?? DRIFT_GROUP;
  return runService({
    ...options,
    name: 'drift',
    subscriptions: (service) => {
      const pipeline = new DriftPipeline({ service, state: monitorState(service), config: options.monitoring, groupId });
      return [
        { groupId, topics: [service.topics.predictions], handler: pipeline.handleBatch },
        // Every instance reads every model event (its own group), so each one's reference cache follows.
        { groupId: `${groupId}-models-${randomUUID()}`, topics: [service.topics.models], handler: pipeline.handleModelEvents },
      ];
    },
  });
}
