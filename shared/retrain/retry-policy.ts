// Retries of a retrain that failed transiently (issue 9): which attempt a run is, how long after
// its failure the next one is due, and what its FAILED incident says. Pure, no I/O.
//
// The wait doubles from `initialDelayMs` up to `maxDelayMs`; a pending trigger gets
// `maxAttempts` runs in all (defaults 30 s, 10 min, 5: waits of 30 s, 1 min, 2 min, 4 min, about
// 7.5 minutes of outage covered). The count lives with the pending trigger in Redis
// (retry-trigger.lua) and only the end of the pending trigger resets it: a success, a final
// failure, or giving up. A new alert merging into it meanwhile does not, so a drift whose
// alerts keep firing cannot keep a broken retrain looping.
import type { RetrainRetryPolicy } from '../config/monitoring-config.js';
import type { PendingTrigger } from './retrain-queue.js';

export type { RetrainRetryPolicy } from '../config/monitoring-config.js';

/** One run's place among the runs of its pending trigger; the scheduler hands it to the job. */
export interface RetrainAttempt {
  /** 1 for the first run; one more after each transient failure. */
  number: number;
  /** Runs allowed in all. */
  of: number;
  /** How long after a transient failure of this run the next one is due; null when this is the last. */
  retryDelayMs: number | null;
  /** The FAILED incident of the previous run, which this run retries; null on the first. */
  retryOf: string | null;
}

/** The first run of a trigger, with no retry: for callers outside the scheduler. */
export const SINGLE_ATTEMPT: RetrainAttempt = { number: 1, of: 1, retryDelayMs: null, retryOf: null };

/** The wait after the `failures`-th transient failure (1-based): initial × 2^(failures−1), capped. */
export function backoffMs(failures: number, policy: RetrainRetryPolicy): number {
  if (!Number.isSafeInteger(failures) || failures < 1) throw new RangeError(`failures must be a positive integer, got ${failures}`);
  // 2^failures overflows to Infinity long after the cap is reached; min() still gives the cap.
  return Math.min(policy.initialDelayMs * 2 ** (failures - 1), policy.maxDelayMs);
}

/** The attempt the next run of `pending` is. A policy lowered below the count so far makes it the last. */
export function attemptOf(pending: Pick<PendingTrigger, 'attempts' | 'retryOf'>, policy: RetrainRetryPolicy): RetrainAttempt {
  const number = pending.attempts + 1;
  return {
    number,
    of: policy.maxAttempts,
    retryDelayMs: number < policy.maxAttempts ? backoffMs(number, policy) : null,
    retryOf: pending.retryOf,
  };
}

/**
 * What a run that failed with `reason` ends as: a FAILED incident whose reason says whether and
 * when it is retried, and the time the retry is due (null when there is none).
 */
export function failureOutcome(reason: string, transient: boolean, attempt: RetrainAttempt, now: number): { reason: string; retryAt: number | null } {
  if (!transient) return { reason, retryAt: null };
  if (attempt.retryDelayMs === null) {
    return { reason: `gave up after ${attempt.number} attempt${attempt.number === 1 ? '' : 's'}: ${reason}`, retryAt: null };
  }
  const retryAt = now + attempt.retryDelayMs;
  return {
    reason: `${reason} (transient failure, attempt ${attempt.number} of ${attempt.of}; retry scheduled at ${new Date(retryAt).toISOString()})`,
    retryAt,
  };
}
