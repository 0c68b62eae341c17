import { describe, expect, it } from 'vitest';
import type { Alert } from '../../../shared/codec/events.generated.js';
import { backoffDelay, deliverWithRetries, worstCaseDeliveryMs } from '../../../shared/notify/retry.js';
import { DeliveryError, type Sink } from '../../../shared/notify/sink.js';
import { sampleAlert } from './sample-alert.js';

const policy = { maxAttempts: 5, backoffMs: 100, maxBackoffMs: 1_000 };

/** A sink answering from a script: an error to throw per attempt, or nothing once delivered. */
function scriptedSink(script: (DeliveryError | Error | null)[]): Sink & { calls: Alert[] } {
  const calls: Alert[] = [];
  return {
    name: 'scripted',
    kind: 'test',
    calls,
    deliver: async (alert) => {
      calls.push(alert);
      const next = script.shift();
      if (next) throw next;
    },
  };
}

describe('backoff', () => {
  it('doubles from the base up to the cap, shortened by at most a fifth at random', () => {
    const none = () => 0;
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(policy, attempt, undefined, none))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect(backoffDelay(policy, 1, undefined, () => 1)).toBe(80);
  });

  it('waits at least what Retry-After asked, never past the cap', () => {
    expect(backoffDelay(policy, 1, 500, () => 0)).toBe(500);
    expect(backoffDelay(policy, 1, 60_000, () => 0)).toBe(1_000);
  });

  it('bounds a whole delivery by attempts × timeout plus the waits', () => {
    expect(worstCaseDeliveryMs({ ...policy, timeoutMs: 2_000 })).toBe(5 * 2_000 + 100 + 200 + 400 + 800);
  });
});

describe('deliverWithRetries', () => {
  const signal = new AbortController().signal;

  it('retries retryable failures with growing waits until delivered', async () => {
    const sink = scriptedSink([new DeliveryError('HTTP 500', false), new DeliveryError('HTTP 503', false), null]);
    const waits: number[] = [];
    const result = await deliverWithRetries(sink, sampleAlert(), policy, signal, { wait: async (ms) => void waits.push(ms), random: () => 0 });
    expect(result).toEqual({ delivered: true, attempts: 3 });
    expect(waits).toEqual([100, 200]);
    expect(sink.calls).toHaveLength(3);
  });

  it('gives up after maxAttempts with the last reason', async () => {
    const sink = scriptedSink(Array.from({ length: 5 }, (_, i) => new DeliveryError(`HTTP 50${i}`, false)));
    const result = await deliverWithRetries(sink, sampleAlert(), policy, signal, { wait: async () => {} });
    expect(result).toEqual({ delivered: false, attempts: 5, permanent: false, reason: 'gave up after 5 attempts: HTTP 504' });
  });

  it('stops at once on a permanent refusal', async () => {
    const sink = scriptedSink([new DeliveryError('HTTP 404: no_service', true)]);
    const result = await deliverWithRetries(sink, sampleAlert(), policy, signal, { wait: async () => {} });
    expect(result).toEqual({ delivered: false, attempts: 1, permanent: true, reason: 'refused after 1 attempt (permanent): HTTP 404: no_service' });
    expect(sink.calls).toHaveLength(1);
  });

  it('takes an unexpected error as retryable', async () => {
    const sink = scriptedSink([new TypeError('boom'), null]);
    const result = await deliverWithRetries(sink, sampleAlert(), policy, signal, { wait: async () => {} });
    expect(result).toEqual({ delivered: true, attempts: 2 });
  });

  it('throws, rather than reports, a delivery cut short by stopping', async () => {
    const controller = new AbortController();
    const sink = scriptedSink([new DeliveryError('request failed: aborted (stopping)', false)]);
    controller.abort(new Error('stopping'));
    await expect(deliverWithRetries(sink, sampleAlert(), policy, controller.signal, { wait: async () => {} })).rejects.toThrow('stopping');
  });
});
