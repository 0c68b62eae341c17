import { describe, expect, it } from 'vitest';
import { BusClosedError, GroupOptionsMismatchError } from '../../../shared/bus/errors.js';
import { MemoryBus } from '../../../shared/bus/memory-bus.js';
import { partitionForKey } from '../../../shared/bus/partitioner.js';
import type { Batch, BatchHandler, OutgoingMessage } from '../../../shared/bus/types.js';

// MemoryBus behaviour beyond the shared contract (test/contract/bus.contract.ts): rebalancing
// details, handover of an in-flight partition, retention, offsets reset.

const text = (key: string | null, value: string): OutgoingMessage => ({ key, value: Buffer.from(value) });

async function until(condition: () => boolean, what: string, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function sink(before?: (batch: Batch) => Promise<void> | void): { batches: Batch[]; values: () => string[]; handler: BatchHandler } {
  const batches: Batch[] = [];
  return {
    batches,
    values: () => batches.flatMap((b) => b.messages.map((m) => m.value!.toString())),
    handler: async (batch) => {
      await before?.(batch);
      batches.push(batch);
    },
  };
}

/** One key per partition, so each message can be aimed at a chosen partition. */
function keyFor(partition: number, partitions: number): string {
  for (let i = 0; ; i++) if (partitionForKey(`k${i}`, partitions) === partition) return `k${i}`;
}

describe('MemoryBus', () => {
  it('re-splits partitions when a member joins and hands them back when it leaves', async () => {
    const bus = new MemoryBus();
    await bus.ensureTopics([{ topic: 't', partitions: 4 }]);
    const a = sink();
    const b = sink();
    await bus.subscribe({ groupId: 'g', topics: ['t'], handler: a.handler });
    const keys = [0, 1, 2, 3].map((p) => keyFor(p, 4));
    const partitionsOf = (s: ReturnType<typeof sink>, from: number) =>
      new Set(s.batches.slice(from).map((batch) => batch.partition));

    await bus.publish('t', keys.map((k) => text(k, 'round1')));
    await until(() => a.values().length === 4, 'round 1');
    expect(partitionsOf(a, 0)).toEqual(new Set([0, 1, 2, 3]));

    const joined = await bus.subscribe({ groupId: 'g', topics: ['t'], handler: b.handler });
    const aBefore = a.batches.length;
    await bus.publish('t', keys.map((k) => text(k, 'round2')));
    await until(() => a.values().length + b.values().length === 8, 'round 2');
    const aPartitions = partitionsOf(a, aBefore);
    const bPartitions = partitionsOf(b, 0);
    expect(aPartitions.size).toBe(2);
    expect(bPartitions.size).toBe(2);
    expect([...aPartitions].some((p) => bPartitions.has(p))).toBe(false);

    await joined.stop();
    const aAfterLeave = a.batches.length;
    await bus.publish('t', keys.map((k) => text(k, 'round3')));
    await until(() => a.values().length === 4 + 2 + 4, 'round 3');
    expect(partitionsOf(a, aAfterLeave)).toEqual(new Set([0, 1, 2, 3]));
    await bus.close();
  });

  it('does not give a partition to its new owner until the old owner settled its in-flight batch', async () => {
    const bus = new MemoryBus();
    await bus.ensureTopics([{ topic: 't', partitions: 2 }]);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let blocked = 0;
    const a = sink(async () => {
      if (blocked++ === 0) await gate;
    });
    await bus.subscribe({ groupId: 'g', topics: ['t'], handler: a.handler });
    // Only partition 1 holds data; round-robin gives it to the second member once it joins.
    const key = keyFor(1, 2);
    await bus.publish('t', [text(key, 'first')]);
    await until(() => blocked === 1, 'first batch in flight');

    const b = sink();
    await bus.subscribe({ groupId: 'g', topics: ['t'], handler: b.handler });
    await bus.publish('t', [text(key, 'second')]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(b.batches).toHaveLength(0);

    release();
    await until(() => b.values().includes('second'), 'handover');
    expect(a.values()).toEqual(['first']);
    expect(b.values()).toEqual(['second']);
    await bus.close();
  });

  it('gives a crashed member\'s uncommitted batch to the surviving member', async () => {
    const bus = new MemoryBus({ retryInitialMs: 10 });
    await bus.ensureTopics([{ topic: 't', partitions: 1 }]);
    let crashed = false;
    const doomed = sink(() => {
      crashed = true;
      throw new Error('crash');
    });
    const doomedSubscription = await bus.subscribe({ groupId: 'g', topics: ['t'], handler: doomed.handler });
    const survivor = sink();
    await bus.subscribe({ groupId: 'g', topics: ['t'], handler: survivor.handler });
    await bus.publish('t', [text(null, 'a'), text(null, 'b')]);
    await until(() => crashed, 'crash');
    expect(survivor.batches).toHaveLength(0);
    await doomedSubscription.stop();
    await until(() => survivor.values().length === 2, 'takeover');
    expect(survivor.values()).toEqual(['a', 'b']);
    await bus.close();
  });

  it('retries a failed batch on the same member with backoff, then moves on', async () => {
    const bus = new MemoryBus({ retryInitialMs: 10 });
    await bus.ensureTopics([{ topic: 't', partitions: 1 }]);
    const attempts: number[] = [];
    const s = sink((batch) => {
      attempts.push(batch.messages[0]!.offset);
      if (attempts.length < 3) throw new Error('transient');
    });
    await bus.subscribe({ groupId: 'g', topics: ['t'], handler: s.handler });
    await bus.publish('t', [text(null, 'x')]);
    await until(() => s.values().length === 1, 'success after retries');
    expect(attempts).toEqual([0, 0, 0]);
    await bus.close();
  });

  it('splits a backlog into batches of at most maxBatchMessages', async () => {
    const bus = new MemoryBus({ maxBatchMessages: 7 });
    await bus.ensureTopics([{ topic: 't', partitions: 1 }]);
    await bus.publish('t', Array.from({ length: 30 }, (_, i) => text(null, String(i))));
    const s = sink();
    await bus.subscribe({ groupId: 'g', topics: ['t'], handler: s.handler });
    await until(() => s.values().length === 30, 'backlog');
    expect(s.batches.map((b) => b.messages.length)).toEqual([7, 7, 7, 7, 2]);
    await bus.close();
  });

  it('starts a new group at the end of the log when fromBeginning is false', async () => {
    const bus = new MemoryBus();
    await bus.ensureTopics([{ topic: 't', partitions: 1 }]);
    await bus.publish('t', [text(null, 'old')]);
    const s = sink();
    await bus.subscribe({ groupId: 'g', topics: ['t'], handler: s.handler, fromBeginning: false });
    await bus.publish('t', [text(null, 'new')]);
    await until(() => s.values().length >= 1, 'new message');
    expect(s.values()).toEqual(['new']);
    await bus.close();
  });

  it('drops the oldest messages beyond retainPerPartition and compacts compacted topics to the latest per key', async () => {
    const bus = new MemoryBus({ retainPerPartition: 1000 });
    await bus.ensureTopics([
      { topic: 'events', partitions: 1 },
      { topic: 'models', partitions: 1, cleanupPolicy: 'compact' },
    ]);
    await bus.publish('events', Array.from({ length: 3000 }, (_, i) => text(null, String(i))));
    await bus.publish('models', Array.from({ length: 3000 }, (_, i) => text(`model-${i % 3}`, `v${i}`)));
    const events = sink();
    const models = sink();
    await bus.subscribe({ groupId: 'g1', topics: ['events'], handler: events.handler });
    await bus.subscribe({ groupId: 'g2', topics: ['models'], handler: models.handler });
    await until(() => events.values().length === 1000 && models.values().length > 0, 'retained messages');
    expect(events.values()[0]).toBe('2000');
    const latest = new Map<string, string>();
    for (const b of models.batches) for (const m of b.messages) latest.set(m.key!.toString(), m.value!.toString());
    expect(Object.fromEntries(latest)).toEqual({ 'model-0': 'v2997', 'model-1': 'v2998', 'model-2': 'v2999' });
    expect(models.values().length).toBeLessThan(1024);
    await bus.close();
  });

  it('drops messages older than the topic\'s retentionMs', async () => {
    const bus = new MemoryBus();
    await bus.ensureTopics([{ topic: 't', partitions: 1, retentionMs: 60_000 }]);
    const now = Date.now();
    await bus.publish('t', [{ key: null, value: Buffer.from('stale'), timestamp: now - 120_000 }]);
    await bus.publish('t', [{ key: null, value: Buffer.from('fresh'), timestamp: now }]);
    const s = sink();
    await bus.subscribe({ groupId: 'g', topics: ['t'], handler: s.handler });
    await until(() => s.values().length >= 1, 'fresh message');
    expect(s.values()).toEqual(['fresh']);
    expect(s.batches[0]!.messages[0]!.offset).toBe(1);
    await bus.close();
  });

  it('refuses a member whose coPartitioned or topics differ from its group\'s, and takes either once the group is empty', async () => {
    const bus = new MemoryBus();
    await bus.ensureTopics([
      { topic: 'a', partitions: 2 },
      { topic: 'b', partitions: 2 },
    ]);
    const handler = async (): Promise<void> => {};
    const first = await bus.subscribe({ groupId: 'g', topics: ['a', 'b'], coPartitioned: true, handler });
    await expect(bus.subscribe({ groupId: 'g', topics: ['a', 'b'], handler })).rejects.toBeInstanceOf(GroupOptionsMismatchError);
    await expect(bus.subscribe({ groupId: 'g', topics: ['a'], coPartitioned: true, handler })).rejects.toThrow(
      'co-partitioned members subscribe to a, b, this one to a',
    );
    // The same topics in another order are the same subscription.
    const second = await bus.subscribe({ groupId: 'g', topics: ['b', 'a'], coPartitioned: true, handler });
    await first.stop();
    await second.stop();
    const plain = await bus.subscribe({ groupId: 'g', topics: ['a'], handler });
    await plain.stop();
    await bus.close();
  });

  it('close() finishes in-flight work and then refuses new calls', async () => {
    const bus = new MemoryBus();
    await bus.ensureTopics([{ topic: 't', partitions: 1 }]);
    let finished = false;
    let started = false;
    await bus.subscribe({
      groupId: 'g',
      topics: ['t'],
      handler: async () => {
        started = true;
        await new Promise((resolve) => setTimeout(resolve, 30));
        finished = true;
      },
    });
    await bus.publish('t', [text(null, 'x')]);
    await until(() => started, 'handler start');
    await bus.close();
    expect(finished).toBe(true);
    await expect(bus.publish('t', [text(null, 'y')])).rejects.toBeInstanceOf(BusClosedError);
  });
});
