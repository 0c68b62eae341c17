// The event-bus contract, one suite run against every EventBus implementation (KafkaBus on a real
// broker, MemoryBus in process). Services rely on exactly these properties; an implementation
// that passes can replace the other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GroupOptionsMismatchError, PartitionCountMismatchError, TopicMismatchError, UnknownTopicError } from '../../shared/bus/errors.js';
import { partitionForKey } from '../../shared/bus/partitioner.js';
import type { Batch, BatchContext, BatchHandler, BusMessage, EventBus, LogReader, OutgoingMessage, Subscription } from '../../shared/bus/types.js';
import { uniqueName } from '../setup/env.js';

export interface BusContractOptions {
  name: string;
  createBus: () => Promise<EventBus & LogReader>;
  /** Longest wait for messages to arrive (group joins on Kafka take seconds). */
  deliveryTimeoutMs: number;
  /** Time to keep listening after the expected messages arrived, to catch duplicates. */
  quietMs: number;
}

const unique = (kind: string): string => uniqueName(`bus-contract-${kind}`);

async function eventually(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Seen {
  key: string | null;
  value: string;
  partition: number;
  offset: number;
}

/** A handler that records every batch; `onBatch` runs first and may throw or block. */
function recorder(onBatch?: (batch: Batch, ctx: BatchContext) => Promise<void> | void) {
  const batches: Batch[] = [];
  const messages: Seen[] = [];
  const handler: BatchHandler = async (batch, ctx) => {
    await onBatch?.(batch, ctx);
    batches.push(batch);
    for (const m of batch.messages) {
      messages.push({ key: m.key?.toString() ?? null, value: m.value?.toString() ?? '', partition: m.partition, offset: m.offset });
    }
  };
  return { batches, messages, handler };
}

const text = (key: string | null, value: string): OutgoingMessage => ({ key, value: Buffer.from(value) });

/** Keys that hash to every partition, `perPartition` of each, so tests cover them all. */
function keysCoveringPartitions(partitions: number, perPartition: number): string[] {
  const byPartition: string[][] = Array.from({ length: partitions }, () => []);
  for (let i = 0; byPartition.some((keys) => keys.length < perPartition); i++) {
    const key = `key-${i}`;
    const bucket = byPartition[partitionForKey(key, partitions)]!;
    if (bucket.length < perPartition) bucket.push(key);
  }
  return byPartition.flat();
}

export function busContract(options: BusContractOptions): void {
  const { deliveryTimeoutMs, quietMs } = options;

  describe(`EventBus contract: ${options.name}`, () => {
    let bus: EventBus & LogReader;
    const subscriptions: Subscription[] = [];
    const subscribe = async (...args: Parameters<EventBus['subscribe']>): Promise<Subscription> => {
      const subscription = await bus.subscribe(...args);
      subscriptions.push(subscription);
      return subscription;
    };
    const topic = async (partitions: number): Promise<string> => {
      const name = unique('topic');
      await bus.ensureTopics([{ topic: name, partitions }]);
      return name;
    };

    beforeAll(async () => {
      bus = await options.createBus();
    });

    afterAll(async () => {
      await Promise.all(subscriptions.map((s) => s.stop()));
      await bus?.close();
    });

    it('keeps per-partition order and sends every key to its murmur2 partition', async () => {
      const partitions = 4;
      const name = await topic(partitions);
      const keys = keysCoveringPartitions(partitions, 5);
      const rounds = 10;
      const sink = recorder();
      await subscribe({ groupId: unique('group'), topics: [name], handler: sink.handler });
      for (let seq = 0; seq < rounds; seq++) {
        await bus.publish(name, keys.map((key) => text(key, `${key}:${seq}`)));
      }
      const total = keys.length * rounds;
      await eventually(() => sink.messages.length >= total, deliveryTimeoutMs, `${total} messages`);
      await sleep(quietMs);

      expect(sink.messages).toHaveLength(total);
      for (const batch of sink.batches) {
        expect(batch.messages.length).toBeGreaterThan(0);
        expect(batch.lastOffset).toBe(batch.messages.at(-1)!.offset);
        for (const m of batch.messages) expect([m.topic, m.partition]).toEqual([batch.topic, batch.partition]);
      }
      const lastOffset = new Map<number, number>();
      const lastSeq = new Map<string, number>();
      for (const m of sink.messages) {
        expect(m.partition).toBe(partitionForKey(m.key!, partitions));
        expect(m.offset).toBeGreaterThan(lastOffset.get(m.partition) ?? -1);
        lastOffset.set(m.partition, m.offset);
        const seq = Number(m.value.split(':')[1]);
        expect(seq).toBe((lastSeq.get(m.key!) ?? -1) + 1);
        lastSeq.set(m.key!, seq);
      }
      expect(new Set(sink.messages.map((m) => m.partition)).size).toBe(partitions);
    });

    it('round-trips key, value, headers and timestamp, and never delivers inside publish()', async () => {
      const name = await topic(1);
      let insidePublish = false;
      let deliveredInsidePublish = false;
      const sink = recorder(() => {
        deliveredInsidePublish ||= insidePublish;
      });
      await subscribe({ groupId: unique('group'), topics: [name], handler: sink.handler });
      const timestamp = Date.UTC(2024, 0, 2, 3, 4, 5);
      insidePublish = true;
      const published = bus.publish(name, [
        { key: 'k', value: Buffer.from([0, 1, 2, 255]), headers: { fp: 'abc', bin: Buffer.from([9, 8]) }, timestamp },
        { key: null, value: Buffer.from('no key') },
      ]);
      insidePublish = false;
      await published;
      await eventually(() => sink.messages.length >= 2, deliveryTimeoutMs, '2 messages');

      const [first, second] = sink.batches.flatMap((b) => b.messages);
      expect(first!.key?.toString()).toBe('k');
      expect([...first!.value!]).toEqual([0, 1, 2, 255]);
      expect(first!.headers.fp?.toString()).toBe('abc');
      expect([...first!.headers.bin!]).toEqual([9, 8]);
      expect(first!.timestamp).toBe(timestamp);
      expect(second!.key).toBeNull();
      expect(second!.value?.toString()).toBe('no key');
      expect(Math.abs(second!.timestamp - Date.now())).toBeLessThan(60_000);
      expect(deliveredInsidePublish).toBe(false);
    });

    it('gives every consumer group its own offsets: two groups each see everything', async () => {
      const name = await topic(2);
      const a = recorder();
      const b = recorder();
      await subscribe({ groupId: unique('group-a'), topics: [name], handler: a.handler });
      await subscribe({ groupId: unique('group-b'), topics: [name], handler: b.handler });
      const values = Array.from({ length: 50 }, (_, i) => `v${i}`);
      await bus.publish(name, values.map((v) => text(v, v)));
      await eventually(() => a.messages.length >= 50 && b.messages.length >= 50, deliveryTimeoutMs, 'both groups');
      await sleep(quietMs);
      expect(a.messages.map((m) => m.value).sort()).toEqual([...values].sort());
      expect(b.messages.map((m) => m.value).sort()).toEqual([...values].sort());
    });

    it('splits partitions between two members of a group, together seeing everything exactly once', async () => {
      const partitions = 4;
      const name = await topic(partitions);
      const group = unique('group');
      const first = recorder();
      const second = recorder();
      await subscribe({ groupId: group, topics: [name], handler: first.handler });
      await subscribe({ groupId: group, topics: [name], handler: second.handler });
      const keys = keysCoveringPartitions(partitions, 25);
      await bus.publish(name, keys.map((k) => text(k, k)));
      const seen = () => first.messages.length + second.messages.length;
      await eventually(() => seen() >= keys.length, deliveryTimeoutMs, 'all messages across members');
      await sleep(quietMs);

      const all = [...first.messages, ...second.messages].map((m) => m.value);
      expect(all.sort()).toEqual([...keys].sort());
      const firstPartitions = new Set(first.messages.map((m) => m.partition));
      const secondPartitions = new Set(second.messages.map((m) => m.partition));
      expect(firstPartitions.size).toBeGreaterThan(0);
      expect(secondPartitions.size).toBeGreaterThan(0);
      expect([...firstPartitions].filter((p) => secondPartitions.has(p))).toEqual([]);
    });

    it('redelivers the uncommitted batch after a crash, and never a committed one', async () => {
      const name = await topic(1);
      const group = unique('group');
      let crashed = false;
      // A dead consumer handles nothing: once crashed, every delivery fails before being recorded.
      const doomed = recorder((batch) => {
        if (crashed || batch.messages.some((m) => m.value?.toString().startsWith('after'))) {
          crashed = true;
          throw new Error('simulated crash before commit');
        }
      });
      const doomedSubscription = await subscribe({ groupId: group, topics: [name], handler: doomed.handler });
      const before = Array.from({ length: 20 }, (_, i) => `before-${i}`);
      const after = Array.from({ length: 20 }, (_, i) => `after-${i}`);
      await bus.publish(name, before.map((v) => text(null, v)));
      await eventually(() => doomed.messages.length >= before.length, deliveryTimeoutMs, 'first messages');
      await bus.publish(name, after.map((v) => text(null, v)));
      await eventually(() => crashed, deliveryTimeoutMs, 'the crash');
      await doomedSubscription.stop();

      const successor = recorder();
      await subscribe({ groupId: group, topics: [name], handler: successor.handler });
      await eventually(() => successor.messages.length >= after.length, deliveryTimeoutMs, 'redelivery');
      await sleep(quietMs);
      expect(doomed.messages.map((m) => m.value)).toEqual(before);
      expect(successor.messages.map((m) => m.value)).toEqual(after);
      expect(successor.messages[0]!.offset).toBe(before.length);
    });

    describe('SubscribeOptions.startOffset', () => {
      /** A group that consumed and committed all of `values` on a 1-partition topic. */
      const committedGroup = async (values: string[]): Promise<{ name: string; group: string }> => {
        const name = await topic(1);
        const group = unique('group');
        await bus.publish(name, values.map((v) => text(null, v)));
        const first = recorder();
        const subscription = await subscribe({ groupId: group, topics: [name], handler: first.handler });
        await eventually(() => first.messages.length >= values.length, deliveryTimeoutMs, 'the first consumption');
        await subscription.stop();
        return { name, group };
      };

      it('rewinds a partition to the offset the subscriber asks for when it is behind the committed offset', async () => {
        const values = Array.from({ length: 10 }, (_, i) => `m-${i}`);
        const { name, group } = await committedGroup(values);
        const asked: { topic: string; partition: number; committed: number | null }[] = [];
        const again = recorder();
        await subscribe({
          groupId: group,
          topics: [name],
          handler: again.handler,
          startOffset: async (start) => {
            asked.push(start);
            return 4;
          },
        });
        await bus.publish(name, [text(null, 'm-10')]);
        await eventually(() => again.messages.length >= 7, deliveryTimeoutMs, 'the rewound messages');
        await sleep(quietMs);
        // Nothing before the asked offset, nothing twice, nothing skipped.
        expect(again.messages.map((m) => m.offset)).toEqual([4, 5, 6, 7, 8, 9, 10]);
        expect(asked[0]).toMatchObject({ topic: name, partition: 0, committed: values.length });
      });

      it('asks at assignment, so a partition with nothing new is rewound too', async () => {
        const values = Array.from({ length: 10 }, (_, i) => `m-${i}`);
        const { name, group } = await committedGroup(values);
        const again = recorder();
        // Nothing is published after this: only an ask made at assignment can bring 4..9 back.
        await subscribe({ groupId: group, topics: [name], handler: again.handler, startOffset: async () => 4 });
        await eventually(() => again.messages.length >= 6, deliveryTimeoutMs, 'the rewound messages of an idle partition');
        await sleep(quietMs);
        expect(again.messages.map((m) => m.offset)).toEqual([4, 5, 6, 7, 8, 9]);
      });

      it('rewinds the co-partition of another topic when the subscriber asks, even one with nothing new', async () => {
        const [first, second] = [await topic(1), await topic(1)];
        const group = unique('group');
        await bus.publish(first, [text(null, 'a-0'), text(null, 'a-1')]);
        await bus.publish(second, [text(null, 'b-0'), text(null, 'b-1'), text(null, 'b-2')]);
        const initial = recorder();
        const subscription = await subscribe({ groupId: group, topics: [first, second], coPartitioned: true, handler: initial.handler });
        await eventually(() => initial.messages.length >= 5, deliveryTimeoutMs, 'the first consumption');
        await subscription.stop();

        // Asked about `first` only (its batch fails once, as a rebuilding subscriber's would):
        // it moves `second`, which has nothing new, back to 1.
        const again = recorder();
        let failed = false;
        const failing = recorder(async (batch) => {
          if (batch.topic === first && !failed) {
            failed = true;
            throw new Error('the state must be rebuilt');
          }
          await again.handler(batch, { heartbeat: async () => {}, isRunning: () => true });
        });
        let asks = 0;
        await subscribe({
          groupId: group,
          topics: [first, second],
          coPartitioned: true,
          handler: failing.handler,
          startOffset: async (start) => {
            if (start.topic === first && failed && asks++ === 0) start.rewindCoPartition!(second, 1);
            return null;
          },
        });
        await bus.publish(first, [text(null, 'a-2')]);
        await eventually(() => again.messages.some((m) => m.value === 'b-2'), deliveryTimeoutMs, 'the co-partition read again');
        await sleep(quietMs);
        expect(again.messages.filter((m) => m.value.startsWith('b-')).map((m) => m.offset)).toEqual([1, 2]);
        expect(again.messages.filter((m) => m.value.startsWith('a-')).map((m) => m.value)).toEqual(['a-2']);
      });

      it('never skips: an answer at or past the committed offset, or null, keeps the committed position', async () => {
        for (const answer of [null, 25]) {
          const values = Array.from({ length: 5 }, (_, i) => `m-${i}`);
          const { name, group } = await committedGroup(values);
          const again = recorder();
          await subscribe({ groupId: group, topics: [name], handler: again.handler, startOffset: async () => answer });
          await bus.publish(name, [text(null, 'next-0'), text(null, 'next-1')]);
          await eventually(() => again.messages.length >= 2, deliveryTimeoutMs, 'the new messages');
          await sleep(quietMs);
          expect(again.messages.map((m) => m.offset)).toEqual([5, 6]);
        }
      });

      it('asks again after a failed batch, and holds the partition while the hook throws', async () => {
        const name = await topic(1);
        const group = unique('group');
        let calls = 0;
        let failHook = true;
        let failHandler = false;
        const sink = recorder(() => {
          if (failHandler) {
            failHandler = false;
            throw new Error('simulated store outage');
          }
        });
        await subscribe({
          groupId: group,
          topics: [name],
          handler: sink.handler,
          startOffset: async () => {
            calls++;
            if (failHook) throw new Error('store refuses: lost its data');
            return null;
          },
        });
        await bus.publish(name, [text(null, 'a-0'), text(null, 'a-1')]);
        await eventually(() => calls >= 2, deliveryTimeoutMs, 'the hook asked twice');
        expect(sink.messages).toEqual([]);
        failHook = false;
        await eventually(() => sink.messages.length >= 2, deliveryTimeoutMs, 'delivery once the hook answers');
        const asked = calls;
        failHandler = true;
        await bus.publish(name, [text(null, 'b-0')]);
        await eventually(() => sink.messages.length >= 3, deliveryTimeoutMs, 'redelivery after the failure');
        expect(calls).toBe(asked + 1);
        expect(sink.messages.map((m) => m.value)).toEqual(['a-0', 'a-1', 'b-0']);
      });
    });

    it('lets stop() finish and commit the in-flight batch', async () => {
      const name = await topic(1);
      const group = unique('group');
      let entered!: () => void;
      const inHandler = new Promise<void>((resolve) => (entered = resolve));
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let runningDuringStop: boolean | undefined;
      const first = recorder(async (_batch, ctx) => {
        entered();
        await released;
        runningDuringStop ??= ctx.isRunning();
      });
      const firstSubscription = await subscribe({ groupId: group, topics: [name], handler: first.handler });
      await bus.publish(name, Array.from({ length: 10 }, (_, i) => text(null, `m${i}`)));
      await inHandler;
      const stopping = firstSubscription.stop();
      let stopped = false;
      void stopping.then(() => (stopped = true));
      await sleep(100);
      expect(stopped).toBe(false);
      release();
      await stopping;
      expect(runningDuringStop).toBe(false);
      expect(first.batches).toHaveLength(1);
      const inFlightLast = first.batches[0]!.lastOffset;

      const successor = recorder();
      await subscribe({ groupId: group, topics: [name], handler: successor.handler });
      await bus.publish(name, [text(null, 'sentinel')]);
      await eventually(() => successor.messages.some((m) => m.value === 'sentinel'), deliveryTimeoutMs, 'sentinel');
      expect(successor.messages[0]!.offset).toBe(inFlightLast + 1);
      expect(successor.messages.at(-1)!.offset).toBe(10);
    });

    describe('SubscribeOptions.partitionsConcurrently', () => {
      /**
       * A handler that records how many batches are in it at once, overall and per partition.
       * Each batch waits (up to `holdMs`) for a batch of another partition to join it, so that
       * overlap, where the bus allows it, does not depend on timing luck.
       */
      const overlapProbe = (holdMs: number) => {
        const active = new Map<number, number>();
        let inHandler = 0;
        const seen = { maxOverall: 0, maxPerPartition: 0, batches: 0, messages: 0, partitions: new Set<number>() };
        const handler: BatchHandler = async (batch) => {
          active.set(batch.partition, (active.get(batch.partition) ?? 0) + 1);
          inHandler += 1;
          seen.maxOverall = Math.max(seen.maxOverall, inHandler);
          seen.maxPerPartition = Math.max(seen.maxPerPartition, active.get(batch.partition)!);
          const deadline = Date.now() + holdMs;
          while (Date.now() < deadline && [...active].every(([p, n]) => p === batch.partition || n === 0)) await sleep(10);
          // Stay a little longer, so a second batch of the same partition would have the chance to overlap.
          await sleep(20);
          inHandler -= 1;
          active.set(batch.partition, active.get(batch.partition)! - 1);
          seen.batches += 1;
          seen.messages += batch.messages.length;
          seen.partitions.add(batch.partition);
        };
        return { seen, handler };
      };

      it('overlaps batches of different partitions when above 1, never two of one partition', async () => {
        const partitions = 3;
        const name = await topic(partitions);
        const probe = overlapProbe(2_000);
        await subscribe({ groupId: unique('group'), topics: [name], handler: probe.handler, partitionsConcurrently: partitions });
        const keys = keysCoveringPartitions(partitions, 100);
        await bus.publish(name, keys.map((k) => text(k, `1:${k}`)));
        // A second round while the first is in the handlers: every partition gets later batches too.
        await eventually(() => probe.seen.maxOverall >= 1, deliveryTimeoutMs, 'the first batch');
        await bus.publish(name, keys.map((k) => text(k, `2:${k}`)));
        await eventually(() => probe.seen.messages >= keys.length * 2, deliveryTimeoutMs, 'both rounds');
        await sleep(quietMs);
        expect(probe.seen.messages).toBe(keys.length * 2);
        expect(probe.seen.partitions.size).toBe(partitions);
        expect(probe.seen.batches).toBeGreaterThan(partitions);
        expect(probe.seen.maxOverall).toBeGreaterThanOrEqual(2);
        expect(probe.seen.maxPerPartition).toBe(1);
      });

      it('handles one batch at a time by default, across partitions too', async () => {
        const partitions = 2;
        const name = await topic(partitions);
        const probe = overlapProbe(300);
        await subscribe({ groupId: unique('group'), topics: [name], handler: probe.handler });
        const keys = keysCoveringPartitions(partitions, 20);
        await bus.publish(name, keys.map((k) => text(k, k)));
        await eventually(() => probe.seen.messages >= keys.length, deliveryTimeoutMs, 'every message');
        expect(probe.seen.partitions.size).toBe(partitions);
        expect(probe.seen.maxOverall).toBe(1);
      });

      it('lets stop() finish and commit every batch in flight', async () => {
        const partitions = 2;
        const name = await topic(partitions);
        const group = unique('group');
        let release!: () => void;
        const released = new Promise<void>((resolve) => (release = resolve));
        const entered = new Set<number>();
        const first = recorder(async (batch) => {
          entered.add(batch.partition);
          await released;
        });
        // Published before subscribing: Kafka's first fetch then brings both partitions, and kafkajs
        // fetches again only once a fetch's batches all settled (a held batch would hold a later one back).
        const keys = keysCoveringPartitions(partitions, 5);
        await bus.publish(name, keys.map((k) => text(k, k)));
        const subscription = await subscribe({ groupId: group, topics: [name], handler: first.handler, partitionsConcurrently: partitions });
        await eventually(() => entered.size === partitions, deliveryTimeoutMs, 'a batch of each partition in the handler');
        const stopping = subscription.stop();
        await sleep(100);
        release();
        await stopping;
        const lastByPartition = new Map(first.batches.map((b) => [b.partition, b.lastOffset]));
        expect(lastByPartition.size).toBe(partitions);

        const successor = recorder();
        await subscribe({ groupId: group, topics: [name], handler: successor.handler });
        await bus.publish(name, keysCoveringPartitions(partitions, 1).map((k) => text(k, 'sentinel')));
        await eventually(() => successor.messages.filter((m) => m.value === 'sentinel').length >= partitions, deliveryTimeoutMs, 'sentinels');
        await sleep(quietMs);
        // Nothing the stopped member handled comes again: each partition resumes after its batch.
        for (const [partition, last] of lastByPartition) {
          const resumed = successor.messages.filter((m) => m.partition === partition);
          expect(resumed[0]!.offset).toBe(last + 1);
        }
      });

      it('refuses a value that is not a positive integer', async () => {
        const name = await topic(1);
        for (const bad of [0, -1, 1.5, Number.NaN]) {
          await expect(bus.subscribe({ groupId: unique('group'), topics: [name], handler: async () => {}, partitionsConcurrently: bad })).rejects.toThrow(RangeError);
        }
      });
    });

    describe('SubscribeOptions.coPartitioned', () => {
      /** Partition numbers a member received per topic, from the messages of one round. */
      const numbersOf = (messages: Seen[], round: string): number[] =>
        [...new Set(messages.filter((m) => m.value.startsWith(round)).map((m) => m.partition))].sort((a, b) => a - b);

      /**
       * Every member got the same numbers from both topics, and the members' numbers split
       * 0..partitions-1 between them: each partition of each topic consumed by exactly one member.
       */
      const expectCoPartitioned = (members: { a: Seen[]; b: Seen[] }[], round: string, partitions: number): void => {
        const owned = members.map(({ a, b }) => {
          const fromA = numbersOf(a, round);
          expect(numbersOf(b, round)).toEqual(fromA);
          return fromA;
        });
        expect(owned.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: partitions }, (_, i) => i));
        for (const numbers of owned) expect(numbers.length).toBeGreaterThan(0);
      };

      it('gives each member the same partition numbers of both topics, before and after a member leaves', async () => {
        // 5 partitions among 3 members, then 2: round-robin over topic-partitions would split the
        // numbers differently per topic in both cases.
        const partitions = 5;
        const [topicA, topicB] = [await topic(partitions), await topic(partitions)];
        const group = unique('group');
        const keys = keysCoveringPartitions(partitions, 3);
        const members = [0, 1, 2].map(() => {
          const a: Seen[] = [];
          const b: Seen[] = [];
          let joins = 0;
          return { a, b, joinsSeen: () => joins, onStatus: () => (joins += 1) };
        });
        const memberSubscriptions: Subscription[] = [];
        for (const member of members) {
          memberSubscriptions.push(
            await subscribe({
              groupId: group,
              topics: [topicA, topicB],
              coPartitioned: true,
              handler: async (batch) => {
                const seen = batch.messages.map((m) => ({ key: m.key?.toString() ?? null, value: m.value?.toString() ?? '', partition: m.partition, offset: m.offset }));
                (batch.topic === topicA ? member.a : member.b).push(...seen);
              },
              onStatus: (status) => {
                if (status.state === 'running') member.onStatus();
              },
            }),
          );
        }
        const publishRound = async (round: string): Promise<void> => {
          await bus.publish(topicA, keys.map((k) => text(k, `${round}:${k}`)));
          await bus.publish(topicB, keys.map((k) => text(k, `${round}:${k}`)));
        };
        const received = (round: string, among: typeof members): number =>
          among.reduce((n, m) => n + [...m.a, ...m.b].filter((s) => s.value.startsWith(`${round}:`)).length, 0);

        // Each subscribe() resolves once its member joined, so the three-member split is in place.
        await publishRound('r1');
        await eventually(() => received('r1', members) >= keys.length * 2, deliveryTimeoutMs, 'round 1 on both topics');
        await sleep(quietMs);
        expect(received('r1', members)).toBe(keys.length * 2);
        expectCoPartitioned(members, 'r1:', partitions);

        // A member leaves: the others rejoin (a bus that reports joins through onStatus says when).
        const remaining = members.slice(1);
        const joinsBefore = remaining.map((m) => m.joinsSeen());
        await memberSubscriptions[0]!.stop();
        if (joinsBefore.some((n) => n > 0)) {
          await eventually(() => remaining.every((m, i) => m.joinsSeen() > joinsBefore[i]!), deliveryTimeoutMs, 'the rebalance');
        }
        await publishRound('r2');
        await eventually(() => received('r2', remaining) >= keys.length * 2, deliveryTimeoutMs, 'round 2 on both topics');
        await sleep(quietMs);
        expect(received('r2', members)).toBe(keys.length * 2);
        expectCoPartitioned(remaining, 'r2:', partitions);
      });

      it('tells each member its partitions at every assignment (onAssigned): all alone, its share beside another, all again after it left', async () => {
        const partitions = 4;
        const [topicA, topicB] = [await topic(partitions), await topic(partitions)];
        const group = unique('group');
        const all = Array.from({ length: partitions }, (_, i) => i);
        const latest: (Record<string, number[]> | null)[] = [null, null];
        const member = (i: number) =>
          subscribe({
            groupId: group,
            topics: [topicA, topicB],
            coPartitioned: true,
            handler: async () => {},
            onAssigned: (assignment) => {
              latest[i] = Object.fromEntries(Object.entries(assignment).map(([t, ps]) => [t, [...ps].sort((x, y) => x - y)]));
            },
          });
        const owned = (i: number): number[] | undefined => latest[i]?.[topicA];
        const sameOnBoth = (i: number): boolean => JSON.stringify(latest[i]?.[topicA] ?? []) === JSON.stringify(latest[i]?.[topicB] ?? []);

        await member(0);
        await eventually(() => JSON.stringify(owned(0)) === JSON.stringify(all) && sameOnBoth(0), deliveryTimeoutMs, 'the first assignment');
        const second = await member(1);
        await eventually(
          () => (owned(0)?.length ?? 0) > 0 && (owned(1)?.length ?? 0) > 0 && JSON.stringify([...owned(0)!, ...owned(1)!].sort((x, y) => x - y)) === JSON.stringify(all),
          deliveryTimeoutMs,
          'the split between two members',
        );
        expect(sameOnBoth(0) && sameOnBoth(1)).toBe(true);
        await second.stop();
        await eventually(() => JSON.stringify(owned(0)) === JSON.stringify(all), deliveryTimeoutMs, 'the first member owning everything again');
        expect(sameOnBoth(0)).toBe(true);
      });

      describe('BatchContext.pauseCoPartition', () => {
        /**
         * One member reading topics A and B (one partition each) that pauses or resumes B's
         * partition from its next batch of A, as `order` says.
         */
        const pausingMember = async (group: string, topicA: string, topicB: string) => {
          const seenB: number[] = [];
          const order: { next: 'pause' | 'resume' | null; done: number; results: boolean[] } = { next: null, done: 0, results: [] };
          await subscribe({
            groupId: group,
            topics: [topicA, topicB],
            coPartitioned: true,
            handler: async (batch, ctx) => {
              if (batch.topic === topicB) {
                seenB.push(...batch.messages.map((m) => Number(m.value!.toString())));
                return;
              }
              if (order.next === 'pause') order.results.push(ctx.pauseCoPartition!(topicB));
              if (order.next === 'resume') order.results.push(ctx.resumeCoPartition!(topicB));
              if (order.next !== null) order.done += 1;
              order.next = null;
            },
          });
          /** Has the member's next batch of A pause or resume B. */
          const command = async (what: 'pause' | 'resume'): Promise<void> => {
            const before = order.done;
            order.next = what;
            await bus.publish(topicA, [text('a', what)]);
            await eventually(() => order.done > before, deliveryTimeoutMs, `the batch of A that ${what}s B`);
          };
          return { seenB, command, results: order.results };
        };
        const numbered = (from: number, count: number): OutgoingMessage[] => Array.from({ length: count }, (_, i) => text('b', String(from + i)));
        const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);

        it('delivers nothing of a paused co-partition, and all of it in order after the resume', async () => {
          const [topicA, topicB] = [await topic(1), await topic(1)];
          const member = await pausingMember(unique('group'), topicA, topicB);
          await bus.publish(topicB, numbered(0, 10));
          await eventually(() => member.seenB.length >= 10, deliveryTimeoutMs, 'B before the pause');

          await member.command('pause');
          await member.command('pause');
          // More than one batch's worth (MemoryBus hands over 64 at most), published in two sends.
          await bus.publish(topicB, numbered(10, 150));
          await bus.publish(topicB, numbered(160, 40));
          await sleep(Math.max(quietMs * 2, 1_000));
          expect(member.seenB).toEqual(range(0, 10));

          await member.command('resume');
          await eventually(() => member.seenB.length >= 200, deliveryTimeoutMs, 'B after the resume');
          await member.command('resume');
          await sleep(quietMs);
          expect(member.seenB).toEqual(range(0, 200));
          // Each call says whether it changed anything: a second pause or resume does not.
          expect(member.results).toEqual([true, false, true, false]);
        });

        it('is cleared by a new assignment: a member that paused and was rebalanced gets its co-partition again without a resume', async () => {
          const [topicA, topicB] = [await topic(1), await topic(1)];
          const group = unique('group');
          const member = await pausingMember(group, topicA, topicB);
          await member.command('pause');
          await bus.publish(topicB, numbered(0, 5));
          await sleep(Math.max(quietMs * 2, 1_000));
          expect(member.seenB).toEqual([]);

          // Another member joins and leaves: two assignments; the paused member owns everything again.
          const other = recorder();
          const joined = await subscribe({ groupId: group, topics: [topicA, topicB], coPartitioned: true, handler: other.handler });
          await joined.stop();
          await bus.publish(topicB, numbered(5, 5));
          await eventually(() => member.seenB.length + other.messages.filter((m) => m.value !== 'pause').length >= 10, deliveryTimeoutMs, 'B after the rebalance');
          await sleep(quietMs);
          const otherB = other.messages.filter((m) => m.partition === 0 && /^\d+$/.test(m.value)).map((m) => Number(m.value));
          // The other member may have read B while it owned it; together nothing is missing, and the paused member got the messages published after it left.
          expect([...new Set([...otherB, ...member.seenB])].sort((x, y) => x - y)).toEqual(range(0, 10));
          expect(member.seenB).toEqual(expect.arrayContaining(range(5, 5)));
        });

        it('is offered only to co-partitioned subscriptions, and refuses a topic the subscription does not read', async () => {
          const [topicA, topicB] = [await topic(1), await topic(1)];
          const offered: { plain?: boolean; refused?: unknown } = {};
          await subscribe({
            groupId: unique('group'),
            topics: [topicA],
            handler: async (_batch, ctx) => {
              offered.plain = ctx.pauseCoPartition !== undefined || ctx.resumeCoPartition !== undefined;
            },
          });
          await subscribe({
            groupId: unique('group'),
            topics: [topicB],
            coPartitioned: true,
            handler: async (_batch, ctx) => {
              try {
                ctx.pauseCoPartition!(topicA);
              } catch (error) {
                offered.refused = error;
              }
            },
          });
          await bus.publish(topicA, [text('a', 'x')]);
          await bus.publish(topicB, [text('b', 'x')]);
          await eventually(() => offered.plain !== undefined && offered.refused !== undefined, deliveryTimeoutMs, 'a batch of each subscription');
          expect(offered.plain).toBe(false);
          expect(offered.refused).toBeInstanceOf(RangeError);
        });
      });

      it('refuses a member whose coPartitioned differs from the group\'s', async () => {
        const name = await topic(2);
        const group = unique('group');
        const sink = recorder();
        await subscribe({ groupId: group, topics: [name], coPartitioned: true, handler: sink.handler });
        const joining = bus.subscribe({ groupId: group, topics: [name], handler: async () => {} });
        await expect(joining).rejects.toBeInstanceOf(GroupOptionsMismatchError);
        // The group goes on with its member.
        await bus.publish(name, keysCoveringPartitions(2, 1).map((k) => text(k, k)));
        await eventually(() => sink.messages.length >= 2, deliveryTimeoutMs, 'the member\'s messages');
      });

      it('refuses topics whose partition counts differ', async () => {
        const [three, four] = [await topic(3), await topic(4)];
        const subscribing = bus.subscribe({ groupId: unique('group'), topics: [three, four], coPartitioned: true, handler: async () => {} });
        await expect(subscribing).rejects.toBeInstanceOf(PartitionCountMismatchError);
        await expect(subscribing).rejects.toThrow(`${three}: 3, ${four}: 4`);
      });
    });

    it('moves 10k events through, all seen once, offsets contiguous per partition', async () => {
      const partitions = 3;
      const name = await topic(partitions);
      const total = 10_000;
      const sink = recorder();
      await subscribe({ groupId: unique('group'), topics: [name], handler: sink.handler });
      for (let start = 0; start < total; start += 1000) {
        const chunk = Array.from({ length: 1000 }, (_, i) => `e${start + i}`);
        await bus.publish(name, chunk.map((v) => text(v, v)));
      }
      await eventually(() => sink.messages.length >= total, deliveryTimeoutMs, `${total} messages`);
      await sleep(quietMs);
      expect(sink.messages).toHaveLength(total);
      expect(new Set(sink.messages.map((m) => m.value)).size).toBe(total);
      for (let p = 0; p < partitions; p++) {
        const offsets = sink.messages.filter((m) => m.partition === p).map((m) => m.offset);
        expect(offsets).toEqual(offsets.map((_, i) => i));
      }
    });

    it('ensureTopics is idempotent, keeps the asked partition count and refuses a different one', async () => {
      const name = unique('topic');
      const spec = { topic: name, partitions: 3 };
      await bus.ensureTopics([spec]);
      await bus.ensureTopics([spec]);
      await bus.ensureTopics([{ topic: unique('compacted'), partitions: 2, cleanupPolicy: 'compact' }]);
      await expect(bus.ensureTopics([{ topic: name, partitions: 5 }])).rejects.toBeInstanceOf(TopicMismatchError);

      const sink = recorder();
      await subscribe({ groupId: unique('group'), topics: [name], handler: sink.handler });
      const keys = keysCoveringPartitions(3, 4);
      await bus.publish(name, keys.map((k) => text(k, k)));
      await eventually(() => sink.messages.length >= keys.length, deliveryTimeoutMs, 'messages');
      expect([...new Set(sink.messages.map((m) => m.partition))].sort()).toEqual([0, 1, 2]);
      for (const m of sink.messages) expect(m.partition).toBe(partitionForKey(m.key!, 3));
    });

    describe('LogReader.readFrom', () => {
      /** Reads the whole range and keeps what was handed over, call by call. */
      const readAll = async (name: string, fromTime: number, onCall?: (messages: BusMessage[]) => Promise<void> | void) => {
        const calls: BusMessage[][] = [];
        const result = await bus.readFrom(name, fromTime, async (messages) => {
          calls.push(messages);
          await onCall?.(messages);
        });
        return { result, calls, messages: calls.flat() };
      };

      it('reads exactly the messages stamped at or after the time, in offset order per partition', async () => {
        const partitions = 3;
        const name = await topic(partitions);
        const keys = keysCoveringPartitions(partitions, 4);
        // CreateTime set by the producer; recent enough that no retention removes them.
        const old = Date.now() - 20 * 60_000;
        const from = old + 10 * 60_000;
        for (let seq = 0; seq < 3; seq++) {
          await bus.publish(name, keys.map((key) => ({ ...text(key, `old:${key}:${seq}`), timestamp: old + seq })));
        }
        for (let seq = 0; seq < 3; seq++) {
          // The first of them exactly at the bound: "at or after" includes it.
          await bus.publish(name, keys.map((key) => ({ ...text(key, `new:${key}:${seq}`), timestamp: from + seq })));
        }
        const { result, messages, calls } = await readAll(name, from);

        expect(result.messages).toBe(keys.length * 3);
        expect(messages).toHaveLength(keys.length * 3);
        expect(calls.every((call) => call.length > 0)).toBe(true);
        expect(messages.every((m) => m.value!.toString().startsWith('new:'))).toBe(true);
        expect(new Set(messages.map((m) => m.value!.toString())).size).toBe(messages.length);
        const lastOffset = new Map<number, number>();
        const lastSeq = new Map<string, number>();
        for (const m of messages) {
          expect(m.topic).toBe(name);
          expect(m.partition).toBe(partitionForKey(m.key!.toString(), partitions));
          expect(m.offset).toBeGreaterThan(lastOffset.get(m.partition) ?? -1);
          lastOffset.set(m.partition, m.offset);
          const seq = Number(m.value!.toString().split(':')[2]);
          expect(seq).toBe((lastSeq.get(m.key!.toString()) ?? -1) + 1);
          lastSeq.set(m.key!.toString(), seq);
          expect(m.timestamp).toBeGreaterThanOrEqual(from);
        }
        expect(lastOffset.size).toBe(partitions);

        // From before everything: all of it; each partition's offsets contiguous from 0.
        const everything = await readAll(name, 0);
        expect(everything.result.messages).toBe(keys.length * 6);
        for (let p = 0; p < partitions; p++) {
          const offsets = everything.messages.filter((m) => m.partition === p).map((m) => m.offset);
          expect(offsets).toEqual(offsets.map((_, i) => i));
        }
      });

      it('does not wait for messages published after the read started', async () => {
        const name = await topic(2);
        const keys = keysCoveringPartitions(2, 10);
        await bus.publish(name, keys.map((key) => text(key, `before:${key}`)));
        let published = false;
        const { result, messages } = await readAll(name, 0, async () => {
          if (published) return;
          published = true;
          await bus.publish(name, keys.map((key) => text(key, `during:${key}`)));
        });
        expect(published).toBe(true);
        expect(result.messages).toBe(keys.length);
        expect(messages.map((m) => m.value!.toString()).sort()).toEqual(keys.map((key) => `before:${key}`).sort());
        // The later ones are there for the next read.
        expect((await readAll(name, 0)).result.messages).toBe(2 * keys.length);
      });

      it('reads a partition larger than one fetch to its end', async () => {
        // Several fetches' worth (kafkajs fetches 1 MiB per partition): a reader that does not
        // move its position after a batch would read the first one again forever.
        const name = await topic(1);
        const payload = 'x'.repeat(2_000);
        const total = 1_500;
        for (let start = 0; start < total; start += 500) {
          await bus.publish(name, Array.from({ length: 500 }, (_, i) => text(null, `${start + i}:${payload}`)));
        }
        const { result, messages } = await readAll(name, 0);
        expect(result.messages).toBe(total);
        expect(messages.map((m) => Number(m.value!.toString().split(':')[0]))).toEqual(Array.from({ length: total }, (_, i) => i));
      });

      it('resolves at once on an empty topic and on a topic with nothing after the time', async () => {
        const empty = await topic(3);
        const started = Date.now();
        const none = await readAll(empty, 0);
        expect(none.result.messages).toBe(0);
        expect(none.calls).toHaveLength(0);

        const stale = await topic(2);
        await bus.publish(stale, [{ ...text('a', 'old'), timestamp: Date.now() - 60_000 }]);
        const after = await readAll(stale, Date.now() + 60_000);
        expect(after.result.messages).toBe(0);
        expect(after.calls).toHaveLength(0);
        // No consumer group is joined when there is nothing to read.
        expect(Date.now() - started).toBeLessThan(2_000);
      });

      it('rejects a topic that does not exist and an aborted read', async () => {
        await expect(bus.readFrom(unique('missing'), 0, () => {})).rejects.toBeInstanceOf(UnknownTopicError);
        const name = await topic(1);
        await bus.publish(name, Array.from({ length: 20 }, (_, i) => text(null, `m${i}`)));
        const aborted = new AbortController();
        aborted.abort(new Error('stop reading'));
        await expect(bus.readFrom(name, 0, () => {}, { signal: aborted.signal })).rejects.toThrow('stop reading');

        const midway = new AbortController();
        const reading = bus.readFrom(name, 0, () => midway.abort(new Error('enough')), { signal: midway.signal });
        await expect(reading).rejects.toThrow('enough');
      });
    });

    describe('LogReader.readPartition', () => {
      const readPartition = async (name: string, partition: number, fromTime: number, endOffset: number, signal?: AbortSignal) => {
        const calls: BusMessage[][] = [];
        const result = await bus.readPartition(name, partition, fromTime, endOffset, (messages) => void calls.push(messages), signal ? { signal } : {});
        return { result, calls, messages: calls.flat() };
      };
      // Offsets 0..9 of one partition, stamped out of order as CreateTimes from several
      // producers' clocks can be: the first stamp ≥ base + 10 is at offset 3, and offsets 4 and 7
      // carry older stamps after it.
      const stamps = [0, 1, 2, 10, 3, 11, 12, 4, 13, 14];
      const base = Date.now() - 20 * 60_000;
      const filled = async (): Promise<{ name: string; target: number }> => {
        const name = await topic(2);
        const keys = keysCoveringPartitions(2, 1);
        const target = partitionForKey(keys[1]!, 2);
        // The other partition gets the same stamps: a read must never hand over its messages.
        for (const key of keys) {
          await bus.publish(name, stamps.map((stamp, i) => ({ ...text(key, `${key}:${i}`), timestamp: base + stamp })));
        }
        return { name, target };
      };

      it('reads one partition from the first offset stamped at or after the time up to the end offset, exclusive', async () => {
        const { name, target } = await filled();
        const key = keysCoveringPartitions(2, 1)[1]!;
        // The start stamp equals fromTime (inclusive); offset 8 is the end (exclusive).
        const { result, messages } = await readPartition(name, target, base + 10, 8);
        expect(result.messages).toBe(5);
        expect(messages.map((m) => m.offset)).toEqual([3, 4, 5, 6, 7]);
        expect(messages.map((m) => m.value!.toString())).toEqual([3, 4, 5, 6, 7].map((i) => `${key}:${i}`));
        expect(messages.map((m) => m.timestamp)).toEqual([3, 4, 5, 6, 7].map((i) => base + stamps[i]!));
        expect(messages.every((m) => m.topic === name && m.partition === target && m.key?.toString() === key)).toBe(true);

        // One ms later the start moves to the next stamp ≥ it (offset 5); an end past the
        // partition's end is clamped to it.
        const later = await readPartition(name, target, base + 11, 1_000);
        expect(later.messages.map((m) => m.offset)).toEqual([5, 6, 7, 8, 9]);
        // From before everything: the whole partition, every explicit stamp kept.
        const all = await readPartition(name, target, 0, 10);
        expect(all.messages.map((m) => m.timestamp)).toEqual(stamps.map((stamp) => base + stamp));
      });

      it('resolves at once with nothing for an empty range', async () => {
        const { name, target } = await filled();
        const started = Date.now();
        for (const [fromTime, endOffset] of [
          [base + 15, 10], // no stamp at or after the time
          [base + 10, 3], // the end at the start
          [base + 10, 2], // the end before the start
          [0, 0],
        ] as const) {
          const { result, calls } = await readPartition(name, target, fromTime, endOffset);
          expect(result.messages, `from ${fromTime - base}, end ${endOffset}`).toBe(0);
          expect(calls).toHaveLength(0);
        }
        const empty = await topic(1);
        expect((await readPartition(empty, 0, 0, 100)).calls).toHaveLength(0);
        // No consumer group is joined when there is nothing to read.
        expect(Date.now() - started).toBeLessThan(3_000);
      });

      it('stops at an abort with its reason; rejects an unknown topic and a partition the topic does not have', async () => {
        const { name, target } = await filled();
        const stop = new AbortController();
        const reading = bus.readPartition(name, target, 0, 10, () => stop.abort(new Error('found it')), { signal: stop.signal });
        await expect(reading).rejects.toThrow('found it');
        await expect(bus.readPartition(unique('missing'), 0, 0, 10, () => {})).rejects.toBeInstanceOf(UnknownTopicError);
        await expect(bus.readPartition(name, 2, 0, 10, () => {})).rejects.toBeInstanceOf(RangeError);
      });
    });

    it('rejects publishing to or subscribing to a topic that does not exist', async () => {
      const missing = unique('missing');
      await expect(bus.publish(missing, [text('k', 'v')])).rejects.toBeInstanceOf(UnknownTopicError);
      await expect(
        bus.subscribe({ groupId: unique('group'), topics: [missing], handler: async () => {} }),
      ).rejects.toBeInstanceOf(UnknownTopicError);
    });
  });
}
