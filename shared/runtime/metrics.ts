// Prometheus metrics of one service. Each service gets its own Registry rather than
// prom-client's global one, so the embedded process and the tests can run several services
// side by side without "metric already registered" clashes; the registry's default label
// `service` is added to every series, so callers never pass it (and cannot get it wrong).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Batch } from '../bus/types.js';

export interface ServiceMetrics {
  readonly service: string;
  readonly registry: Registry;
  readonly eventsConsumed: Counter<'topic'>;
  /** Messages behind the partition's high watermark after the last handled batch. */
  readonly consumerLag: Gauge<'topic' | 'partition'>;
  readonly deadLetters: Counter<'reason'>;
  /** Re-sent duplicates dropped (drift service, shared/pipeline/resent-duplicates.ts), by source topic. */
  readonly duplicates: Counter<'topic'>;
  /** Time a batch handler took, decode to commit-ready (the window update). */
  readonly windowUpdateSeconds: Histogram;
  readonly alerts: Counter<'kind' | 'status'>;
  readonly redisCalls: Counter<'script'>;
  readonly batchEvents: Histogram;
}

export interface ServiceMetricsOptions {
  /** Process metrics (CPU, memory, event-loop lag, GC). Default true. */
  processMetrics?: boolean;
}

export function createServiceMetrics(service: string, options: ServiceMetricsOptions = {}): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  const registers = [registry];
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  return {
    service,
    registry,
    eventsConsumed: new Counter({
      name: 'driftwatch_events_consumed_total',
      help: 'Messages consumed and handled (valid and dead-lettered), by source topic.',
      labelNames: ['topic'] as const,
      registers,
    }),
    consumerLag: new Gauge({
      name: 'driftwatch_consumer_lag',
      help: 'Messages between the last handled offset and the partition high watermark.',
      labelNames: ['topic', 'partition'] as const,
      registers,
    }),
    deadLetters: new Counter({
      name: 'driftwatch_dlq_total',
      help: 'Messages sent to the dead-letter topic, by reason.',
      labelNames: ['reason'] as const,
      registers,
    }),
    duplicates: new Counter({
      name: 'driftwatch_duplicates_total',
      help: 'Re-sent duplicate events dropped (counted once already), by source topic; per delivery, so a redelivered batch counts again.',
      labelNames: ['topic'] as const,
      registers,
    }),
    windowUpdateSeconds: new Histogram({
      name: 'driftwatch_window_update_seconds',
      help: 'Time to handle one batch: decode, state update in Redis, dead letters.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    alerts: new Counter({
      name: 'driftwatch_alerts_total',
      help: 'Alert transitions published, by kind and status.',
      labelNames: ['kind', 'status'] as const,
      registers,
    }),
    redisCalls: new Counter({
      name: 'driftwatch_redis_calls_total',
      help: 'Redis script calls (round trips), by script.',
      labelNames: ['script'] as const,
      registers,
    }),
    batchEvents: new Histogram({
      name: 'driftwatch_batch_events',
      help: 'Messages per consumed batch.',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      registers,
    }),
  };
}

/** Records a handled batch: consumed count, batch size, and the lag left behind it. */
export function recordHandledBatch(metrics: ServiceMetrics, batch: Batch): void {
  metrics.eventsConsumed.inc({ topic: batch.topic }, batch.messages.length);
  metrics.batchEvents.observe(batch.messages.length);
  if (batch.highWatermark !== undefined) {
    const lag = Math.max(0, batch.highWatermark - (batch.lastOffset + 1));
    metrics.consumerLag.set({ topic: batch.topic, partition: String(batch.partition) }, lag);
  }
}
