// The retrain lock, trigger queue and incident store contract, one suite run against Redis
// (the Lua scripts) and the in-memory twin: the retrainer relies on exactly these properties
// in both modes, expiries included (issue 9: every retrain key expires).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident, IncidentTrigger } from '../../shared/codec/events.generated.js';
import { INCIDENT_INDEX_CAP, incidentIndexKey, incidentKey, incidentModelsKey, verificationKey, type IncidentStore } from '../../shared/retrain/incident-store.js';
import { DEFAULT_RETRAIN_KEY_TTL_MS, fenceKey, lastKey, MIN_INCIDENT_TTL_MS, pendingKey, pendingModelsKey, type KeyTtl } from '../../shared/retrain/retrain-keys.js';
import type { RetrainLocks } from '../../shared/retrain/retrain-lock.js';
import { TRIGGER_CAP, type RetrainQueue } from '../../shared/retrain/retrain-queue.js';
import { uniqueName } from '../setup/env.js';

export interface RetrainStores {
  locks: RetrainLocks;
  queue: RetrainQueue;
  incidents: IncidentStore;
}

export interface RetrainStateHarness extends RetrainStores {
  /** The deployment namespace of `queue` and `incidents`. */
  namespace: string;
  /** Stores over the same keyspace with this key TTL rule, in their own namespace. */
  withKeyTtl(keyTtl: KeyTtl, namespace: string): RetrainStores;
  /** PTTL: ms left, -1 without expiry, -2 absent. */
  pttl(key: string): Promise<number>;
  /** Lets the lock clock run (real time on Redis, a stepped clock in memory). */
  elapse(ms: number): Promise<void>;
  close?(): Promise<void>;
}

const incidentOf = (model: string, id: string, openedAt: number, over: Partial<Incident> = {}): Incident => ({
  id, model, championVersion: null, challengerVersion: null, status: 'REJECTED', openedAt, updatedAt: openedAt, triggers: [], diagnosis: null,
  data: null, search: [], metric: null, championMetrics: {}, challengerMetrics: {}, decision: 'REJECTED', reason: 'test', variants: [], verification: null,
  ...over,
});

/** Within (0, ttl]: the key expires, and not later than the rule says. */
const expectTtl = (left: number, ttl: number, what: string) => {
  expect(left, what).toBeGreaterThan(0);
  expect(left, what).toBeLessThanOrEqual(ttl);
};

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

      it('says whether it is held, by anyone', async () => {
        const m = model();
        expect(await h.locks.held(m)).toBe(false);
        const token = (await h.locks.acquire(m, 'a', 10_000))!;
        expect(await h.locks.held(m)).toBe(true);
        await h.locks.release(m, 'a', token);
        expect(await h.locks.held(m)).toBe(false);
      });

      it('takes the token above the floor (the highest token already published) and counts on from there', async () => {
        const m = model();
        // A counter that restarted (a Redis that lost it): the floor lifts the first token.
        expect(await h.locks.acquire(m, 'a', 10_000, 41)).toBe(42);
        expect(await h.locks.holds(m, 'a', 42)).toBe(true);
        await h.locks.release(m, 'a', 42);
        // The counter was set to the token: without a floor it goes on from there.
        expect(await h.locks.acquire(m, 'a', 10_000)).toBe(43);
        await h.locks.release(m, 'a', 43);
        // A floor below the counter changes nothing.
        expect(await h.locks.acquire(m, 'a', 10_000, 5)).toBe(44);
        await h.locks.release(m, 'a', 44);
        // A floor equal to the counter: still strictly above it.
        expect(await h.locks.acquire(m, 'a', 10_000, 44)).toBe(45);
        // Held: the floor takes nothing.
        expect(await h.locks.acquire(m, 'b', 10_000, 1_000)).toBeNull();
        await expect(h.locks.acquire(m, 'b', 10_000, -1)).rejects.toThrow(RangeError);
      });

      it('the fence expires with the key TTL; the floor keeps the next token above the old ones', async () => {
        const m = model();
        const stores = h.withKeyTtl(() => 200, uniqueName('ttl'));
        const first = (await stores.locks.acquire(m, 'a', 10_000))!;
        expectTtl(await h.pttl(fenceKey(m)), 200, 'fence');
        await stores.locks.release(m, 'a', first);
        const second = (await stores.locks.acquire(m, 'a', 10_000))!;
        await stores.locks.release(m, 'a', second);
        expect(second).toBe(first + 1);
        await h.elapse(300);
        expect(await h.pttl(fenceKey(m)), 'the fence expired').toBe(-2);
        // The retrainer passes the highest token on the models topic: `second`.
        const third = (await stores.locks.acquire(m, 'a', 10_000, second))!;
        expect(third).toBe(second + 1);
        // The default rule gives the fence an expiry too.
        const other = model();
        await h.locks.acquire(other, 'a', 10_000);
        expectTtl(await h.pttl(fenceKey(other)), DEFAULT_RETRAIN_KEY_TTL_MS, 'fence with the default TTL');
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
        expect(pending).toEqual({
          model: m, firstAt: T, dueAt: T + 10_000, triggers: [trigger('a1'), trigger('a2', 'DATA_DRIFT')], manual: false, count: 2, attempts: 0, retryOf: null,
        });
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

      it('every queue key expires with the key TTL; the deployment set lives as long as its longest member', async () => {
        const [short, long] = [model(), model()];
        const namespace = uniqueName('ttl');
        const stores = h.withKeyTtl((m) => (m === long ? 60_000 : 10_000), namespace);
        const set = pendingModelsKey(namespace);
        await stores.queue.record(long, trigger('l1'), { ...opts, now: T });
        expectTtl(await h.pttl(pendingKey(long)), 60_000, 'pending hash');
        expect(await h.pttl(set), 'the set lives as long as its member').toBeGreaterThan(10_000);
        // A member with a shorter TTL never shortens the set.
        await stores.queue.record(short, trigger('s1'), { ...opts, now: T });
        expectTtl(await h.pttl(pendingKey(short)), 10_000, 'pending hash of the short model');
        expect(await h.pttl(set)).toBeGreaterThan(10_000);
        expectTtl(await h.pttl(set), 60_000, 'set');
        // A trigger kept for the next run lives a TTL from the clear.
        const seen = (await stores.queue.peek(long))!;
        await stores.queue.record(long, trigger('l2'), { ...opts, now: T + 1 });
        expect(await stores.queue.clear(long, seen.firstAt, seen.count, T + 2)).toBe('kept-newer');
        expectTtl(await h.pttl(pendingKey(long)), 60_000, 'kept pending hash');
        // The cooldown's key outlives the cooldown (retrainKeyTtlMs) but not the TTL.
        await stores.queue.finished(long, T);
        expectTtl(await h.pttl(lastKey(long)), 60_000, 'retrain:last');
        await h.queue.finished(short, T);
        expectTtl(await h.pttl(lastKey(short)), DEFAULT_RETRAIN_KEY_TTL_MS, 'retrain:last with the default TTL');
      });

      it('a pending trigger nobody runs expires; due() then drops the model from the set, and the emptied set is gone', async () => {
        const m = model();
        const namespace = uniqueName('ttl');
        const stores = h.withKeyTtl(() => 200, namespace);
        await stores.queue.record(m, trigger('a1'), { ...opts, now: T });
        expect(await stores.queue.due(T + 10_000)).toEqual([m]);
        await h.elapse(300);
        expect(await h.pttl(pendingKey(m))).toBe(-2);
        expect(await stores.queue.due(T + 10_000)).toEqual([]);
        expect(await stores.queue.peek(m)).toBeNull();
        expect(await h.pttl(pendingModelsKey(namespace))).toBe(-2);
      });

      it('a kept-newer clear forgets the alert ids the run consumed, and keeps the newer ones', async () => {
        const m = model();
        await h.queue.record(m, trigger('a1'), { ...opts, now: T });
        const seen = (await h.queue.peek(m))!;
        await h.queue.record(m, trigger('a2'), { ...opts, now: T + 1 });
        expect(await h.queue.clear(m, seen.firstAt, seen.count, T + 2)).toBe('kept-newer');
        // a2 was not consumed: still a duplicate.
        expect(await h.queue.record(m, trigger('a2'), { ...opts, now: T + 3 })).toMatchObject({ recorded: false, reason: 'duplicate' });
        // a1 was consumed and forgotten (as a full clear forgets every id): the hash does not keep it.
        expect(await h.queue.record(m, trigger('a1'), { ...opts, now: T + 4 })).toMatchObject({ recorded: true, reason: 'appended' });
        expect((await h.queue.peek(m))!.triggers.map((t) => t.alertId)).toEqual(['a2', 'a1']);
      });

      it('a transient failure keeps the whole trigger, due at the retry time, with its attempts and failed incident', async () => {
        const m = model();
        await h.queue.record(m, trigger('a1'), { ...opts, now: T });
        const seen = (await h.queue.peek(m))!;
        // Recorded while the failing run ran: it goes to the retry too.
        await h.queue.record(m, trigger('a2'), { ...opts, now: T + 12_000 });
        expect(await h.queue.retryLater(m, seen.firstAt, { attempts: 1, retryAt: T + 45_000, failedIncident: 'inc-1' })).toBe('scheduled');
        expect(await h.queue.due(T + 44_999), 'not before the retry time').not.toContain(m);
        expect(await h.queue.due(T + 45_000)).toContain(m);
        expect(await h.queue.peek(m)).toEqual({
          model: m, firstAt: T, dueAt: T + 45_000, triggers: [trigger('a1'), trigger('a2')], manual: false, count: 2, attempts: 1, retryOf: 'inc-1',
        });
        // A new alert during the wait joins it: the retry time and the count stay.
        expect(await h.queue.record(m, trigger('a3'), { ...opts, now: T + 20_000 })).toEqual({ recorded: true, reason: 'appended', dueAt: T + 45_000 });
        expect(await h.queue.record(m, trigger('a1'), { ...opts, now: T + 21_000 }), 'a redelivered alert is still a duplicate').toMatchObject({ reason: 'duplicate' });
        const retry = (await h.queue.peek(m))!;
        expect(retry).toMatchObject({ firstAt: T, dueAt: T + 45_000, count: 3, attempts: 1, retryOf: 'inc-1' });
        // The second failure: the count is the caller's, written as given.
        expect(await h.queue.retryLater(m, retry.firstAt, { attempts: 2, retryAt: T + 120_000, failedIncident: 'inc-2' })).toBe('scheduled');
        expect(await h.queue.peek(m)).toMatchObject({ dueAt: T + 120_000, attempts: 2, retryOf: 'inc-2', count: 3 });
        expect(await h.queue.due(T + 119_999)).not.toContain(m);
        // A run that started from another pending trigger changes nothing.
        expect(await h.queue.retryLater(m, T + 1, { attempts: 9, retryAt: T, failedIncident: 'other' })).toBe('not-current');
        expect(await h.queue.retryLater(model(), T, { attempts: 1, retryAt: T, failedIncident: 'other' }), 'no pending trigger at all').toBe('not-current');
        expect(await h.queue.peek(m)).toMatchObject({ dueAt: T + 120_000, attempts: 2, retryOf: 'inc-2' });
        // The retry that succeeds saw everything: cleared, count and all.
        expect(await h.queue.clear(m, retry.firstAt, 3, T + 130_000)).toBe('cleared');
        expect(await h.queue.peek(m)).toBeNull();
        expect(await h.queue.due(T + 10_000_000)).not.toContain(m);
        // A new trigger after that starts at zero.
        await h.queue.record(m, trigger('a4'), { ...opts, now: T + 200_000 });
        expect(await h.queue.peek(m)).toMatchObject({ attempts: 0, retryOf: null });
        await expect(h.queue.retryLater(m, T + 200_000, { attempts: 0, retryAt: T, failedIncident: 'x' })).rejects.toThrow(RangeError);
        await expect(h.queue.retryLater(m, T + 200_000, { attempts: 1, retryAt: T, failedIncident: '' })).rejects.toThrow(RangeError);
      });

      it('a manual trigger during a retry wait makes it due at once and keeps the count', async () => {
        const m = model();
        await h.queue.record(m, trigger('a1'), { ...opts, now: T });
        await h.queue.retryLater(m, T, { attempts: 3, retryAt: T + 240_000, failedIncident: 'inc-3' });
        expect(await h.queue.record(m, trigger(null, 'MANUAL'), { ...opts, now: T + 50_000, manual: true })).toMatchObject({ recorded: true, dueAt: T + 50_000 });
        expect(await h.queue.due(T + 50_000)).toContain(m);
        expect(await h.queue.peek(m)).toMatchObject({ manual: true, attempts: 3, retryOf: 'inc-3' });
      });

      it('a clear that keeps newer triggers starts them afresh: no attempts, no failed incident', async () => {
        const m = model();
        await h.queue.record(m, trigger('a1'), { ...opts, now: T });
        await h.queue.retryLater(m, T, { attempts: 4, retryAt: T + 100, failedIncident: 'inc-4' });
        const seen = (await h.queue.peek(m))!;
        // The last attempt runs and gives up; an alert arrives during it.
        await h.queue.record(m, trigger('a2'), { ...opts, now: T + 200 });
        expect(await h.queue.clear(m, seen.firstAt, seen.count, T + 300)).toBe('kept-newer');
        expect(await h.queue.peek(m)).toMatchObject({ firstAt: T + 300, dueAt: T + 10_300, attempts: 0, retryOf: null, count: 2 });
        expect((await h.queue.peek(m))!.triggers.map((t) => t.alertId)).toEqual(['a2']);
      });

      it('a retry renews the pending hash\'s expiry', async () => {
        const m = model();
        const stores = h.withKeyTtl(() => 400, uniqueName('ttl'));
        await stores.queue.record(m, trigger('a1'), { ...opts, now: T });
        await h.elapse(250);
        expect(await stores.queue.retryLater(m, T, { attempts: 1, retryAt: T + 100, failedIncident: 'inc-1' })).toBe('scheduled');
        expect(await h.pttl(pendingKey(m))).toBeGreaterThan(250);
        expectTtl(await h.pttl(pendingKey(m)), 400, 'pending hash after a retry');
        await h.elapse(250);
        expect(await stores.queue.peek(m), 'alive past the first expiry').toMatchObject({ attempts: 1 });
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

    describe('incident store', () => {
      it('a save gives the record, the index, the verification pointer and the deployment set the TTL', async () => {
        const m = model();
        const namespace = uniqueName('ttl');
        const stores = h.withKeyTtl(() => 60_000, namespace);
        const pending = incidentOf(m, `${m}-1`, T, {
          status: 'PROMOTED', challengerVersion: '2',
          verification: { status: 'PENDING', baseline: 0.9, observed: null, labelled: 0, tolerance: 0.05, at: null },
        });
        await stores.incidents.save(pending);
        for (const key of [incidentKey(m, pending.id), incidentIndexKey(m), verificationKey(m, '2'), incidentModelsKey(namespace)]) {
          expectTtl(await h.pttl(key), 60_000, key);
        }
        expect(await stores.incidents.awaitingVerification(m, '2')).toEqual(pending);
        // The default rule: at least MIN_INCIDENT_TTL_MS.
        const other = model();
        await h.incidents.save(incidentOf(other, `${other}-1`, T));
        expect(await h.pttl(incidentKey(other, `${other}-1`))).toBeGreaterThan(MIN_INCIDENT_TTL_MS - 60_000);
        expectTtl(await h.pttl(incidentKey(other, `${other}-1`)), MIN_INCIDENT_TTL_MS, 'incident with the default TTL');
      });

      it('expired incidents leave the list, and models() drops a model whose incidents all expired', async () => {
        const [gone, kept] = [model(), model()];
        const stores = h.withKeyTtl((m) => (m === gone ? 200 : 60_000), uniqueName('ttl'));
        await stores.incidents.save(incidentOf(gone, `${gone}-1`, T));
        await stores.incidents.save(incidentOf(kept, `${kept}-1`, T));
        expect(await stores.incidents.models()).toEqual([gone, kept].sort());
        await h.elapse(300);
        expect(await stores.incidents.list(gone)).toEqual([]);
        expect(await stores.incidents.models()).toEqual([kept]);
        expect((await stores.incidents.list(kept)).map((i) => i.id)).toEqual([`${kept}-1`]);
      });

      it(`the index keeps the newest ${INCIDENT_INDEX_CAP} ids`, async () => {
        const m = model();
        for (let i = 0; i <= INCIDENT_INDEX_CAP; i++) await h.incidents.save(incidentOf(m, `${m}-${String(i).padStart(4, '0')}`, T + i));
        const listed = await h.incidents.list(m, INCIDENT_INDEX_CAP + 10);
        expect(listed).toHaveLength(INCIDENT_INDEX_CAP);
        expect(listed[0]!.id).toBe(`${m}-${String(INCIDENT_INDEX_CAP).padStart(4, '0')}`);
        expect(listed.at(-1)!.id, 'the oldest left the index').toBe(`${m}-0001`);
      });
    });
  });
}
