import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRAIN_POLICY } from '../../../shared/config/monitoring-config.js';
import { attemptOf, backoffMs, failureOutcome, type RetrainAttempt } from '../../../shared/retrain/retry-policy.js';

const policy = DEFAULT_RETRAIN_POLICY.retry;
const T = Date.UTC(2024, 0, 2, 3, 4, 5);

describe('retry backoff', () => {
  it('waits 30 s after the first transient failure and doubles, capped at 10 minutes', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffMs(n, policy))).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 600_000, 600_000]);
    // Far past the cap, 2^n overflows; the cap still holds.
    expect(backoffMs(5_000, policy)).toBe(600_000);
    expect(() => backoffMs(0, policy)).toThrow(RangeError);
  });

  it('numbers the runs of a pending trigger; the last one gets no retry', () => {
    expect(attemptOf({ attempts: 0, retryOf: null }, policy)).toEqual({ number: 1, of: 5, retryDelayMs: 30_000, retryOf: null });
    expect(attemptOf({ attempts: 3, retryOf: 'inc-4' }, policy)).toEqual({ number: 4, of: 5, retryDelayMs: 240_000, retryOf: 'inc-4' });
    expect(attemptOf({ attempts: 4, retryOf: 'inc-5' }, policy)).toEqual({ number: 5, of: 5, retryDelayMs: null, retryOf: 'inc-5' });
    // The policy was lowered below the count so far: this run is the last.
    expect(attemptOf({ attempts: 4, retryOf: 'inc-5' }, { ...policy, maxAttempts: 2 })).toMatchObject({ number: 5, retryDelayMs: null });
    // maxAttempts 1: retries off.
    expect(attemptOf({ attempts: 0, retryOf: null }, { ...policy, maxAttempts: 1 })).toMatchObject({ number: 1, of: 1, retryDelayMs: null });
  });
});

describe('what a failed run ends as', () => {
  const first: RetrainAttempt = { number: 1, of: 5, retryDelayMs: 30_000, retryOf: null };

  it('transient with attempts left: the reason says which attempt and when the retry is due', () => {
    expect(failureOutcome('EIO: i/o error, write', true, first, T)).toEqual({
      reason: 'EIO: i/o error, write (transient failure, attempt 1 of 5; retry scheduled at 2024-01-02T03:04:35.000Z)',
      retryAt: T + 30_000,
    });
  });

  it('transient on the last attempt: gave up after N attempts', () => {
    expect(failureOutcome('Connection is closed.', true, { number: 5, of: 5, retryDelayMs: null, retryOf: 'inc-4' }, T)).toEqual({
      reason: 'gave up after 5 attempts: Connection is closed.',
      retryAt: null,
    });
    expect(failureOutcome('Connection is closed.', true, { number: 1, of: 1, retryDelayMs: null, retryOf: null }, T).reason).toBe('gave up after 1 attempt: Connection is closed.');
  });

  it('final: the reason as it is, no retry', () => {
    expect(failureOutcome('x is not a function', false, first, T)).toEqual({ reason: 'x is not a function', retryAt: null });
  });
});
