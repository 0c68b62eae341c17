// Poison isolation (issue 9): a batch whose apply fails is bisected so that exactly the
// offending message is dead-lettered (APPLY_FAILED) and the rest applied once, with each
// applied part fenced by its own last offset; an outage never dead-letters anything.
import { describe, expect, it } from 'vitest';
import { MemoryMonitorState } from '../../../shared/monitor-state/memory-monitor-state.js';
import { clockKey } from '../../../shared/monitor-state/requests.js';
import { modelKey } from '../../../shared/store/types.js';
import { watermarkTime } from '../../../shared/pipeline/clock.js';
import { APPLY_FAILED, applyIsolating, isTransientError } from '../../../shared/pipeline/isolate.js';
import { FakeState, MODEL, NOW, prediction, predictionsCounted, setup, TOPIC } from './performance-pipeline-fixture.js';

describe('applyIsolating', () => {
  const items = Array.from({ length: 37 }, (_, i) => i);

  it('applies every item but the poisoned ones, in order, and returns those with their error', async () => {
    const applied: number[] = [];
    const parts: { part: number[]; ends: boolean }[] = [];
    const poisoned = await applyIsolating(items, async (part, ends) => {
      if (part.includes(5) || part.includes(36)) throw new RangeError(`bad item in ${part.length}`);
      parts.push({ part: [...part], ends });
      applied.push(...part);
    });
    expect(poisoned.map((p) => p.item)).toEqual([5, 36]);
    expect(poisoned[0]!.error).toBeInstanceOf(RangeError);
    expect(applied).toEqual(items.filter((i) => i !== 5 && i !== 36));
    // Parts are contiguous runs in offset order; only a run ending with the last item says so.
    expect(parts.every(({ part, ends }) => ends === (part.at(-1) === 36))).toBe(true);
    for (let i = 1; i < parts.length; i++) expect(parts[i]!.part[0]!).toBeGreaterThan(parts[i - 1]!.part.at(-1)!);
  });

  it('costs one call when nothing fails', async () => {
    let calls = 0;
    expect(await applyIsolating(items, async (_part, ends) => void (calls++, expect(ends).toBe(true)))).toEqual([]);
    expect(calls).toBe(1);
  });

  it('blames no message for a failure that does not repeat on its own', async () => {
    let failures = 0;
    const poisoned = await applyIsolating([1, 2, 3], async (part) => {
      if (part.includes(2) && failures++ < 2) throw new TypeError('flaky');
    });
    expect(poisoned).toEqual([]);
  });

  it('stops at a transient failure and throws it: an outage dead-letters nothing', async () => {
    const outage = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:16379'), { code: 'ECONNREFUSED' });
    await expect(applyIsolating(items, async () => Promise.reject(outage))).rejects.toBe(outage);
    const closed = new Error('Connection is closed.');
    await expect(applyIsolating(items, async (part) => { if (part.length < 5) throw closed; throw new TypeError('x'); })).rejects.toBe(closed);
  });

  it('dead-letters only when the store answers: a failing probe fails the batch instead', async () => {
    const down = new Error('probe failed');
    await expect(
      applyIsolating([1, 2], async () => Promise.reject(new Error('ERR unexpected')), { probe: () => Promise.reject(down) }),
    ).rejects.toBe(down);
  });

  it('classifies outages and data errors', () => {
    for (const e of [
      Object.assign(new Error('x'), { name: 'MaxRetriesPerRequestError' }),
      Object.assign(new Error('x'), { name: 'KafkaJSNumberOfRetriesExceeded' }),
      new Error('LOADING Redis is loading the dataset in memory'),
      new Error('wrapped', { cause: Object.assign(new Error('y'), { code: 'ECONNRESET' }) }),
    ]) expect(isTransientError(e), e.message).toBe(true);
    for (const e of [new RangeError('probability of yes must be in [0, 1], got 1.15'), new TypeError('x'), Object.assign(new Error('bad'), { name: 'InvalidBatchError' }), 'text']) {
      expect(isTransientError(e)).toBe(false);
    }
  });
});

describe('watermarkTime', () => {
  it('ignores event times beyond the latest accepted one', () => {
    expect(watermarkTime([10, 2_000_000_000_000, 30], 1_000)).toBe(30);
    expect(watermarkTime([2_000_000_000_000], 1_000)).toBe(0);
  });
});

// ---- the performance pipeline over a fake state whose apply throws on one poisoned message ----

describe('PerformancePipeline bisection', () => {
  const events = Array.from({ length: 200 }, (_, i) => prediction(i));

  it('dead-letters exactly the poisoned message once, applies the other 199 once in one fenced call', async () => {
    const state = new FakeState();
    const poisoned = events.map((e, i) => (i === 137 ? { ...e, classProbabilities: { yes: -0.5, no: 1.5 } } : e));
    const { pipeline, batch, letters } = setup(poisoned, state);
    await pipeline.handleBatch(batch);
    expect(letters.map((l) => [l.message.offset, l.error.reason])).toEqual([[237, APPLY_FAILED]]);
    expect(letters[0]!.error.message).toMatch(/^RangeError: probability of yes must be in \[0, 1\], got -0.5/);
    expect(await predictionsCounted(state)).toBe(199);
    // A probe for the recorded offsets, then one apply fenced by them that records the batch's last offset.
    expect(state.calls).toEqual([
      { expected: null, offset: batch.lastOffset, applied: false },
      { expected: { own: -1, paired: -1 }, offset: batch.lastOffset, applied: true },
    ]);

    // A redelivery (a crash before the commit) applies nothing twice and dead-letters nothing again.
    await pipeline.handleBatch(batch);
    expect(await predictionsCounted(state)).toBe(199);
    expect(letters).toHaveLength(1);
  });

  it('isolates a real poison the codec would refuse: probability 1.15 (the RangeError of issue 9)', async () => {
    const state = new MemoryMonitorState();
    const poisoned = events.map((e, i) => (i === 42 ? { ...e, classProbabilities: { yes: 1.15, no: 0 } } : e));
    const { pipeline, batch, letters } = setup(poisoned, state);
    await pipeline.handleBatch(batch);
    expect(letters.map((l) => [l.message.offset, l.error.reason])).toEqual([[142, APPLY_FAILED]]);
    expect(letters[0]!.error.message).toMatch(/^RangeError: probability of yes must be in \[0, 1\], got 1.15/);
    expect(await predictionsCounted(state)).toBe(199);
  });

  it('an outage dead-letters nothing: the batch fails (retriable) and applies once when the store is back', async () => {
    const state = new FakeState();
    state.outage = true;
    const { pipeline, batch, letters } = setup(events, state);
    await expect(pipeline.handleBatch(batch)).rejects.toThrow('Connection is closed.');
    expect(letters).toEqual([]);
    state.outage = false;
    await pipeline.handleBatch(batch);
    expect(letters).toEqual([]);
    expect(await predictionsCounted(state)).toBe(200);
  });

  it('does not let a far-future event move the watermark', async () => {
    const state = new MemoryMonitorState();
    const { pipeline, batch } = setup([prediction(1), prediction(2, { eventTime: Date.UTC(2034, 0, 1) })], state);
    await pipeline.handleBatch(batch);
    const clock = state.keyspace.get(modelKey(MODEL, clockKey('perf')))?.fields;
    expect(clock?.get(`pp|${TOPIC}|0`)).toBe(NOW - 60_000 + 1);
  });
});
