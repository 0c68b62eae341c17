// Delivers one alert to one sink with bounded retries and exponential backoff. A permanent
// refusal (DeliveryError.permanent: a 4xx other than 408/425/429) ends at once; so does the
// service stopping (the abort signal), which is thrown, not returned: the batch is then left
// uncommitted and the next owner of the partition delivers.
import type { Alert } from '../codec/events.generated.js';
import { scrubSecrets } from '../log/logger.js';
import type { DeliveryPolicy } from './notify-config.js';
import { DeliveryError, type Sink } from './sink.js';

export type DeliveryResult =
  | { delivered: true; attempts: number }
  | { delivered: false; attempts: number; permanent: boolean; reason: string };

export interface RetryHooks {
  /** Waits between attempts; rejects when the service stops meanwhile. */
  wait(ms: number): Promise<void>;
  onRetry?(attempt: number, error: DeliveryError, delayMs: number): void;
  /** 0..1; default Math.random. */
  random?: () => number;
}

export async function deliverWithRetries(
  sink: Sink,
  alert: Alert,
  policy: Pick<DeliveryPolicy, 'maxAttempts' | 'backoffMs' | 'maxBackoffMs'>,
  signal: AbortSignal,
  hooks: RetryHooks,
): Promise<DeliveryResult> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await sink.deliver(alert, signal);
      return { delivered: true, attempts: attempt };
    } catch (thrown) {
      if (signal.aborted) throw signal.reason ?? thrown;
      const error = thrown instanceof DeliveryError ? thrown : new DeliveryError(scrubSecrets(String((thrown as Error)?.message ?? thrown)), false);
      if (error.permanent || attempt >= policy.maxAttempts) {
        const why = error.permanent ? `refused after ${attempt} attempt${attempt === 1 ? '' : 's'} (permanent)` : `gave up after ${attempt} attempts`;
        return { delivered: false, attempts: attempt, permanent: error.permanent, reason: `${why}: ${error.message}` };
      }
      const delayMs = backoffDelay(policy, attempt, error.retryAfterMs, hooks.random ?? Math.random);
      hooks.onRetry?.(attempt, error, delayMs);
      await hooks.wait(delayMs);
    }
  }
}

/**
 * The wait after failed attempt `attempt` (1-based): backoff × 2^(attempt-1), at least what a
 * Retry-After asked, at most maxBackoff, less up to a fifth at random so that the alerts a
 * recovering endpoint failed together do not all come back in the same instant.
 */
export function backoffDelay(
  policy: Pick<DeliveryPolicy, 'backoffMs' | 'maxBackoffMs'>,
  attempt: number,
  retryAfterMs: number | undefined,
  random: () => number,
): number {
  const exponential = policy.backoffMs * 2 ** (attempt - 1);
  const wanted = Math.min(policy.maxBackoffMs, Math.max(exponential, retryAfterMs ?? 0));
  return Math.round(wanted * (1 - 0.2 * random()));
}

/** Longest a delivery with retries can take: the claim must outlive it (else another instance takes over). */
export function worstCaseDeliveryMs(policy: Pick<DeliveryPolicy, 'maxAttempts' | 'backoffMs' | 'maxBackoffMs' | 'timeoutMs'>): number {
  let total = policy.maxAttempts * policy.timeoutMs;
  for (let attempt = 1; attempt < policy.maxAttempts; attempt += 1) total += Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** (attempt - 1));
  return total;
}
