// The StateStore contract, one suite run against every implementation (RedisStore on a real
// Redis, MemoryStore in process), so embedded mode behaves like distributed mode.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InvalidBatchError } from '../../shared/store/errors.js';
import { uniqueName } from '../setup/env.js';
import type { ApplyBatchRequest, BatchSource, CounterDelta, StateStore } from '../../shared/store/types.js';

export interface StoreContractHarness {
  /** A new client on the shared state: two calls give two clients seeing the same data. */
  open(): Promise<StateStore>;
  /** Lets `ms` of store time pass: a real wait for Redis, a clock step for memory. */
  elapse(ms: number): Promise<void>;
  /** Names of all live keys whose name contains `model` (models are unique per test). */
  keysContaining(model: string): Promise<string[]>;
  /** Removes what a test left behind (shared Redis); optional. */
  dropModel?(model: string): Promise<void>;
  close?(): Promise<void>;
}


const source = (offset: number, partition = 0, group = 'g-contract', topic = 'dw.predictions'): BatchSource => ({
  group,
  topic,
  partition,
  offset,
});

export function describeStoreContract(label: string, makeHarness: () => Promise<StoreContractHarness>): void {
  describe(`StateStore contract: ${label}`, () => {
    let harness: StoreContractHarness;
    const opened: StateStore[] = [];
    const models: string[] = [];

    beforeAll(async () => {
      harness = await makeHarness();
    });
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });
    afterAll(async () => {
      for (const model of models) await harness.dropModel?.(model);
      await harness.close?.();
    });

    async function open(): Promise<StateStore> {
      const store = await harness.open();
      opened.push(store);
      return store;
    }
    function model(name: string): string {
      const m = uniqueName(`store-${name}`);
      models.push(m);
      return m;
    }
    function batch(m: string, src: BatchSource, deltas: CounterDelta[], ttlSeconds?: number): ApplyBatchRequest {
      return ttlSeconds === undefined ? { model: m, source: src, deltas } : { model: m, source: src, deltas, ttlSeconds };
    }

    it('reads back what a batch applied and records its offset', async () => {
      const store = await open();
      const m = model('apply');
      const result = await store.applyBatch(
        batch(m, source(41), [
          { key: 'bucket:0:cm', field: 'tp', by: 3 },
          { key: 'bucket:0:cm', field: 'fp', by: 1 },
          { key: 'bucket:0:cm', field: 'tp', by: 2 },
          { key: 'bucket:0:reg', field: 'sum', by: -7 },
        ]),
      );
      expect(result).toEqual({ applied: true, offset: 41 });
      expect(await store.readCounters(m, 'bucket:0:cm')).toEqual({ tp: 5, fp: 1 });
      expect(await store.readCounters(m, 'bucket:0:reg')).toEqual({ sum: -7 });
      expect(await store.lastOffset(m, source(0))).toBe(41);
    });

    it('reports absent state as empty, -1 and -2', async () => {
      const store = await open();
      const m = model('absent');
      expect(await store.readCounters(m, 'nothing')).toEqual({});
      expect(await store.lastOffset(m, source(0))).toBe(-1);
      expect(await store.ttlMs(m, 'nothing')).toBe(-2);
    });

    it('ignores a replayed or older batch and applies a newer one', async () => {
      const store = await open();
      const m = model('replay');
      const deltas = [{ key: 'c', field: 'n', by: 1 }];
      expect(await store.applyBatch(batch(m, source(10), deltas))).toEqual({ applied: true, offset: 10 });
      expect(await store.applyBatch(batch(m, source(10), deltas))).toEqual({ applied: false, offset: 10 });
      expect(await store.applyBatch(batch(m, source(3), deltas))).toEqual({ applied: false, offset: 10 });
      expect(await store.readCounters(m, 'c')).toEqual({ n: 1 });
      expect(await store.lastOffset(m, source(0))).toBe(10);

      expect(await store.applyBatch(batch(m, source(11), deltas))).toEqual({ applied: true, offset: 11 });
      expect(await store.readCounters(m, 'c')).toEqual({ n: 2 });
    });

    it('refuses a redelivered batch that straddles the recorded offset, then takes its remainder', async () => {
      const store = await open();
      const m = model('straddle');
      const one = [{ key: 'c', field: 'n', by: 1 }];
      // Messages 10..14 applied, then a crash before the Kafka commit; redelivery runs 10..19.
      expect(await store.applyBatch(batch(m, { ...source(14), firstOffset: 10 }, [{ key: 'c', field: 'n', by: 5 }]))).toEqual({
        applied: true,
        offset: 14,
      });
      expect(await store.applyBatch(batch(m, { ...source(19), firstOffset: 10 }, [{ key: 'c', field: 'n', by: 10 }]))).toEqual({
        applied: false,
        offset: 14,
      });
      expect(await store.applyBatch(batch(m, { ...source(19), firstOffset: 14 }, one))).toEqual({ applied: false, offset: 14 });
      expect(await store.readCounters(m, 'c')).toEqual({ n: 5 });
      // The remainder 15..19 goes through.
      expect(await store.applyBatch(batch(m, { ...source(19), firstOffset: 15 }, [{ key: 'c', field: 'n', by: 5 }]))).toEqual({
        applied: true,
        offset: 19,
      });
      expect(await store.readCounters(m, 'c')).toEqual({ n: 10 });
      expect(await store.lastOffset(m, source(0))).toBe(19);
    });

    it('records an empty batch so its offset is not replayed', async () => {
      const store = await open();
      const m = model('empty');
      expect(await store.applyBatch(batch(m, source(7), []))).toEqual({ applied: true, offset: 7 });
      expect(await store.lastOffset(m, source(0))).toBe(7);
    });

    it('keeps offsets independent per group, topic and partition', async () => {
      const store = await open();
      const m = model('sources');
      const delta = [{ key: 'c', field: 'n', by: 1 }];
      await store.applyBatch(batch(m, source(100, 0, 'g1', 't1'), delta));
      // Each differs from the first in exactly one coordinate and has a lower offset.
      const others = [source(5, 1, 'g1', 't1'), source(5, 0, 'g2', 't1'), source(5, 0, 'g1', 't2')];
      for (const other of others) expect((await store.applyBatch(batch(m, other, delta))).applied).toBe(true);

      expect(await store.lastOffset(m, source(0, 0, 'g1', 't1'))).toBe(100);
      for (const other of others) expect(await store.lastOffset(m, other)).toBe(5);
      expect(await store.readCounters(m, 'c')).toEqual({ n: 4 });
      // Same coordinates in another model are another key space.
      const m2 = model('sources-other');
      expect(await store.lastOffset(m2, source(0, 0, 'g1', 't1'))).toBe(-1);
    });

    it('keeps float precision across batches and mixed integer/float increments', async () => {
      const store = await open();
      const m = model('float');
      for (let offset = 0; offset < 10; offset += 1) {
        await store.applyBatch(batch(m, source(offset), [{ key: 'f', field: 'tenth', by: 0.1 }]));
      }
      await store.applyBatch(
        batch(m, source(10), [
          { key: 'f', field: 'third', by: 1 / 3 },
          { key: 'f', field: 'mixed', by: 3 },
          { key: 'f', field: 'mixed', by: 0.25 },
          { key: 'f', field: 'big', by: 1_000_000 },
          { key: 'f', field: 'big', by: 1e-6 },
          { key: 'f', field: 'tiny', by: 1.2345678901234568e-300 },
        ]),
      );
      // An integer increment after the field already holds a fraction, and a float that
      // brings it back to an integer value, then integers again.
      await store.applyBatch(batch(m, source(11), [{ key: 'f', field: 'mixed', by: 2 }]));
      await store.applyBatch(batch(m, source(12), [{ key: 'f', field: 'mixed', by: 0.75 }]));
      await store.applyBatch(batch(m, source(13), [{ key: 'f', field: 'mixed', by: 4 }]));

      const counters = await store.readCounters(m, 'f');
      expect(Math.abs((counters.tenth ?? NaN) - 1)).toBeLessThan(1e-12);
      // One float increment onto nothing must come back as the very same double.
      expect(counters.third).toBe(1 / 3);
      expect(counters.tiny).toBe(1.2345678901234568e-300);
      expect(counters.mixed).toBe(10);
      expect(Math.abs((counters.big ?? NaN) - 1_000_000.000001)).toBeLessThan(1e-9);
    });

    it('keeps large integer counts exact', async () => {
      const store = await open();
      const m = model('bigint');
      const big = 2 ** 52 + 1;
      await store.applyBatch(batch(m, source(0), [{ key: 'i', field: 'n', by: big }]));
      await store.applyBatch(batch(m, source(1), [{ key: 'i', field: 'n', by: -1 }]));
      expect(await store.readCounters(m, 'i')).toEqual({ n: 2 ** 52 });
    });

    it('expires touched hashes after the TTL but never the offsets', async () => {
      const store = await open();
      const m = model('ttl');
      await store.applyBatch(batch(m, source(1), [{ key: 'bucket:a', field: 'n', by: 1 }], 0.2));
      const ttl = await store.ttlMs(m, 'bucket:a');
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(200);
      expect(await store.ttlMs(m, 'offsets')).toBe(-1);

      await harness.elapse(300);
      expect(await store.readCounters(m, 'bucket:a')).toEqual({});
      expect(await store.ttlMs(m, 'bucket:a')).toBe(-2);
      expect(await store.lastOffset(m, source(0))).toBe(1);
      expect(await store.ttlMs(m, 'offsets')).toBe(-1);

      // An expired bucket written again starts from zero, not from its old value.
      await store.applyBatch(batch(m, source(2), [{ key: 'bucket:a', field: 'n', by: 5 }], 0.2));
      expect(await store.readCounters(m, 'bucket:a')).toEqual({ n: 5 });
    });

    it('refreshes the TTL on every applied write, not on a replay', async () => {
      const store = await open();
      const m = model('ttl-refresh');
      const write = (offset: number) => store.applyBatch(batch(m, source(offset), [{ key: 'b', field: 'n', by: 1 }], 0.8));
      await write(1);
      await harness.elapse(400);
      expect(await write(1)).toEqual({ applied: false, offset: 1 });
      expect(await store.ttlMs(m, 'b')).toBeLessThanOrEqual(400);

      await write(2);
      expect(await store.ttlMs(m, 'b')).toBeGreaterThan(600);
      // 900 ms after the first write: alive only because the second write extended it.
      await harness.elapse(500);
      expect(await store.readCounters(m, 'b')).toEqual({ n: 2 });
    });

    it('leaves the TTL alone when a batch asks for none', async () => {
      const store = await open();
      const m = model('ttl-keep');
      await store.applyBatch(batch(m, source(1), [{ key: 'persistent', field: 'n', by: 1 }]));
      expect(await store.ttlMs(m, 'persistent')).toBe(-1);
      await store.applyBatch(batch(m, source(2), [{ key: 'b', field: 'n', by: 1 }], 30));
      await store.applyBatch(batch(m, source(3), [{ key: 'b', field: 'n', by: 1 }]));
      expect(await store.ttlMs(m, 'b')).toBeGreaterThan(25_000);
    });

    it('applies a 10 000-delta batch in one call', async () => {
      const store = await open();
      const m = model('large');
      const deltas: CounterDelta[] = [];
      const expected = new Map<string, Record<string, number>>();
      for (let i = 0; i < 10_000; i += 1) {
        // 50 hashes x 100 fields, each field hit twice, half integer and half fractional.
        const key = `bucket:${i % 50}:hist`;
        const field = `bin${Math.floor(i / 50) % 100}`;
        const by = i % 2 === 0 ? i : i / 8;
        deltas.push({ key, field, by });
        const fields = expected.get(key) ?? {};
        fields[field] = (fields[field] ?? 0) + by;
        expected.set(key, fields);
      }
      expect(await store.applyBatch(batch(m, source(9), deltas, 60))).toEqual({ applied: true, offset: 9 });
      for (const [key, fields] of expected) {
        const counters = await store.readCounters(m, key);
        expect(Object.keys(counters).sort()).toEqual(Object.keys(fields).sort());
        for (const [field, value] of Object.entries(fields)) expect(counters[field]).toBeCloseTo(value, 9);
      }
      expect(await store.applyBatch(batch(m, source(9), deltas, 60))).toEqual({ applied: false, offset: 9 });
      expect((await store.readCounters(m, 'bucket:0:hist')).bin0).toBe(expected.get('bucket:0:hist')?.bin0);
    });

    it("keeps every key under the model's hash tag", async () => {
      const store = await open();
      const m = model('keys');
      await store.applyBatch(
        batch(m, source(1), [
          { key: 'bucket:1700000000:cm', field: 'tp', by: 1 },
          { key: 'ref:hist:age', field: 'b3', by: 2 },
        ]),
      );
      const keys = (await harness.keysContaining(m)).sort();
      expect(keys).toEqual([`dw:{${m}}:bucket:1700000000:cm`, `dw:{${m}}:offsets`, `dw:{${m}}:ref:hist:age`]);
    });

    it('counts a batch once when two clients apply it concurrently', async () => {
      const [a, b] = [await open(), await open()];
      const m = model('concurrent');
      const deltas = [{ key: 'c', field: 'n', by: 1 }, { key: 'c', field: 'x', by: 0.5 }];
      for (let offset = 0; offset < 20; offset += 1) {
        const results = await Promise.all([a.applyBatch(batch(m, source(offset), deltas)), b.applyBatch(batch(m, source(offset), deltas))]);
        expect(results.filter((r) => r.applied)).toHaveLength(1);
        expect(results.map((r) => r.offset)).toEqual([offset, offset]);
      }
      expect(await a.readCounters(m, 'c')).toEqual({ n: 20, x: 10 });
      expect(await b.lastOffset(m, source(0))).toBe(19);
    });

    it('rejects a malformed batch without changing any state', async () => {
      const store = await open();
      const m = model('invalid');
      await store.applyBatch(batch(m, source(1), [{ key: 'c', field: 'n', by: 1 }]));
      const bad: ApplyBatchRequest[] = [
        batch(m, source(2), [{ key: 'c', field: 'n', by: 1 }, { key: 'c', field: 'n', by: Number.NaN }]),
        batch(m, source(2), [{ key: 'c', field: 'n', by: 1 }, { key: 'd', field: 'n', by: Infinity }]),
        batch(m, source(2), [{ key: 'offsets', field: 'n', by: 1 }]),
        batch(m, source(2), [{ key: 'c', field: 'n', by: 1 }], 0),
        batch(m, source(2.5), [{ key: 'c', field: 'n', by: 1 }]),
        batch(m, { ...source(2), partition: -1 }, [{ key: 'c', field: 'n', by: 1 }]),
        batch('bad{model}', source(2), [{ key: 'c', field: 'n', by: 1 }]),
      ];
      for (const request of bad) await expect(store.applyBatch(request)).rejects.toBeInstanceOf(InvalidBatchError);
      expect(await store.readCounters(m, 'c')).toEqual({ n: 1 });
      expect(await store.readCounters(m, 'd')).toEqual({});
      expect(await store.lastOffset(m, source(0))).toBe(1);
    });
  });
}
