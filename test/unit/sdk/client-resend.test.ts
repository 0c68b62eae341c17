// The SDK's re-sends after an incomplete publish (issue 9): exactly the unconfirmed messages go
// again, flagged `dw-resent` with the first send's time and stamped with that same time, a
// bounded number of times with backoff; what stays unconfirmed is reported with indices into
// the caller's records and can be re-sent later with client.resend(error).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BusClosedError, PublishIncompleteError, UnknownTopicError } from '../../../shared/bus/errors.js';
import { RESENT_HEADER } from '../../../shared/bus/resent-header.js';
import type { EventBus, OutgoingMessage } from '../../../shared/bus/types.js';
import { SCHEMA_HEADER } from '../../../shared/codec/index.js';
import { DriftwatchClient, type ClientOptions, type RetryInfo } from '../../../shared/sdk/client.js';
import type { PredictionRecord } from '../../../shared/sdk/records.js';

interface Call {
  topic: string;
  messages: OutgoingMessage[];
}

/**
 * A bus whose n-th publish answers with `script[n]`: the keys it leaves unconfirmed (a
 * PublishIncompleteError with their indices in that publish), an error to throw, or nothing.
 */
function scriptedBus(script: (string[] | Error | undefined)[]): { bus: EventBus; calls: Call[] } {
  const calls: Call[] = [];
  const bus = {
    publish: async (topic: string, messages: OutgoingMessage[]) => {
      const answer = script[calls.length];
      calls.push({ topic, messages });
      if (answer instanceof Error) throw answer;
      if (answer === undefined || answer.length === 0) return;
      const unconfirmed = messages.flatMap((m, i) => (answer.includes(m.key!) ? [i] : []));
      throw new PublishIncompleteError(topic, [0], unconfirmed, messages.length, 3);
    },
  } as unknown as EventBus;
  return { bus, calls };
}

const records = (count: number): PredictionRecord[] =>
  Array.from({ length: count }, (_, i) => ({ id: `r${i}`, model: 'churn', modelVersion: '1', features: { x: i }, predictedClass: 'yes' }));

function client(script: (string[] | Error | undefined)[], options: Partial<ClientOptions> = {}) {
  const { bus, calls } = scriptedBus(script);
  const retries: RetryInfo[] = [];
  const c = new DriftwatchClient({ bus, resendBackoffMs: 1, onRetry: (info) => retries.push(info), ...options });
  return { client: c, calls, retries };
}

const keys = (call: Call | undefined) => call?.messages.map((m) => m.key);
const header = (m: OutgoingMessage) => m.headers?.[RESENT_HEADER];

afterEach(() => {
  vi.useRealTimers();
});

describe('DriftwatchClient re-sends', () => {
  it('stamps every message with the first send\'s time and re-sends exactly the unconfirmed ones, flagged, same stamp and bytes', async () => {
    const { client: c, calls, retries } = client([['r1', 'r4']]);
    const before = Date.now();
    await c.logPredictions(records(6));
    const after = Date.now();

    expect(calls).toHaveLength(2);
    const [first, second] = calls as [Call, Call];
    const stamp = first.messages[0]!.timestamp!;
    expect(stamp).toBeGreaterThanOrEqual(before);
    expect(stamp).toBeLessThanOrEqual(after);
    expect(first.messages.every((m) => m.timestamp === stamp && header(m) === undefined)).toBe(true);

    expect(keys(second)).toEqual(['r1', 'r4']);
    for (const copy of second.messages) {
      const original = first.messages.find((m) => m.key === copy.key)!;
      expect(copy.timestamp).toBe(stamp);
      expect(header(copy)).toBe(String(stamp));
      expect(copy.value.equals(original.value)).toBe(true);
      expect(copy.headers?.[SCHEMA_HEADER]).toEqual(original.headers?.[SCHEMA_HEADER]);
    }
    expect(retries).toEqual([{ topic: 'dw.predictions', attempt: 1, unconfirmed: 2, error: expect.any(PublishIncompleteError) }]);
  });

  it('bounds the re-sends, reports the rest with indices into the records, and resend(error) sends them once', async () => {
    const { client: c, calls, retries } = client([['r1', 'r3', 'r5'], ['r3', 'r5'], ['r5'], undefined], { resendAttempts: 2 });
    const error = await c.logPredictions(records(6)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(PublishIncompleteError);
    const incomplete = error as PublishIncompleteError;
    // r5 is the caller's record 5, though it was index 1 of the last publish.
    expect(incomplete.unconfirmed).toEqual([5]);
    expect(incomplete.total).toBe(6);
    expect(incomplete.topic).toBe('dw.predictions');
    expect(calls.map(keys)).toEqual([['r0', 'r1', 'r2', 'r3', 'r4', 'r5'], ['r1', 'r3', 'r5'], ['r3', 'r5']]);
    expect(retries.map(({ attempt, unconfirmed }) => ({ attempt, unconfirmed }))).toEqual([
      { attempt: 1, unconfirmed: 3 },
      { attempt: 2, unconfirmed: 2 },
    ]);

    await c.resend(incomplete);
    const stamp = calls[0]!.messages[0]!.timestamp!;
    expect(keys(calls[3])).toEqual(['r5']);
    expect(calls[3]!.messages.map((m) => [m.timestamp, header(m)])).toEqual([[stamp, String(stamp)]]);

    // Once only, and only errors of this client.
    const again = await c.resend(incomplete).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(Error);
    expect(again).not.toBeInstanceOf(TypeError);
    expect((again as Error).message).toMatch(/not produced by this client, or was already re-sent/);
    const foreign = new PublishIncompleteError('dw.predictions', [0], [0], 1, 3);
    await expect(c.resend(foreign)).rejects.toThrow(/not produced by this client/);
    await expect(client([]).client.resend(incomplete)).rejects.toThrow(/not produced by this client/);
    expect(calls).toHaveLength(4);
  });

  it('a resend() that fails again rejects with a new error for what is left, itself re-sendable', async () => {
    const { client: c, calls } = client([['r0', 'r2'], ['r0', 'r2'], ['r2'], ['r2'], undefined], { resendAttempts: 1 });
    const first = (await c.logLabels([0, 1, 2].map((i) => ({ predictionId: `r${i}`, model: 'churn', trueClass: 'no' }))).catch((e: unknown) => e)) as PublishIncompleteError;
    expect(first.unconfirmed).toEqual([0, 2]);
    const second = (await c.resend(first).catch((e: unknown) => e)) as PublishIncompleteError;
    expect(second).toBeInstanceOf(PublishIncompleteError);
    expect(second.unconfirmed).toEqual([2]);
    await c.resend(second);
    expect(calls.map(keys)).toEqual([['r0', 'r1', 'r2'], ['r0', 'r2'], ['r0', 'r2'], ['r2'], ['r2']]);
    expect(calls.every((call) => call.topic === 'dw.labels')).toBe(true);
    const stamp = calls[0]!.messages[0]!.timestamp!;
    expect(calls.slice(1).flatMap((call) => call.messages).every((m) => m.timestamp === stamp && header(m) === String(stamp))).toBe(true);
  });

  it('does not retry other errors: a failed first send rejects with its own error; one during a re-send keeps the rest re-sendable', async () => {
    const unknown = client([new UnknownTopicError('dw.predictions')]);
    await expect(unknown.client.logPredictions(records(3))).rejects.toBeInstanceOf(UnknownTopicError);
    expect(unknown.calls).toHaveLength(1);
    expect(unknown.retries).toHaveLength(0);

    const closed = client([['r1'], new BusClosedError(), undefined]);
    const error = (await closed.client.logPredictions(records(3)).catch((e: unknown) => e)) as PublishIncompleteError;
    expect(error).toBeInstanceOf(PublishIncompleteError);
    expect(error.unconfirmed).toEqual([1]);
    expect(error.cause).toBeInstanceOf(BusClosedError);
    expect(closed.calls).toHaveLength(2);
    expect(closed.retries).toHaveLength(1);
    await closed.client.resend(error);
    expect(keys(closed.calls[2])).toEqual(['r1']);
  });

  it('with resendAttempts 0 reports the first failure at once', async () => {
    const { client: c, calls, retries } = client([['r0']], { resendAttempts: 0 });
    const error = (await c.logPredictions(records(2)).catch((e: unknown) => e)) as PublishIncompleteError;
    expect(error.unconfirmed).toEqual([0]);
    expect(calls).toHaveLength(1);
    expect(retries).toHaveLength(0);
  });

  it('waits resendBackoffMs before the first re-send, doubling, at most 5 s', async () => {
    vi.useFakeTimers();
    const { client: c, calls } = client([['r0'], ['r0'], ['r0'], undefined], { resendBackoffMs: 2_000, resendAttempts: 3 });
    const done = c.logPredictions(records(1));
    const sendsAfter = async (ms: number) => {
      await vi.advanceTimersByTimeAsync(ms);
      return calls.length;
    };
    expect(await sendsAfter(0)).toBe(1);
    expect(await sendsAfter(1_999)).toBe(1);
    expect(await sendsAfter(1)).toBe(2);
    expect(await sendsAfter(3_999)).toBe(2);
    expect(await sendsAfter(1)).toBe(3);
    // 8 s doubled, capped at 5 s.
    expect(await sendsAfter(4_999)).toBe(3);
    expect(await sendsAfter(1)).toBe(4);
    await done;
  });
});
