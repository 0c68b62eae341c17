// Events an evaluation records for publishing: encoded now, published from the outbox.
import type { AlertInput, Codec, MetricsSnapshotInput } from '../codec/index.js';
import type { OutboxEntry } from '../monitor-state/types.js';

export function alertOutboxEntry(codec: Codec, alert: AlertInput): OutboxEntry {
  const { value, headers } = codec.encode('alert', alert);
  return { topic: 'alerts', key: alert.key, value, headers };
}

export function snapshotOutboxEntry(codec: Codec, snapshot: MetricsSnapshotInput): OutboxEntry {
  const { value, headers } = codec.encode('metricsSnapshot', snapshot);
  return { topic: 'metrics', key: snapshot.model, value, headers };
}
