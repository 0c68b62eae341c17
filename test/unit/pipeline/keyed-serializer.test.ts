import { describe, expect, it } from 'vitest';
import { KeyedSerializer } from '../../../shared/pipeline/keyed-serializer.js';

/** A promise and the functions that settle it, for work a test releases when it chooses. */
function gate() {
  let open!: () => void;
  let fail!: (error: Error) => void;
  const opened = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { opened, open, fail };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('KeyedSerializer', () => {
  it('runs one key\'s work one at a time, in the order asked', async () => {
    const serializer = new KeyedSerializer();
    const events: string[] = [];
    const first = gate();
    const a = serializer.run('m', async () => {
      events.push('a start');
      await first.opened;
      events.push('a end');
      return 'a';
    });
    const b = serializer.run('m', async () => {
      events.push('b start');
      return 'b';
    });
    await tick();
    expect(events).toEqual(['a start']);
    first.open();
    expect(await Promise.all([a, b])).toEqual(['a', 'b']);
    expect(events).toEqual(['a start', 'a end', 'b start']);
  });

  it('runs different keys side by side', async () => {
    const serializer = new KeyedSerializer();
    const held = gate();
    let otherRan = false;
    const blocked = serializer.run('m1', () => held.opened);
    await serializer.run('m2', async () => {
      otherRan = true;
    });
    expect(otherRan).toBe(true);
    expect(serializer.busy('m1')).toBe(true);
    held.open();
    await blocked;
  });

  it('starts work at once when its key is idle (no extra tick on the hot path)', () => {
    const serializer = new KeyedSerializer();
    let started = false;
    void serializer.run('m', async () => {
      started = true;
    });
    expect(started).toBe(true);
  });

  it('passes a failure to its caller only, and runs the work queued behind it', async () => {
    const serializer = new KeyedSerializer();
    const first = gate();
    const failing = serializer.run('m', () => first.opened);
    const next = serializer.run('m', async () => 'still runs');
    first.fail(new Error('apply failed'));
    await expect(failing).rejects.toThrow('apply failed');
    expect(await next).toBe('still runs');
  });

  it('turns a synchronous throw into a rejection', async () => {
    const serializer = new KeyedSerializer();
    const work = (() => {
      throw new TypeError('bad');
    }) as unknown as () => Promise<void>;
    await expect(serializer.run('m', work)).rejects.toThrow('bad');
    await tick();
    expect(serializer.size).toBe(0);
  });

  it('forgets a key once its queue is empty, so it never grows with the number of keys', async () => {
    const serializer = new KeyedSerializer();
    await Promise.all(Array.from({ length: 1_000 }, (_, i) => serializer.run(`model-${i}`, async () => i)));
    await tick();
    expect(serializer.size).toBe(0);
    expect(serializer.busy('model-1')).toBe(false);
  });

  it('never has two of a key\'s works running at once under random interleavings', async () => {
    const serializer = new KeyedSerializer();
    const running = new Map<string, number>();
    let maxSameKey = 0;
    let maxAll = 0;
    let all = 0;
    const works = Array.from({ length: 200 }, (_, i) => {
      const key = `m${i % 3}`;
      return serializer.run(key, async () => {
        running.set(key, (running.get(key) ?? 0) + 1);
        all += 1;
        maxSameKey = Math.max(maxSameKey, running.get(key)!);
        maxAll = Math.max(maxAll, all);
        for (let t = 0; t < (i * 7) % 4; t++) await tick();
        running.set(key, running.get(key)! - 1);
        all -= 1;
      });
    });
    await Promise.all(works);
    expect(maxSameKey).toBe(1);
    expect(maxAll).toBe(3);
  });
});
