// The notifier's own series, on the service's registry (label `service` added by it).
import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * Outcomes of one (alert, sink): `delivered`; `dead_lettered` (refused or out of attempts);
 * `duplicate` (recorded done before: a redelivered batch, another instance); `filtered` (below
 * the sink's severity or not one of its kinds).
 */
export type DeliveryOutcome = 'delivered' | 'dead_lettered' | 'duplicate' | 'filtered';

export interface NotifyMetrics {
  deliveries: Counter<'sink' | 'outcome'>;
  /** First attempt to delivered or given up, retries and their waits included. */
  deliverySeconds: Histogram<'sink' | 'outcome'>;
  retries: Counter<'sink'>;
}

export function createNotifyMetrics(registry: Registry): NotifyMetrics {
  const registers = [registry];
  return {
    deliveries: new Counter({
      name: 'driftwatch_notify_deliveries_total',
      help: 'Alert transitions per sink, by outcome (delivered, dead_lettered, duplicate, filtered).',
      labelNames: ['sink', 'outcome'] as const,
      registers,
    }),
    deliverySeconds: new Histogram({
      name: 'driftwatch_notify_delivery_seconds',
      help: 'Time from the first attempt to delivered or dead-lettered, retries included, by sink and outcome.',
      labelNames: ['sink', 'outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    }),
    retries: new Counter({
      name: 'driftwatch_notify_retries_total',
      help: 'Delivery attempts that failed and were retried, by sink.',
      labelNames: ['sink'] as const,
      registers,
    }),
  };
}
