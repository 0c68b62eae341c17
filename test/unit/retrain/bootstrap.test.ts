// The bootstrap (shared/retrain/bootstrap.ts): what it refuses before anything loads, how it
// orders the examples, and one real training on the in-memory bus with a temp store: the
// version is stored and its PROMOTED event is keyed by the model, MANUAL, without a token.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../../shared/bus/memory-bus.js';
import { Codec, type ModelEvent } from '../../../shared/codec/index.js';
import { DEFAULT_RETRAIN_POLICY, type RetrainPolicy } from '../../../shared/config/monitoring-config.js';
import { LocalModelStore } from '../../../shared/models/local-model-store.js';
import { BootstrapRefusedError, bootstrapModel, prepareBootstrapExamples, type BootstrapExample } from '../../../shared/retrain/bootstrap.js';
import { createConcept } from '../../../shared/sim/concepts/index.js';
import { createPrng } from '../../../shared/sim/prng.js';
import { topicNames, topicSpecs } from '../../../shared/topics.js';

const logger = pino({ level: 'silent' });
const policy: RetrainPolicy = {
  ...DEFAULT_RETRAIN_POLICY,
  minExamples: 10,
  grid: { learningRate: [0.01], epochs: [10], l2: [0] },
};
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function seaRows(n: number, timed = true): BootstrapExample[] {
  const concept = createConcept({ kind: 'sea', variant: 0 });
  const rng = createPrng(11);
  return Array.from({ length: n }, (_, i) => ({ ...concept.sample(rng), ...(timed ? { time: 1_000_000 + i * 20 } : {}) }));
}

function refusal(examples: BootstrapExample[], p: Pick<RetrainPolicy, 'minExamples' | 'split'> = policy, source?: string): string {
  try {
    prepareBootstrapExamples(examples, p, source);
  } catch (error) {
    expect(error).toBeInstanceOf(BootstrapRefusedError);
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('prepareBootstrapExamples', () => {
  it('refuses too few rows (how many, and which setting), one class, no features, mixed times', () => {
    expect(refusal(seaRows(9))).toBe("only 9 labelled rows; training needs at least 10 (the retrain policy's minExamples)");
    expect(refusal(seaRows(1), policy, 'models.m.retrain.minExamples in x.yaml')).toBe('only 1 labelled row; training needs at least 10 (models.m.retrain.minExamples in x.yaml)');
    expect(refusal(seaRows(20).map((r) => ({ ...r, label: 'yes' })))).toBe('every row has the label "yes": a classifier needs at least two classes');
    expect(refusal(seaRows(20).map((r, i) => ({ ...r, features: i === 0 ? ({} as Record<string, null>) : { x: null } })))).toMatch(/^no features: /);
    expect(refusal(seaRows(20).map((r, i) => (i === 3 ? { ...r, time: null } : r)))).toBe('1 of 20 examples have no time: give every example a time, or none');
    expect(refusal(seaRows(20).map((r, i) => (i === 4 ? { ...r, time: Number.NaN } : r)))).toMatch(/^example 5 has time NaN/);
    expect(refusal(seaRows(20).map((r, i) => (i === 2 ? { ...r, label: '' } : r)))).toBe('example 3 has no label');
    // Enough for minExamples but not for three non-empty split parts.
    const two = [{ features: { x: 1 }, label: 'a' }, { features: { x: 2 }, label: 'b' }];
    expect(refusal(two, { ...policy, minExamples: 1 })).toMatch(/too few to split .*; give more rows or change the retrain policy's split$/);
  });

  it('sorts by time (stably); without times the input order is the time order', () => {
    const rows = seaRows(12).map((r, i) => ({ ...r, time: i % 2 === 0 ? 100 : 50 }));
    const timed = prepareBootstrapExamples(rows, policy);
    expect(timed.order).toBe('event time');
    expect(timed.examples.map((e) => e.id)).toEqual(['row-2', 'row-4', 'row-6', 'row-8', 'row-10', 'row-12', 'row-1', 'row-3', 'row-5', 'row-7', 'row-9', 'row-11']);
    const untimed = prepareBootstrapExamples(seaRows(12, false), policy);
    expect(untimed.order).toBe('input order');
    expect(untimed.examples.map((e) => e.time)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(untimed.classes.reduce((n, c) => n + c.count, 0)).toBe(12);
  });
});

describe('bootstrapModel', () => {
  it('trains, stores version 1 and publishes PROMOTED (MANUAL, no token, the training profile as reference)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-bootstrap-'));
    dirs.push(dir);
    const store = new LocalModelStore(dir);
    const bus = new MemoryBus();
    const topics = topicNames('boot.');
    await bus.ensureTopics(topicSpecs(topics, 1));
    const codec = new Codec();

    const result = await bootstrapModel({ bus, codec, topics, store, model: 'sea', examples: seaRows(600), policy, logger });
    expect(result.manifest.version).toBe('1');
    expect(result.order).toBe('event time');
    expect(result.outcome.decision).toBe('PROMOTED');
    expect(result.manifest.metrics.test.accuracy).toBeGreaterThan(0.85);
    expect(await store.manifest('sea', '1')).toEqual(result.manifest);

    const events: { key: string | null; event: ModelEvent }[] = [];
    await bus.readFrom(topics.models, 0, (batch) => {
      for (const m of batch) events.push({ key: m.key?.toString() ?? null, event: codec.decode('model', m.value, m.headers) });
    });
    expect(events).toHaveLength(1);
    expect(events[0]!.key).toBe('sea');
    expect(events[0]!.event).toMatchObject({
      model: 'sea',
      version: '1',
      status: 'PROMOTED',
      parentVersion: null,
      trigger: { kind: 'MANUAL', alertId: null },
      fencingToken: null,
      incidentId: null,
      metric: 'accuracy',
      artifactUri: store.uri('sea', '1'),
      trainingSize: result.manifest.split.train.size,
      backend: result.manifest.backend,
    });
    expect(events[0]!.event.referenceProfile).toEqual(result.manifest.trainingProfile);
    expect(events[0]!.event.challengerMetrics.accuracy).toBe(result.manifest.metrics.test.accuracy);
    expect(events[0]!.event.variants.map((v) => v.precision)).toEqual(result.manifest.variants.map((v) => v.precision.toUpperCase()));

    // The next bootstrap of the same model is version 2, trained from scratch.
    const again = await bootstrapModel({ bus, codec, topics, store, model: 'sea', examples: seaRows(300, false), policy, logger });
    expect(again.manifest).toMatchObject({ version: '2', parentVersion: null });
    expect(again.order).toBe('input order');
    expect(again.manifest.split.train.from).toBe(0);
  }, 120_000);

  it('refuses an invalid model name before training', async () => {
    const store = new LocalModelStore(join(tmpdir(), 'dw-bootstrap-unused'));
    const bus = new MemoryBus();
    const train = () => Promise.reject(new Error('must not train'));
    await expect(
      bootstrapModel({ bus, codec: new Codec(), topics: topicNames('x.'), store, model: '../etc', examples: seaRows(50), policy, logger, train }),
    ).rejects.toThrow(BootstrapRefusedError);
  });
});
