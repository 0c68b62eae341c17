// Bounded models (issue 9), one suite against Redis (admit-model.lua and the idle expiry in the
// monitor-state scripts) and against the in-memory twins: the cap of admitted models is
// atomic and shared, idle members leave the set, and every key of a model expires after the
// idle time (none is left without an expiry).
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryMonitorState } from '../../shared/monitor-state/memory-monitor-state.js';
import { MemoryObjects } from '../../shared/monitor-state/memory-objects.js';
import { MemoryModelAdmission } from '../../shared/monitor-state/memory-admit-model.js';
import { admittedModelsKey, RedisModelAdmission, type ModelAdmission } from '../../shared/monitor-state/model-admission.js';
import { RedisMonitorState } from '../../shared/monitor-state/redis-monitor-state.js';
import type { MonitorState, PerfDeltaBatch, WindowSettings } from '../../shared/monitor-state/types.js';
import { MemoryKeyspace } from '../../shared/store/memory-store.js';
import { redisUrl, uniqueName } from '../setup/env.js';
import { scanKeys } from '../support/redis-keys.js';

interface Harness {
  admission: ModelAdmission;
  state: MonitorState;
  elapse(ms: number): Promise<void>;
  /** Keys of the model: name → remaining TTL in ms (-1: none). */
  modelKeys(model: string): Promise<Record<string, number>>;
  setSize(namespace: string): Promise<number>;
}

// Seconds, not less: on a loaded machine the set-up's round trips must not outlast the keys.
const IDLE = 5_000;
const T0 = 1_700_000_000_000;
const WINDOWS: WindowSettings = { bucketMs: 100, horizonsMs: [200, 500], retentionMs: 800, idleMs: IDLE };

function describeAdmission(name: string, open: () => Promise<Harness & { close(): Promise<void> }>): void {
  describe(`model admission and idle expiry: ${name}`, () => {
    let h: Harness & { close(): Promise<void> };
    afterAll(async () => h?.close());

    it('admits at most maxModels, atomically under concurrent calls', async () => {
      h = await open();
      const ns = `${uniqueName('adm')}.`;
      const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => h.admission.admit(ns, `m${i}`, { maxModels: 20, idleMs: 0 })));
      expect(replies.filter((r) => r.admitted)).toHaveLength(20);
      expect(replies.filter((r) => r.admitted && r.isNew)).toHaveLength(20);
      expect(await h.setSize(ns)).toBe(20);
      const first = replies.findIndex((r) => r.admitted);
      expect(await h.admission.admit(ns, `m${first}`, { maxModels: 20, idleMs: 0 })).toEqual({ admitted: true, isNew: false, count: 20 });
      expect(await h.admission.admit(ns, 'other', { maxModels: 20, idleMs: 0 })).toEqual({ admitted: false, isNew: false, count: 20 });
    });

    it('frees the slots of models idle longer than idleMs; the set itself expires', async () => {
      const ns = `${uniqueName('adm-idle')}.`;
      const limits = { maxModels: 2, idleMs: IDLE };
      expect((await h.admission.admit(ns, 'a', limits)).admitted).toBe(true);
      expect((await h.admission.admit(ns, 'b', limits)).admitted).toBe(true);
      expect((await h.admission.admit(ns, 'c', limits)).admitted).toBe(false);
      await h.elapse(IDLE + 300);
      expect(await h.admission.admit(ns, 'c', limits)).toEqual({ admitted: true, isNew: true, count: 1 });
      await h.elapse(IDLE + 300);
      expect(await h.setSize(ns)).toBe(0);
    });

    it('gives every key of a model an expiry and drops them all after the idle time', async () => {
      const model = uniqueName('adm-keys');
      const src = (topic: string, offset: number) => ({ group: 'g', topic, partition: 0, offset });
      // Keys are listed after every step: buckets live only retentionMs (800 ms of wall clock
      // here), so a single listing at the end could race their expiry.
      const seen: Record<string, number> = {};
      const snapshot = async (): Promise<void> => {
        // -2: the key expired between the listing and its PTTL, which is not a key without expiry.
        for (const [key, ttl] of Object.entries(await h.modelKeys(model))) if (ttl !== -2) seen[key] = ttl;
      };
      const perf = (kind: 'pp' | 'pl', expected: { own: number; paired: number }, maxEventTime: number, deltas: PerfDeltaBatch['deltas']): PerfDeltaBatch => ({
        model, source: src(kind === 'pp' ? 'dw.predictions' : 'dw.labels', 1), pairedField: kind === 'pp' ? 'g|dw.labels|0' : 'g|dw.predictions|0',
        kind, expected, windows: WINDOWS, maxEventTime, deltas,
      });
      expect(await h.state.applyPerfDeltas(perf('pp', { own: -1, paired: -1 }, T0 + 100, [{ family: 'cov:1', bucketStart: T0, counters: { n: 2 } }]))).toMatchObject({ applied: true });
      await snapshot();
      const joined: PerfDeltaBatch['deltas'] = [{ family: 'perf:1', bucketStart: T0, counters: { 'c|a|a': 1 } }, { family: 'cov:1', bucketStart: T0, counters: { l: 1 } }];
      expect(await h.state.applyPerfDeltas(perf('pl', { own: -1, paired: 1 }, T0 + 900, joined))).toMatchObject({ applied: true });
      await snapshot();
      await h.state.applyDriftBatch({
        model, source: { ...src('dw.predictions', 1), group: 'drift' }, windows: WINDOWS, maxEventTime: T0 + 900,
        deltas: [{ family: 'feat:1', bucketStart: T0, counters: { 'x|b|1': 1 } }], referenceSamples: [{ version: '2', rows: ['{}'], cap: 10 }],
      });
      await h.state.setReference(model, '1', '{}', { idleMs: IDLE });
      for (const scope of ['perf', 'drift'] as const) {
        const input = await h.state.advance({ model, scope, windows: WINDOWS, to: T0 + 300 });
        expect(input.advanced).toBe(true);
        const outbox = [{ topic: 'metrics', key: 'k', value: Buffer.from('v'), headers: {} }];
        expect(await h.state.commitEvaluation({ model, scope, end: T0 + 300, alertStates: { [`${model}|1|X|y|`]: '{}' }, outbox, idleMs: IDLE })).toEqual({ committed: true });
      }
      await snapshot();
      const keys = seen;
      const names = Object.keys(keys).sort();
      // Everything a model can have: offsets, both clocks/families/alerts/outboxes, windows, buckets, references.
      for (const expected of ['offsets', 'clock:perf', 'clock:drift', 'families:perf', 'families:drift', 'alerts:perf', 'alerts:drift', 'outbox:events:perf', 'outbox:events:drift', 'ref:1', 'refsample:2', 'w:perf:1:500', 'w:cov:1:500', 'w:feat:1:500']) {
        expect(names).toContain(expected);
      }
      const without = names.filter((k) => keys[k]! < 0);
      expect(without).toEqual([]);
      for (const ttl of Object.values(keys)) expect(ttl).toBeLessThanOrEqual(IDLE);
      await h.elapse(IDLE + 300);
      expect(await h.modelKeys(model)).toEqual({});
    });

    it('gives every key apply-perf-deltas writes an expiry, refreshed by each apply, and drops them after the idle time', async () => {
      const model = uniqueName('adm-deltas');
      const batch = (offset: number, own: number, at: number): PerfDeltaBatch => ({
        model, source: { group: 'g', topic: 'dw.labels', partition: 0, offset }, pairedField: 'g|dw.predictions|0', kind: 'pl' as const,
        expected: { own, paired: -1 }, windows: WINDOWS, maxEventTime: at,
        deltas: [{ family: 'perf:1', bucketStart: at, counters: { 'c|a|a': 1 } }, { family: 'cov:1', bucketStart: at, counters: { l: 1 } }],
      });
      await h.state.advance({ model, scope: 'perf', windows: WINDOWS, to: T0 + 300 });
      expect(await h.state.applyPerfDeltas(batch(1, -1, T0 + 100))).toMatchObject({ applied: true });
      await h.elapse(IDLE / 2);
      expect(await h.state.applyPerfDeltas(batch(2, 1, T0 + 200))).toMatchObject({ applied: true });
      const keys = await h.modelKeys(model);
      for (const expected of ['offsets', 'clock:perf', 'families:perf', 'w:perf:1:500', 'w:cov:1:500', 'b:perf:1:1700000000200']) expect(Object.keys(keys)).toContain(expected);
      expect(Object.entries(keys).filter(([, ttl]) => ttl < 0)).toEqual([]);
      // Refreshed by the second apply, half an idle time after the first.
      for (const k of ['offsets', 'clock:perf', 'families:perf', 'w:perf:1:500']) expect(keys[k], k).toBeGreaterThan(IDLE / 2 + 500);
      await h.elapse(IDLE + 300);
      expect(await h.modelKeys(model)).toEqual({});
    });
  });
}

describeAdmission('Redis', async () => {
  const admin = new Redis(redisUrl());
  const state = await RedisMonitorState.connect(redisUrl());
  const client = new Redis(redisUrl());
  return {
    admission: new RedisModelAdmission(client),
    state,
    elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    modelKeys: async (model) => {
      const out: Record<string, number> = {};
      for (const key of await scanKeys(admin, `dw:{${model}}:*`)) out[key.slice(`dw:{${model}}:`.length)] = await admin.pttl(key);
      return out;
    },
    setSize: (ns) => admin.zcard(admittedModelsKey(ns)),
    close: async () => {
      await state.close();
      await client.quit();
      await admin.quit();
    },
  };
});

describeAdmission('in memory (the twin)', async () => {
  let clock = T0;
  const keyspace = new MemoryKeyspace({ now: () => clock });
  const objects = MemoryObjects.of(keyspace);
  return {
    admission: new MemoryModelAdmission(keyspace),
    state: new MemoryMonitorState(keyspace),
    elapse: async (ms) => void (clock += ms),
    modelKeys: async (model) => {
      const prefix = `dw:{${model}}:`;
      const out: Record<string, number> = {};
      for (const key of keyspace.keys()) {
        const expiresAt = keyspace.get(key)!.expiresAt;
        // An emptied hash is gone in Redis (HDEL of its last field deletes the key).
        if (key.startsWith(prefix) && keyspace.get(key)!.fields.size > 0) out[key.slice(prefix.length)] = expiresAt === undefined ? -1 : expiresAt - clock;
      }
      for (const key of objects.keys()) if (key.startsWith(prefix)) out[key.slice(prefix.length)] = objects.ttlMs(key);
      return out;
    },
    setSize: async (ns) => objects.get<Map<string, number>>(admittedModelsKey(ns))?.size ?? 0,
    close: async () => undefined,
  };
});
