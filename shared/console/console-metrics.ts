// The console's Prometheus series, on a registry of its own with the `service` label and the
// process metrics, as every service's (shared/runtime/metrics.ts); the monitors' batch, Redis
// and dead-letter series would only be zeros here, so they are left out.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { HistorySizes } from './console-history.js';

export interface ConsoleMetrics {
  readonly registry: Registry;
  readonly eventsApplied: Counter<'topic'>;
  readonly malformed: Counter<'topic' | 'reason'>;
  readonly sseClients: Gauge;
  readonly rebuildSeconds: Gauge;
}

export function createConsoleMetrics(sizes: () => HistorySizes, options: { processMetrics?: boolean } = {}): ConsoleMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'console' });
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  new Gauge({
    name: 'driftwatch_console_history_entries',
    help: 'Entries held in the console history, by kind (snapshots, alerts = alert keys, modelEvents, incidents).',
    labelNames: ['kind'] as const,
    registers,
    collect() {
      for (const [kind, n] of Object.entries(sizes())) this.set({ kind }, n);
    },
  });
  return {
    registry,
    eventsApplied: new Counter({
      name: 'driftwatch_console_events_applied_total',
      help: 'Events decoded and applied to the console history (rebuild and live), by source topic.',
      labelNames: ['topic'] as const,
      registers,
    }),
    malformed: new Counter({
      name: 'driftwatch_console_malformed_total',
      help: 'Messages the console could not decode or apply and skipped (not dead-lettered: the producers own that), by topic and reason.',
      labelNames: ['topic', 'reason'] as const,
      registers,
    }),
    sseClients: new Gauge({ name: 'driftwatch_console_sse_clients', help: 'Connected server-sent-event streams.', registers }),
    rebuildSeconds: new Gauge({ name: 'driftwatch_console_rebuild_seconds', help: 'How long the last rebuild of the history from the log took.', registers }),
  };
}
