import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../../shared/bus/memory-bus.js';
import { ConsumerFailedError, ConsumptionTracker } from '../../../services/embedded/consumption-tracker.js';

const message = (i: number) => ({ key: `k${i}`, value: Buffer.from(String(i)) });

async function setup() {
  const bus = new ConsumptionTracker(new MemoryBus({ maxBatchMessages: 3, retryInitialMs: 1, retryMaxMs: 1 }));
  await bus.ensureTopics([{ topic: 'in', partitions: 3 }, { topic: 'out', partitions: 2 }]);
  return bus;
}

describe('ConsumptionTracker', () => {
  it('resolves only once every group handled every message, including what handlers publish', async () => {
    const bus = await setup();
    const seenOut: string[] = [];
    await bus.subscribe({
      groupId: 'relay',
      topics: ['in'],
      handler: async (batch) => {
        await new Promise((resolve) => setTimeout(resolve, 2));
        await bus.publish('out', batch.messages.map((m) => ({ key: null, value: m.value! })));
      },
    });
    await bus.subscribe({ groupId: 'sink', topics: ['out'], handler: async (batch) => void seenOut.push(...batch.messages.map((m) => m.value!.toString())) });
    await bus.publish('in', Array.from({ length: 50 }, (_, i) => message(i)));
    await bus.whenCaughtUp();
    expect(seenOut.sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
    expect(bus.publishedCount('out')).toBe(50);
    await bus.close();
  });

  it('rejects when a handler keeps failing instead of waiting forever', async () => {
    const bus = await setup();
    await bus.subscribe({ groupId: 'broken', topics: ['in'], handler: async () => { throw new Error('boom'); } });
    await bus.publish('in', [message(1)]);
    await expect(bus.whenCaughtUp()).rejects.toBeInstanceOf(ConsumerFailedError);
    await bus.close();
  });

  it('rejects with the abort reason when the wait is aborted', async () => {
    const bus = await setup();
    await bus.subscribe({ groupId: 'stuck', topics: ['in'], handler: () => new Promise(() => {}) });
    await bus.publish('in', [message(1)]);
    const controller = new AbortController();
    const waiting = bus.whenCaughtUp(controller.signal);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
  });
});
