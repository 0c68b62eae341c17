// What "can never be valid" depends on beyond an event's own bytes: the wall clock (an event
// time far in the future) and one setting, how far ahead of it an event time may lie. The
// codec takes them as this small policy instead of reading the clock or the environment
// itself: services build it from DW_MAX_EVENT_SKEW_MS (RuntimeConfig), the SDK uses the
// default, tests pass a fixed clock. The pipelines read the same policy to keep the
// watermark clear of far-future event times (see latestEventTime).

/** Default of DW_MAX_EVENT_SKEW_MS: one day. Producers' clocks are not that wrong; a year is a bug. */
export const DEFAULT_MAX_EVENT_SKEW_MS = 24 * 60 * 60 * 1000;

/**
 * Largest magnitude of a number that feeds a window statistic (numeric features, predicted
 * and true values). The largest statistic kept is a sum of squares over a window, e.g.
 * Σx² of a feature or Σ(y − ŷ)² (up to (2·bound)²) of a regression, over at most 2^53 events
 * (beyond that no counter is exact anyway). 2^53 · (2 · 1e145)² ≈ 3.6e306 stays below
 * Number.MAX_VALUE (1.8e308), so no window sum can overflow to Infinity, which Redis refuses
 * (HINCRBYFLOAT) and which made the 1e200 feature fail its batch forever. A tighter
 * bound (1e15, say) would refuse real data such as timestamps in microseconds or nanoseconds.
 */
export const MAX_ABS_NUMBER = 1e145;

export interface ValidationPolicy {
  /** The wall clock, milliseconds since the epoch. */
  now: () => number;
  /** How far past `now()` an event time may lie; further is INVALID (a producer bug). */
  maxEventSkewMs: number;
}

export const DEFAULT_VALIDATION_POLICY: ValidationPolicy = Object.freeze({
  now: () => Date.now(),
  maxEventSkewMs: DEFAULT_MAX_EVENT_SKEW_MS,
});

export function validationPolicy(options: Partial<ValidationPolicy> = {}): ValidationPolicy {
  const maxEventSkewMs = options.maxEventSkewMs ?? DEFAULT_MAX_EVENT_SKEW_MS;
  if (!Number.isSafeInteger(maxEventSkewMs) || maxEventSkewMs < 0) {
    throw new RangeError(`maxEventSkewMs must be a non-negative integer, got ${maxEventSkewMs}`);
  }
  return { now: options.now ?? DEFAULT_VALIDATION_POLICY.now, maxEventSkewMs };
}

/** The latest event time the policy accepts right now. */
export function latestEventTime(policy: ValidationPolicy): number {
  return policy.now() + policy.maxEventSkewMs;
}
