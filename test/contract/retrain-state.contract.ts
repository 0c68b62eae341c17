// The retrain lock and trigger queue contract, one suite run against Redis (the Lua scripts)
// and the in-memory twin: the retrainer relies on exactly these properties in both modes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentTrigger } from '../../shared/codec/events.generated.js';
import type { RetrainLocks } from '../../shared/retrain/retrain-lock.js';
import { TRIGGER_CAP, type RetrainQueue } from '../../shared/retrain/retrain-queue.js';
import { uniqueName } from '../setup/env.js';

export interface RetrainStateHarness {
  locks: RetrainLocks;
  queue: RetrainQueue;
  /** Lets the lock clock run (real time on Redis, a stepped clock in memory). */
  elapse(ms: number): Promise<void>;
  close?(): Promise<void>;
}

const trigger = (alertId: string | null, kind = 'CONCEPT_DRIFT', value: number | null = 0.12345678901234568): IncidentTrigger => ({
  alertId, kind, severity: 'WARNING', metric: null, feature: null, value, threshold: null, windowStart: 1_700_000_000_000, windowEnd: null,
});

export function describeRetrainStateContract(name: string, create: () => Promise<RetrainStateHarness>): void {
  describe(`retrain state contract: ${name}`, () => {
    let h: RetrainStateHarness;
    beforeAll(async () => {
      h = await create();
    });
    afterAll(async () => {
      await h?.close?.();
    });
    const model = () => uniqueName('retrain-state');
    const T = 1_700_000_000_000;

    describe('lock', () => {
      it('is exclusive, and tokens strictly increase across acquisitions', async () => {
        const m = model();
        const first = await h.locks.acquire(m, 'a', 10_000);
        expect(first).toBe(1);
        expect(await h.locks.acquire(m, 'b', 10_000)).toBeNull();
        expect(await h.locks.acquire(m, 'a', 10_000)).toBeNull();
        expect(await h.locks.holds(m, 'a', first!)).toBe(true);
        expect(await h.locks.holds(m, 'b', first!)).toBe(false);
        expect(await h.locks.release(m, 'a', first!)).toBe(true);
        const second = await h.locks.acquire(m, 'b', 10_000);
        expect(second).toBe(2);
        expect(await h.locks.holds(m, 'a', first!)).toBe(false);
        // Another model has its own lock and its own tokens.
        expect(await h.locks.acquire(model(), 'a', 10_000)).toBe(1);
      });

      it('expires unless renewed; the next holder gets a higher token', async () => {
        const m = model();
        const token = (await h.locks.acquire(m, 'a', 150))!;
        await h.elapse(100);
        expect(await h.locks.renew(m, 'a', token, 300)).toBe(true);
        await h.elapse(150);
        expect(await h.locks.holds(m, 'a', token)).toBe(true);
        await h.elapse(300);
        expect(await h.locks.holds(m, 'a', token)).toBe(false);
        expect(await h.locks.renew(m, 'a', token, 300)).toBe(false);
        const next = await h.locks.acquire(m, 'b', 10_000);
        expect(next).toBeGreaterThan(token);
        // The expired holder can neither renew nor release its successor's lock.
        expect(await h.locks.release(m, 'a', token)).toBe(false);
        expect(await h.locks.holds(m, 'b', next!)).toBe(true);
      });

      it('refuses renew and release by a non-owner or a wrong token', async () => {
        const m = model();
        const token = (await h.locks.acquire(m, 'a', 10_000))!;
        expect(await h.locks.renew(m, 'b', token, 10_000)).toBe(false);
        expect(await h.locks.renew(m, 'a', token + 1, 10_000)).toBe(false);
        expect(await h.locks.release(m, 'b', token)).toBe(false);
        expect(await h.locks.release(m, 'a', token - 1)).toBe(false);
        expect(await h.locks.holds(m, 'a', token)).toBe(true);
        expect(await h.locks.release(m, 'a', token)).toBe(true);
        expect(await h.locks.release(m, 'a', token)).toBe(false);
      });

      it('gives one token to one of many concurrent acquirers', async () => {
        const m = model();
        const tokens = await Promise.all(Array.from({ length: 10 }, (_, i) => h.locks.acquire(m, `o${i}`, 10_000)));
        expect(tokens.filter((t) => t !== null)).toEqual([1]);
      });
    });

    describe('trigger queue', () => {
      const opts = { debounceMs: 10_000, cooldownMs: 600_000 };

      it('debounces: due a debounce after the first trigger, not moved by later ones', async () => {
        const m = model();
        expect(await h.queue.record(m, trigger('a1'), { ...opts, now: T })).toEqual({ recorded: true, reason: 'created', dueAt: T + 10_000 });
        expect(await h.queue.record(m, trigger('a2', 'DATA_DRIFT'), { ...opts, now: T + 5_000 })).toEqual({ recorded: true, reason: 'appended', dueAt: T + 10_000 });
        expect(await h.queue.due(T + 9_999)).not.toContain(m);
        expect(await h.queue.due(T + 10_000)).toContain(m);
        const pending = await h.queue.peek(m);
        expect(pending).toEqual({ model: m, firstAt: T, dueAt: T + 10_000, triggers: [trigger('a1'), trigger('a2', 'DATA_DRIFT')], manual: false, count: 2 });
        // Numbers survive exactly (no Lua JSON round trip).
        expect(pending!.triggers[0]!.value).toBe(0.12345678901234568);
      });

      it('records a redelivered alert once', async () => {
        const m = model();
        await h.queue.record(m, trigger('a1'), { ...opts, now: T });
        expect(await h.queue.record(m, trigger('a1'), { ...opts, now: T + 1 })).toEqual({ recorded: false, reason: 'duplicate', dueAt: T + 10_000 });
        expect((await h.queue.peek(m))!.count).toBe(1);
      });

      it('drops automatic triggers during the cooldown; a manual one is due at once and skips it', async () => {
        const m = model();
        await h.queue.finished(m, T);
        expect(await h.queue.record(m, trigger('a1'), { ...opts, now: T + 1_000 })).toEqual({ recorded: false, reason: 'cooldown', dueAt: T + 600_000 });
        expect(await h.queue.peek(m)).toBeNull();
        expect(await h.queue.record(m, trigger(null, 'MANUAL'), { ...opts, now: T + 2_000, manual: true })).toEqual({ recorded: true, reason: 'created', dueAt: T + 2_000 });
        expect(await h.queue.due(T + 2_000)).toContain(m);
        expect((await h.queue.peek(m))!.manual).toBe(true);
        // After the cooldown automatic triggers are accepted again.
        const other = model();
        await h.queue.finished(other, T);
        expect((await h.queue.record(other, trigger('b'), { ...opts, now: T + 600_000 })).recorded).toBe(true);
      });

      it('a manual trigger makes a debounced pending retrain due at once', async () => {
        const m = model();
        await h.queue.record(m, trigger('a1'), { ...opts, now: T });
        expect(await h.queue.record(m, trigger(null, 'MANUAL'), { ...opts, now: T + 1_000, manual: true })).toMatchObject({ recorded: true, dueAt: T + 1_000 });
        expect(await h.queue.due(T + 1_000)).toContain(m);
      });

      it('keeps at most the cap of triggers but counts them all', async () => {
        const m = model();
        for (let i = 0; i < TRIGGER_CAP + 5; i++) await h.queue.record(m, trigger(`a${i}`), { ...opts, now: T + i });
        const pending = (await h.queue.peek(m))!;
        expect(pending.triggers).toHaveLength(TRIGGER_CAP);
        expect(pending.triggers[0]!.alertId).toBe('a0');
        expect(pending.count).toBe(TRIGGER_CAP + 5);
      });

      it('clears what a run saw and keeps a trigger recorded during the run', async () => {
        const m = model();
        await h.queue.record(m, trigger('a1'), { ...opts, now: T });
        const seen = (await h.queue.peek(m))!;
        // Recorded while the job runs.
        await h.queue.record(m, trigger('a2'), { ...opts, now: T + 20_000 });
        expect(await h.queue.clear(m, seen.firstAt, seen.count, T + 30_000)).toBe('kept-newer');
        const next = (await h.queue.peek(m))!;
        expect(next.triggers.map((t) => t.alertId)).toEqual(['a2']);
        expect(next.firstAt).toBe(T + 30_000);
        expect(next.dueAt).toBe(T + 40_000);
        expect(next.manual).toBe(false);
        expect(await h.queue.due(T + 39_999)).not.toContain(m);
        expect(await h.queue.due(T + 40_000)).toContain(m);
        // A clear from a run that started from an older pending does nothing.
        expect(await h.queue.clear(m, seen.firstAt, undefined, T + 40_000)).toBe('not-current');
        expect(await h.queue.peek(m)).not.toBeNull();
        // The next run sees everything: cleared, and no longer due.
        expect(await h.queue.clear(m, next.firstAt, next.count, T + 50_000)).toBe('cleared');
        expect(await h.queue.peek(m)).toBeNull();
        expect(await h.queue.due(T + 10_000_000)).not.toContain(m);
      });

      it('a new pending after a clear is a new debounce, and clear without a count clears all', async () => {
        const m = model();
        await h.queue.record(m, trigger('a1'), { ...opts, now: T });
        const first = (await h.queue.peek(m))!;
        await h.queue.record(m, trigger('a2'), { ...opts, now: T + 1 });
        expect(await h.queue.clear(m, first.firstAt)).toBe('cleared');
        expect(await h.queue.peek(m)).toBeNull();
        await h.queue.record(m, trigger('a3'), { ...opts, now: T + 100_000 });
        expect((await h.queue.peek(m))!.dueAt).toBe(T + 110_000);
      });
    });
  });
}
