import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../../shared/bus/memory-bus.js';
import { Codec, type Alert, type AlertInput } from '../../../shared/codec/index.js';
import { AlertSubscriber, alertFilter } from '../../../shared/sdk/index.js';
import { topicNames } from '../../../shared/topics.js';
import { SAMPLE_EVENTS } from '../../support/sample-events.js';

const codec = new Codec();
const topics = topicNames('t.');
const silent = pino({ level: 'silent' });

let n = 0;
const alert = (over: Partial<AlertInput> = {}): AlertInput => {
  n += 1;
  return { ...SAMPLE_EVENTS.alert, id: `a-${n}`, ...over };
};

async function setup(options: { maxBatchMessages?: number } = {}) {
  const bus = new MemoryBus({ maxBatchMessages: options.maxBatchMessages ?? 500 });
  await bus.ensureTopics([{ topic: topics.alerts, partitions: 3 }]);
  const publish = (alerts: AlertInput[]) =>
    bus.publish(
      topics.alerts,
      alerts.map((a) => ({ key: a.key, ...codec.encode('alert', a) })),
    );
  return { bus, publish };
}

/** Takes `count` alerts from the iterator (without ending it), failing after a timeout. */
async function take(iterator: AsyncIterator<Alert>, count: number, timeoutMs = 5_000): Promise<Alert[]> {
  const out: Alert[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < count) {
    const next = await Promise.race([
      iterator.next(),
      new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now()))),
    ]);
    if (next === 'timeout') throw new Error(`only ${out.length} of ${count} alerts arrived`);
    if (next.done) break;
    out.push(next.value);
  }
  return out;
}

const quiet = (ms = 50) => new Promise((resolve) => setTimeout(resolve, ms));

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

describe('alertFilter', () => {
  const a = (over: Partial<Alert>): Alert => ({ ...(SAMPLE_EVENTS.alert as Alert), ...over });

  it('passes everything without a filter', () => {
    expect(alertFilter()(a({}))).toBe(true);
  });

  it('filters by model, kind, status (one or several) and minimum severity', () => {
    const f = alertFilter({ model: ['churn', 'fraud'], kind: 'PERFORMANCE', status: 'FIRING', minSeverity: 'WARNING' });
    const ok = a({ model: 'fraud', kind: 'PERFORMANCE', status: 'FIRING', severity: 'CRITICAL' });
    expect(f(ok)).toBe(true);
    expect(f({ ...ok, model: 'other' })).toBe(false);
    expect(f({ ...ok, kind: 'DATA_DRIFT' })).toBe(false);
    expect(f({ ...ok, status: 'RESOLVED' })).toBe(false);
    expect(f({ ...ok, severity: 'INFO' })).toBe(false);
    expect(f({ ...ok, severity: 'WARNING' })).toBe(true);
  });
});

describe('AlertSubscriber on the MemoryBus', () => {
  it('with fromTime, delivers exactly the alerts stamped at or after it, whenever the subscription started', async () => {
    const { bus } = await setup();
    cleanup.push(() => bus.close());
    const at = (ts: number, a: AlertInput) => ({ key: a.key, timestamp: ts, ...codec.encode('alert', a) });
    await bus.publish(topics.alerts, [at(1_000, alert({ id: 'old' })), at(2_000, alert({ id: 'edge' })), at(3_000, alert({ id: 'new' }))]);
    const subscriber = new AlertSubscriber({ bus, topics, fromTime: 2_000, logger: silent });
    cleanup.push(() => subscriber.close());
    const iterator = subscriber[Symbol.asyncIterator]();
    expect((await take(iterator, 2)).map((a) => a.id)).toEqual(['edge', 'new']);
    await bus.publish(topics.alerts, [at(4_000, alert({ id: 'later' }))]);
    expect((await take(iterator, 1)).map((a) => a.id)).toEqual(['later']);
  });

  it('delivers the alerts published after start(), filtered', async () => {
    const { bus, publish } = await setup();
    cleanup.push(() => bus.close());
    await publish([alert({ id: 'before' })]);
    const subscriber = new AlertSubscriber({
      bus,
      topics,
      logger: silent,
      filter: { model: 'churn', kind: ['DATA_DRIFT', 'CONCEPT_DRIFT'], minSeverity: 'WARNING', status: 'FIRING' },
    });
    await subscriber.start();
    await publish([
      alert({ id: 'ok-1' }),
      alert({ id: 'other-model', model: 'fraud', key: 'fraud|1|DATA_DRIFT|psi|x' }),
      alert({ id: 'info', severity: 'INFO' }),
      alert({ id: 'perf', kind: 'PERFORMANCE' }),
      alert({ id: 'resolved', status: 'RESOLVED' }),
      alert({ id: 'ok-2', kind: 'CONCEPT_DRIFT', severity: 'CRITICAL', key: 'churn|3|CONCEPT_DRIFT|concept_drift|' }),
    ]);
    const iterator = subscriber[Symbol.asyncIterator]();
    const got = await take(iterator, 2);
    expect(got.map((a) => a.id).sort()).toEqual(['ok-1', 'ok-2']);
    // A batch is done once the app asks past its alerts; then every partition is read.
    const pending = iterator.next();
    await expect.poll(() => subscriber.stats).toEqual({ delivered: 2, filtered: 4, skipped: 0 });
    await subscriber.close();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('reads retained alerts with fromBeginning', async () => {
    const { bus, publish } = await setup();
    cleanup.push(() => bus.close());
    await publish([alert({ id: 'old-1' }), alert({ id: 'old-2' })]);
    const subscriber = new AlertSubscriber({ bus, topics, logger: silent, fromBeginning: true });
    cleanup.push(() => subscriber.close());
    const got = await take(subscriber[Symbol.asyncIterator](), 2);
    expect(got.map((a) => a.id).sort()).toEqual(['old-1', 'old-2']);
  });

  it('works with for await, and break closes the subscriber', async () => {
    const { bus, publish } = await setup();
    cleanup.push(() => bus.close());
    const subscriber = new AlertSubscriber({ bus, topics, logger: silent });
    await subscriber.start();
    await publish([alert({ id: 'x-1', key: 'k1' }), alert({ id: 'x-2', key: 'k1' }), alert({ id: 'x-3', key: 'k1' })]);
    const seen: string[] = [];
    for await (const a of subscriber) {
      seen.push(a.id);
      if (seen.length === 2) break;
    }
    expect(seen).toEqual(['x-1', 'x-2']);
    // Closed: a new loop ends at once.
    for await (const a of subscriber) throw new Error(`unexpected ${a.id}`);
  });

  it('skips messages that are not readable alerts, with a warning, and keeps going', async () => {
    const { bus } = await setup();
    cleanup.push(() => bus.close());
    const lines: string[] = [];
    const logger = pino(
      { level: 'warn' },
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    const subscriber = new AlertSubscriber({ bus, topics, logger });
    cleanup.push(() => subscriber.close());
    await subscriber.start();
    const label = codec.encode('label', SAMPLE_EVENTS.label);
    const good = codec.encode('alert', alert({ id: 'good', key: 'same' }));
    await bus.publish(topics.alerts, [
      { key: 'same', value: Buffer.from('garbage'), headers: good.headers },
      { key: 'same', value: label.value, headers: label.headers },
      { key: 'same', value: good.value, headers: {} },
      { key: 'same', ...good },
    ]);
    const got = await take(subscriber[Symbol.asyncIterator](), 1);
    expect(got[0]?.id).toBe('good');
    expect(subscriber.stats.skipped).toBe(3);
    const reasons = lines.map((line) => JSON.parse(line) as { reason: string; msg: string });
    expect(reasons.map((r) => r.reason)).toEqual(['MALFORMED', 'WRONG_SCHEMA', 'MISSING_SCHEMA_HEADER']);
    expect(reasons[0]?.msg).toMatch(/not a readable alert/);
  });

  it('holds the bus back while the queue is full and drops nothing', async () => {
    const { bus, publish } = await setup({ maxBatchMessages: 50 });
    cleanup.push(() => bus.close());
    const subscriber = new AlertSubscriber({ bus, topics, logger: silent, maxQueued: 10 });
    cleanup.push(() => subscriber.close());
    await subscriber.start();
    const sent = Array.from({ length: 300 }, (_, i) => alert({ id: `bp-${i}`, key: `key-${i % 7}` }));
    await publish(sent);
    const iterator = subscriber[Symbol.asyncIterator]();
    const first = await take(iterator, 1);
    // The app is slow: the subscriber queues at most maxQueued alerts meanwhile.
    await quiet(100);
    expect((subscriber as unknown as { queue: unknown[] }).queue.length).toBeLessThanOrEqual(10);
    const rest = await take(iterator, 299);
    const ids = [...first, ...rest].map((a) => a.id);
    expect(new Set(ids).size).toBe(300);
    expect(ids.sort()).toEqual(sent.map((a) => a.id).sort());
    // Per key (one partition each), order is kept.
    const ofKey = (alerts: { id: string; key: string }[]) => alerts.filter((a) => a.key === 'key-3').map((a) => a.id);
    expect(ofKey([...first, ...rest])).toEqual(ofKey(sent));
  });

  it('commits a batch only once the app asked past its alerts: close() mid-batch leaves it for the group', async () => {
    const { bus, publish } = await setup();
    cleanup.push(() => bus.close());
    const groupId = 'shared-group';
    const first = new AlertSubscriber({ bus, topics, logger: silent, groupId, fromBeginning: true });
    await publish([alert({ id: 'c-1', key: 'one' }), alert({ id: 'c-2', key: 'one' }), alert({ id: 'c-3', key: 'one' })]);
    const iterator = first[Symbol.asyncIterator]();
    expect((await take(iterator, 1)).map((a) => a.id)).toEqual(['c-1']);
    await first.close();

    // The same group resumes from the uncommitted batch: nothing is lost.
    const second = new AlertSubscriber({ bus, topics, logger: silent, groupId, fromBeginning: true });
    cleanup.push(() => second.close());
    const again = second[Symbol.asyncIterator]();
    expect((await take(again, 3)).map((a) => a.id)).toEqual(['c-1', 'c-2', 'c-3']);
    // Asking past c-3 commits the batch ...
    const pending = again.next();
    await quiet();
    await second.close();
    expect(await pending).toEqual({ done: true, value: undefined });

    // ... so a third member of the group starts after it.
    const third = new AlertSubscriber({ bus, topics, logger: silent, groupId, fromBeginning: true });
    cleanup.push(() => third.close());
    await third.start();
    await publish([alert({ id: 'c-4', key: 'one' })]);
    expect((await take(third[Symbol.asyncIterator](), 1)).map((a) => a.id)).toEqual(['c-4']);
  });

  it('by default each subscriber has its own group and sees every alert', async () => {
    const { bus, publish } = await setup();
    cleanup.push(() => bus.close());
    const a = new AlertSubscriber({ bus, topics, logger: silent });
    const b = new AlertSubscriber({ bus, topics, logger: silent });
    cleanup.push(() => a.close(), () => b.close());
    expect(a.group).not.toBe(b.group);
    await Promise.all([a.start(), b.start()]);
    await publish([alert({ id: 'both-1' }), alert({ id: 'both-2', key: 'other' })]);
    expect((await take(a[Symbol.asyncIterator](), 2)).map((x) => x.id).sort()).toEqual(['both-1', 'both-2']);
    expect((await take(b[Symbol.asyncIterator](), 2)).map((x) => x.id).sort()).toEqual(['both-1', 'both-2']);
  });

  it('close() ends a pending next(), and is idempotent', async () => {
    const { bus } = await setup();
    cleanup.push(() => bus.close());
    const subscriber = new AlertSubscriber({ bus, topics, logger: silent });
    const iterator = subscriber[Symbol.asyncIterator]();
    const pending = iterator.next();
    await quiet();
    await Promise.all([subscriber.close(), subscriber.close()]);
    expect(await pending).toEqual({ done: true, value: undefined });
  });

  it('rejects iteration when the alerts topic does not exist', async () => {
    const bus = new MemoryBus();
    cleanup.push(() => bus.close());
    const subscriber = new AlertSubscriber({ bus, topics, logger: silent });
    await expect(subscriber[Symbol.asyncIterator]().next()).rejects.toThrow(/t\.alerts/);
    await subscriber.close();
  });

  it('refuses a non-positive maxQueued', () => {
    expect(() => new AlertSubscriber({ bus: new MemoryBus(), maxQueued: 0 })).toThrow(RangeError);
  });
});
