import { describe, expect, it } from 'vitest';
import { MemoryKeyspace, MemoryStore } from '../../../shared/store/memory-store.js';

const source = (offset: number) => ({ group: 'g', topic: 't', partition: 0, offset });

describe('MemoryStore expiry', () => {
  it('keeps a key alive at its deadline and drops it one ms later, like Redis', async () => {
    let clock = 0;
    const store = new MemoryStore(new MemoryKeyspace({ now: () => clock }));
    await store.applyBatch({ model: 'm', source: source(1), deltas: [{ key: 'k', field: 'n', by: 1 }], ttlSeconds: 1 });
    clock = 1_000;
    expect(await store.ttlMs('m', 'k')).toBe(0);
    expect(await store.readCounters('m', 'k')).toEqual({ n: 1 });
    clock = 1_001;
    expect(await store.readCounters('m', 'k')).toEqual({});
  });

  it('sweeps expired keys nobody reads again, on a later write', async () => {
    let clock = 0;
    const keyspace = new MemoryKeyspace({ now: () => clock, sweepIntervalMs: 100 });
    const store = new MemoryStore(keyspace);
    const deltas = Array.from({ length: 50 }, (_, i) => ({ key: `bucket:${i}`, field: 'n', by: 1 }));
    await store.applyBatch({ model: 'm', source: source(1), deltas, ttlSeconds: 0.05 });
    clock = 200;
    await store.applyBatch({ model: 'm', source: source(2), deltas: [{ key: 'live', field: 'n', by: 1 }] });
    // Inspect the raw map size through keys() of a keyspace whose clock still sees them alive.
    clock = 0;
    expect(keyspace.keys().sort()).toEqual(['dw:{m}:live', 'dw:{m}:offsets']);
  });

  it('refuses use after close', async () => {
    const store = new MemoryStore();
    await store.close();
    await expect(store.readCounters('m', 'k')).rejects.toThrow(/closed/);
  });
});
