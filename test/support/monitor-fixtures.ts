// What the integration tests of the monitoring services share: consumer timings short enough
// for a test's rebalances, and a version's reference set up front (as the CLI upload does), so
// the drift service counts every prediction into windows from the first instead of collecting
// a reference sample.
import type { Codec, Prediction } from '../../shared/codec/index.js';
import type { ModelConfig } from '../../shared/config/monitoring-config.js';
import { buildReference, referenceToJSON } from '../../shared/monitor/reference-profile.js';
import type { PredictionRecord } from '../../shared/sdk/records.js';
import { toPredictionEvent } from '../../shared/sdk/records.js';

/** Session and rebalance timeouts of seconds, fetches of 100 ms: a test's group settles quickly. */
export const FAST_CONSUMER = { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 300, rebalanceTimeoutMs: 10_000, maxWaitTimeMs: 100 };

/** A binary model's reference built from `records` as the services would read them (encoded, then decoded). */
export function referenceOf(codec: Codec, records: readonly PredictionRecord[], settings: Pick<ModelConfig, 'bins' | 'maxCategories'>): string {
  const rows = records.map((record): Prediction => {
    const encoded = codec.encode('prediction', toPredictionEvent(record));
    return codec.decode('prediction', encoded.value, encoded.headers);
  });
  return referenceToJSON(buildReference(rows, { bins: settings.bins, maxCategories: settings.maxCategories, task: 'binary' }));
}
