// The one interface every notification sink implements, and the error a delivery throws.
// A sink turns an alert into one request to one destination; retries, deduplication and dead
// letters are the dispatcher's (dispatch.ts), so a sink is a formatter plus a POST.
import type { Alert } from '../codec/events.generated.js';

export interface Sink {
  /** Unique among the configured sinks: names its metrics, its Redis records and its dead letters. */
  readonly name: string;
  /** Which kind of sink (webhook, slack, alertmanager): a key of the registry (sink-kinds.ts). */
  readonly kind: string;
  /** Delivers the alert once; throws a DeliveryError (or any error, taken as retryable) when it did not arrive. */
  deliver(alert: Alert, signal: AbortSignal): Promise<void>;
}

/**
 * Why a delivery did not arrive. `permanent`: sending the same request again cannot help (the
 * destination refused it: a bad URL, token or payload), so the dispatcher dead-letters at once.
 * `retryAfterMs`: the destination asked to wait this long (Retry-After).
 */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';

  constructor(
    message: string,
    readonly permanent: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}
