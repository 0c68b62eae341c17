import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../../shared/bus/memory-bus.js';
import type { EventBus, OutgoingMessage } from '../../../shared/bus/types.js';
import { Codec } from '../../../shared/codec/index.js';
import { DriftwatchClient } from '../../../shared/sdk/client.js';
import { driftingStream } from '../../../shared/sim/concepts/drift.js';
import { seaLabel } from '../../../shared/sim/concepts/index.js';
import {
  LivePublishError,
  LiveSimulation,
  watcherScorer,
  type LiveClock,
  type LiveSimulationOptions,
  type WatcherLike,
} from '../../../shared/sim/live-simulation.js';
import type { FeatureRow, Scorer } from '../../../shared/sim/simulation.js';
import { topicNames, topicSpecs } from '../../../shared/topics.js';

const T0 = Date.UTC(2026, 0, 1);
const topics = topicNames('test.');
const codec = new Codec();

/** A clock that moves only when the code under test sleeps. */
function fakeClock(start = T0): LiveClock & { t: number; sleeps: number } {
  const clock = {
    t: start,
    sleeps: 0,
    now: () => clock.t,
    async sleep(ms: number) {
      clock.sleeps += 1;
      clock.t += Math.max(0, ms);
      await Promise.resolve();
    },
  };
  return clock;
}

/** SEA variant 0, always right on a clean stream; its version becomes '2' from its `swapAt`-th row on. */
class SwappingScorer implements Scorer {
  rows = 0;
  /** Version of each scored row, in order (row i = prediction i). */
  scored: string[] = [];
  constructor(private readonly swapAt = Infinity) {}
  version(): string {
    return this.rows >= this.swapAt ? '2' : '1';
  }
  predictBatch(rows: FeatureRow[]) {
    const version = this.version();
    this.rows += rows.length;
    return rows.map((row) => {
      this.scored.push(version);
      const p = seaLabel(row.x1 as number, row.x2 as number, 8) === '1' ? 0.9 : 0.1;
      return { predictedClass: p > 0.5 ? '1' : '0', probabilities: { '1': p, '0': 1 - p } };
    });
  }
}

type Sent = { topic: string; key: string };

/** A MemoryBus that records successful publishes in order and fails the ones `fail` picks. */
class TestBus implements EventBus {
  readonly inner = new MemoryBus();
  readonly sent: Sent[] = [];
  calls = 0;
  failedMessages: number[] = [];
  constructor(private readonly fail: (call: number, topic: string) => boolean = () => false) {}
  ensureTopics = (specs: Parameters<EventBus['ensureTopics']>[0]) => this.inner.ensureTopics(specs);
  subscribe = (options: Parameters<EventBus['subscribe']>[0]) => this.inner.subscribe(options);
  close = () => this.inner.close();
  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    const call = ++this.calls;
    if (this.fail(call, topic)) {
      this.failedMessages.push(messages.length);
      throw new Error(`broker unavailable (call ${call})`);
    }
    await this.inner.publish(topic, messages);
    for (const m of messages) this.sent.push({ topic, key: m.key! });
  }
}

async function readAll(bus: MemoryBus) {
  const predictions: { id: string; modelVersion: string; eventTime: number }[] = [];
  const labels: { predictionId: string; eventTime: number }[] = [];
  await bus.readFrom(topics.predictions, 0, (messages) => {
    for (const m of messages) {
      const e = codec.decode('prediction', m.value, m.headers);
      predictions.push({ id: e.id, modelVersion: e.modelVersion, eventTime: Number(e.eventTime) });
    }
  });
  await bus.readFrom(topics.labels, 0, (messages) => {
    for (const m of messages) {
      const e = codec.decode('label', m.value, m.headers);
      labels.push({ predictionId: e.predictionId, eventTime: Number(e.eventTime) });
    }
  });
  return { predictions, labels };
}

async function setup(fail?: (call: number, topic: string) => boolean) {
  const bus = new TestBus(fail);
  await bus.ensureTopics(topicSpecs(topics, 3));
  const client = new DriftwatchClient({ bus, topics, codec });
  return { bus, client };
}

function options(client: DriftwatchClient, overrides: Partial<LiveSimulationOptions> = {}): LiveSimulationOptions {
  return {
    stream: driftingStream({ before: { kind: 'sea', variant: 0 }, after: { kind: 'sea', variant: 0 }, at: 0, seed: 5 }),
    scorer: new SwappingScorer(),
    client,
    model: 'sea',
    rate: 100,
    labelDelay: { minMs: 100, maxMs: 500 },
    runId: 'r',
    clock: fakeClock(),
    retry: { attempts: 3, initialMs: 10, maxMs: 40 },
    ...overrides,
  };
}

const indexOf = (id: string): number => Number(id.slice(id.lastIndexOf('-') + 1));

describe('LiveSimulation', () => {
  it('publishes every prediction once, with the version that scored it, and each label after its prediction', async () => {
    const { bus, client } = await setup();
    const scorer = new SwappingScorer(137);
    const clock = fakeClock();
    const live = new LiveSimulation(options(client, { scorer, clock, count: 400 }));
    const result = await live.run();

    expect(result.stoppedBy).toBe('completed');
    expect(result.predictions).toBe(400);
    expect(result.labels).toBe(400);
    expect(result.pendingLabels).toBe(0);
    // Event time is the clock's time: 400 predictions at 100/s, then at most 500 ms of labels.
    expect(clock.t - T0).toBeGreaterThanOrEqual(3_990);
    expect(clock.t - T0).toBeLessThanOrEqual(4_600);

    const { predictions, labels } = await readAll(bus.inner);
    expect(predictions).toHaveLength(400);
    expect(new Set(predictions.map((p) => p.id)).size).toBe(400);
    for (const p of predictions) {
      const i = indexOf(p.id);
      expect(p.modelVersion).toBe(scorer.scored[i]);
      expect(p.eventTime).toBe(T0 + i * 10);
    }
    // The swap lands on the first batch that starts at or after row 137.
    expect(scorer.scored.indexOf('2')).toBeGreaterThanOrEqual(137);
    expect(result.perVersion['1']!.predictions + result.perVersion['2']!.predictions).toBe(400);
    expect(result.perVersion['2']!.predictions).toBe(scorer.scored.filter((v) => v === '2').length);
    expect(result.version).toBe('2');

    expect(labels).toHaveLength(400);
    const position = new Map(bus.sent.map((s, i) => [`${s.topic}|${s.key}`, i]));
    for (const label of labels) {
      const predictionAt = position.get(`${topics.predictions}|${label.predictionId}`);
      const labelAt = position.get(`${topics.labels}|${label.predictionId}`);
      expect(predictionAt).toBeDefined();
      expect(labelAt!).toBeGreaterThan(predictionAt!);
    }
    // A perfect scorer on a clean stream.
    expect(result.rollingAccuracy).toBe(1);
    expect(result.rollingLabels).toBe(400);
  });

  it('believes the version each row carries over version() (a swap between the two reads)', async () => {
    const { bus, client } = await setup();
    let served = '1';
    let calls = 0;
    const watcher: WatcherLike = {
      version: () => served,
      predictBatch(rows) {
        // The swap lands after the caller read version() and before the batch is scored.
        calls += 1;
        if (calls === 3) served = '2';
        return rows.map(() => ({ predictedClass: '1', probabilities: { '1': 1, '0': 0 }, modelVersion: served }));
      },
    };
    const scorer = watcherScorer(watcher);
    const live = new LiveSimulation(options(client, { scorer, count: 50, tickMs: 100 }));
    await live.run();
    const { predictions } = await readAll(bus.inner);
    const byIndex = predictions.sort((a, b) => indexOf(a.id) - indexOf(b.id));
    // Ticks of 100 ms at 100/s: batches of 1 (the first instant), then 10 each.
    expect(byIndex.slice(0, 11).every((p) => p.modelVersion === '1')).toBe(true);
    expect(byIndex.slice(11).every((p) => p.modelVersion === '2')).toBe(true);
    expect(scorer.version()).toBe('2');
  });

  it('stops on abort after the chunk in flight, reporting the labels not yet due', async () => {
    const { bus, client } = await setup();
    const controller = new AbortController();
    let chunks = 0;
    const live = new LiveSimulation(
      options(client, {
        signal: controller.signal,
        onChunk: () => {
          if (++chunks === 5) controller.abort();
        },
      }),
    );
    const result = await live.run();
    expect(result.stoppedBy).toBe('aborted');
    expect(chunks).toBe(5);
    const { predictions, labels } = await readAll(bus.inner);
    expect(predictions.length).toBe(result.predictions);
    expect(labels.length).toBe(result.labels);
    expect(result.predictions).toBe(41); // t = 0, 100, …, 400 ms at 100/s
    expect(result.pendingLabels).toBe(result.predictions - result.labels);
    expect(live.progress().predictions).toBe(41);
  });

  it('stops predicting at the duration, then drains the labels', async () => {
    const { bus, client } = await setup();
    const result = await new LiveSimulation(options(client, { durationMs: 1_000 })).run();
    expect(result.predictions).toBe(100);
    expect(result.labels).toBe(100);
    const { predictions } = await readAll(bus.inner);
    expect(Math.max(...predictions.map((p) => p.eventTime))).toBeLessThan(T0 + 1_000);
  });

  it('retries a failing publish and loses nothing', async () => {
    // The 3rd and 4th publish calls fail (a predictions publish and its retry), then all works.
    const { bus, client } = await setup((call) => call === 3 || call === 4);
    const scorer = new SwappingScorer();
    const result = await new LiveSimulation(options(client, { scorer, count: 300 })).run();
    expect(result.publishRetries).toBe(2);
    expect(bus.failedMessages).toHaveLength(2);
    const { predictions, labels } = await readAll(bus.inner);
    expect(predictions).toHaveLength(300);
    expect(new Set(predictions.map((p) => p.id)).size).toBe(300);
    expect(labels).toHaveLength(300);
    expect(new Set(labels.map((l) => l.predictionId)).size).toBe(300);
  });

  it('fails with the count of unsent predictions when the bus keeps failing', async () => {
    const { bus, client } = await setup((call) => call >= 6);
    const scorer = new SwappingScorer();
    const live = new LiveSimulation(options(client, { scorer, count: 300 }));
    const error = await live.run().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LivePublishError);
    const failure = error as LivePublishError;
    expect(failure.attempts).toBe(3);
    expect(failure.unsentPredictions + failure.unsentLabels).toBeGreaterThan(0);
    expect(failure.message).toMatch(/\d+ predictions and \d+ labels were not sent/);
    // Everything scored is either published or counted as unsent.
    const { predictions, labels } = await readAll(bus.inner);
    expect(predictions.length + failure.unsentPredictions).toBe(scorer.rows);
    expect(live.progress().predictions).toBe(predictions.length);
    // Every published prediction's label is published, unsent, or counted as pending.
    expect(labels.length + failure.unsentLabels + failure.pendingLabels).toBe(predictions.length + failure.unsentPredictions);
  });

  it('fails with the count of unsent labels when only the labels topic fails', async () => {
    const { bus, client } = await setup((_call, topic) => topic === topics.labels);
    const live = new LiveSimulation(options(client, { count: 300 }));
    const error = (await live.run().catch((e: unknown) => e)) as LivePublishError;
    expect(error).toBeInstanceOf(LivePublishError);
    expect(error.unsentPredictions).toBe(0);
    expect(error.unsentLabels).toBe(bus.failedMessages[0]);
    expect(bus.failedMessages).toEqual([error.unsentLabels, error.unsentLabels, error.unsentLabels]);
  });

  it('rejects bad settings', () => {
    const client = new DriftwatchClient({ bus: new MemoryBus(), topics });
    expect(() => new LiveSimulation(options(client, { tickMs: 0 }))).toThrow(/tickMs/);
    expect(() => new LiveSimulation(options(client, { retry: { attempts: 0 } }))).toThrow(/attempts/);
  });
});
