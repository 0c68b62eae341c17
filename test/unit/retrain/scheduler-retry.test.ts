// Issue 9, retries of a retrain that failed transiently, in the scheduler's own logic: a fake job
// (scripted outcomes, the job's wording through failureOutcome), the in-memory queue and locks on
// a stepped clock. The trigger stays pending after a transient failure and runs again at its
// retry time; a success, a final failure or the last attempt clears it.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Incident, IncidentTrigger } from '../../../shared/codec/index.js';
import { MemoryRetrainLocks } from '../../../shared/retrain/memory-retrain-locks.js';
import { MemoryRetrainQueue } from '../../../shared/retrain/memory-retrain-queue.js';
import type { RetrainRequest } from '../../../shared/retrain/retrain-job.js';
import { failureOutcome, type RetrainRetryPolicy } from '../../../shared/retrain/retry-policy.js';
import { RetrainScheduler } from '../../../shared/retrain/scheduler.js';
import { MemoryKeyspace } from '../../../shared/store/memory-store.js';

const logger = pino({ level: 'silent' });
const T = 1_700_000_000_000;
const policy: RetrainRetryPolicy = { initialDelayMs: 30_000, maxDelayMs: 600_000, maxAttempts: 5 };
const record = { debounceMs: 10_000, cooldownMs: 600_000 };

type Outcome = 'transient' | 'final' | 'promoted' | 'transient-and-lose-lock';

const trigger = (alertId: string | null): IncidentTrigger => ({
  alertId, kind: alertId === null ? 'MANUAL' : 'CONCEPT_DRIFT', severity: null, metric: null, feature: null, value: null, threshold: null, windowStart: null, windowEnd: null,
});

function harness(outcomes: Outcome[], retry: RetrainRetryPolicy = policy) {
  let clock = T;
  const keyspace = new MemoryKeyspace({ now: () => clock });
  const queue = new MemoryRetrainQueue(keyspace, 'p.');
  const locks = new MemoryRetrainLocks(keyspace);
  const runs: { at: number; request: RetrainRequest; incident: Incident }[] = [];
  const scheduler = new RetrainScheduler({
    queue,
    locks,
    owner: 'me',
    lockTtlMs: 10_000,
    tickMs: 1_000,
    logger,
    now: () => clock,
    retryPolicy: () => retry,
    // The job's end, as runRetrain words it (failureOutcome), without reading any log.
    run: async (request) => {
      const outcome = outcomes[runs.length] ?? 'promoted';
      const id = `inc-${runs.length + 1}`;
      const transient = outcome === 'transient' || outcome === 'transient-and-lose-lock';
      const end = outcome === 'promoted' ? { reason: null, retryAt: null } : failureOutcome(transient ? 'connect ECONNREFUSED 127.0.0.1:9092' : 'x is not a function', transient, request.attempt, clock);
      const incident = { id, status: outcome === 'promoted' ? 'PROMOTED' : 'FAILED', reason: end.reason } as Incident;
      runs.push({ at: clock, request, incident });
      if (outcome === 'transient-and-lose-lock') {
        clock += 20_000; // the lock expired, and another instance took it
        await locks.acquire(request.model, 'other', 10_000);
      }
      return { incident, retryAt: end.retryAt };
    },
  });
  return {
    queue,
    runs,
    scheduler,
    at: async (time: number) => {
      clock = time;
      await scheduler.tick();
    },
  };
}

describe('scheduler: retries after transient failures', () => {
  it('keeps the trigger after a transient failure, runs it again at the retry time, and clears it after the success', async () => {
    const h = harness(['transient', 'promoted']);
    await h.queue.record('m', trigger('a1'), { ...record, now: T });
    await h.at(T + 10_000);
    expect(h.runs.map((r) => r.request.attempt)).toEqual([{ number: 1, of: 5, retryDelayMs: 30_000, retryOf: null }]);
    expect(h.runs[0]!.incident.reason).toBe(
      `connect ECONNREFUSED 127.0.0.1:9092 (transient failure, attempt 1 of 5; retry scheduled at ${new Date(T + 40_000).toISOString()})`,
    );
    expect(await h.queue.peek('m'), 'the trigger stays, due at the retry time').toMatchObject({ dueAt: T + 40_000, attempts: 1, retryOf: 'inc-1' });

    // No cooldown started (nothing finished): an alert during the wait joins the retry.
    expect(await h.queue.record('m', trigger('a2'), { ...record, now: T + 20_000 })).toEqual({ recorded: true, reason: 'appended', dueAt: T + 40_000 });
    await h.at(T + 39_999);
    expect(h.runs, 'not before the retry time').toHaveLength(1);

    await h.at(T + 40_000);
    expect(h.runs).toHaveLength(2);
    expect(h.runs[1]!.request.attempt).toEqual({ number: 2, of: 5, retryDelayMs: 60_000, retryOf: 'inc-1' });
    expect(h.runs[1]!.request.triggers.map((t) => t.alertId)).toEqual(['a1', 'a2']);
    expect(await h.queue.peek('m'), 'cleared after the success').toBeNull();
    // The retrain finished: the cooldown runs from here.
    expect(await h.queue.record('m', trigger('a3'), { ...record, now: T + 41_000 })).toMatchObject({ recorded: false, reason: 'cooldown' });
    await h.at(T + 10_000_000);
    expect(h.runs).toHaveLength(2);
  });

  it('a final failure clears the trigger at once, also after a transient one', async () => {
    const h = harness(['final']);
    await h.queue.record('m', trigger(null), { ...record, now: T, manual: true });
    await h.at(T);
    expect(h.runs[0]!.incident.reason).toBe('x is not a function');
    expect(await h.queue.peek('m')).toBeNull();

    const g = harness(['transient', 'final']);
    await g.queue.record('m', trigger(null), { ...record, now: T, manual: true });
    await g.at(T);
    expect(await g.queue.peek('m')).toMatchObject({ attempts: 1 });
    await g.at(T + 30_000);
    expect(g.runs).toHaveLength(2);
    expect(await g.queue.peek('m')).toBeNull();
    await g.at(T + 10_000_000);
    expect(g.runs).toHaveLength(2);
  });

  it('gives up after the last attempt: its incident says so, the trigger is cleared, nothing runs again', async () => {
    const h = harness(['transient', 'transient', 'transient', 'transient'], { initialDelayMs: 1_000, maxDelayMs: 1_500, maxAttempts: 3 });
    await h.queue.record('m', trigger(null), { ...record, now: T, manual: true });
    await h.at(T);
    await h.at(T + 1_000);
    expect(await h.queue.peek('m')).toMatchObject({ dueAt: T + 2_500, attempts: 2, retryOf: 'inc-2' });
    await h.at(T + 2_499);
    await h.at(T + 2_500);
    expect(h.runs.map((r) => [r.at - T, r.request.attempt.number, r.request.attempt.retryDelayMs, r.request.attempt.retryOf])).toEqual([
      [0, 1, 1_000, null],
      [1_000, 2, 1_500, 'inc-1'],
      [2_500, 3, null, 'inc-2'],
    ]);
    expect(h.runs.at(-1)!.incident.reason).toBe('gave up after 3 attempts: connect ECONNREFUSED 127.0.0.1:9092');
    expect(await h.queue.peek('m')).toBeNull();
    await h.at(T + 10_000_000);
    expect(h.runs).toHaveLength(3);
  });

  it('a run that lost its lock schedules nothing: the trigger stays as it was, for the lock holder', async () => {
    const h = harness(['transient-and-lose-lock']);
    await h.queue.record('m', trigger(null), { ...record, now: T, manual: true });
    await h.at(T);
    expect(h.runs).toHaveLength(1);
    expect(await h.queue.peek('m')).toMatchObject({ dueAt: T, attempts: 0, retryOf: null });
  });
});
