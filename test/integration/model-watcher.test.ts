// ModelWatcher on the real Kafka broker with a LocalModelStore of tiny trained models: it
// serves the champion, swaps a new version in while predictions run every millisecond, refuses
// a corrupted version (keeps serving, counts it, no hot retry), follows a rollback and ignores
// a PROMOTED from a stale lock holder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import { Codec, type ModelEventInput, type ModelStatus } from '../../shared/codec/index.js';
import { loadClassifier } from '../../shared/learning/classifier.js';
import { LocalModelStore } from '../../shared/models/local-model-store.js';
import { modelEventKey } from '../../shared/models/model-event-key.js';
import { ModelNotReadyError, ModelWatcher } from '../../shared/sdk/models/model-watcher.js';
import { topicNames, topicSpecs, type TopicNames } from '../../shared/topics.js';
import { kafkaBrokers, uniqueName } from '../setup/env.js';
import { corruptFile, storeTinyVersion, TINY_ROWS } from '../support/tiny-models.js';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const codec = new Codec();
const topics: TopicNames = topicNames(`${uniqueName('model-watcher')}.`);
const model = 'churn';
const storeDir = mkdtempSync(join(tmpdir(), 'dw-model-watcher-'));
let bus: KafkaBus;
let store: LocalModelStore;

function modelEvent(version: string, status: ModelStatus, fencingToken: number | null): ModelEventInput {
  return {
    model,
    version,
    status,
    parentVersion: null,
    artifactUri: store.uri(model, version),
    trigger: { kind: status === 'ROLLED_BACK' ? 'MANUAL' : 'ALERT', alertId: null },
    trainingSize: 100,
    time: Date.now(),
    reason: null,
    metric: 'accuracy',
    incidentId: null,
    fencingToken,
    variants: [],
    backend: null,
  };
}

async function publish(...events: ModelEventInput[]): Promise<void> {
  await bus.publish(
    topics.models,
    events.map((e) => ({ key: modelEventKey(e), ...codec.encode('model', e) })),
  );
}

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

beforeAll(async () => {
  bus = await KafkaBus.connect({
    brokers: kafkaBrokers().split(','),
    logger,
    consumer: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 300, rebalanceTimeoutMs: 10_000, maxWaitTimeMs: 100 },
  });
  await bus.ensureTopics(topicSpecs(topics, 1));
  store = new LocalModelStore(storeDir);
  await storeTinyVersion(store, model, '1', { seed: 1 });
  // Version 2 learns the opposite rule, so its predictions are told apart from version 1's.
  await storeTinyVersion(store, model, '2', { seed: 2, parentVersion: '1', flip: true });
  await storeTinyVersion(store, model, '3', { seed: 3, parentVersion: '2' });
  await corruptFile(storeDir, model, '3', 'weights.bin');
});

afterAll(async () => {
  await bus?.close();
  rmSync(storeDir, { recursive: true, force: true });
});

describe('ModelWatcher', () => {
  it('ready() rejects after its timeout when the model never gets a champion', async () => {
    const watcher = await ModelWatcher.start({ bus, store, model: 'never-promoted', topics, logger, readyTimeoutMs: 300 });
    await expect(watcher.ready()).rejects.toBeInstanceOf(ModelNotReadyError);
    expect(() => watcher.predict(TINY_ROWS[0]!)).toThrow(/no version loaded yet/);
    await watcher.close();
  });

  it('serves the champion, hot-swaps under load, refuses corruption, follows rollback, ignores stale promotions', async () => {
    const watcher = await ModelWatcher.start({ bus, store, model, topics, logger });
    const swaps: [string | undefined, string][] = [];
    watcher.on('swap', (from, to) => swaps.push([from, to]));
    expect(watcher.version()).toBeUndefined();
    expect(() => watcher.predict(TINY_ROWS[0]!)).toThrow(ModelNotReadyError);

    await publish(modelEvent('1', 'CANDIDATE', 1), modelEvent('1', 'PROMOTED', 1));
    await watcher.ready({ timeoutMs: 60_000 });
    expect(watcher.version()).toBe('1');
    const direct1 = await loadClassifier(store, model, '1');
    const direct2 = await loadClassifier(store, model, '2');
    const row = TINY_ROWS[0]!;
    expect(watcher.predict(row)).toEqual({ ...direct1.predict(row), modelVersion: '1' });
    expect(direct1.predict(row).predictedClass).not.toBe(direct2.predict(row).predictedClass);

    // Swap under load: a prediction every millisecond while version 2 is promoted.
    const seen: string[] = [];
    const errors: unknown[] = [];
    let running = true;
    const loop = (async () => {
      while (running) {
        try {
          const result = watcher.predict(row);
          // The class must be the one the reported version predicts: no mixing of versions.
          const expected = (result.modelVersion === '1' ? direct1 : direct2).predict(row).predictedClass;
          if (result.predictedClass !== expected) throw new Error(`version ${result.modelVersion} predicted ${result.predictedClass}`);
          seen.push(result.modelVersion);
        } catch (error) {
          errors.push(error);
        }
        await sleep(1);
      }
    })();
    await until(() => seen.length >= 20, 'predictions on version 1');
    await publish(modelEvent('2', 'PROMOTED', 2));
    await until(() => watcher.version() === '2', 'the swap to version 2');
    const atSwap = seen.length;
    await until(() => seen.length >= atSwap + 20 || errors.length > 0, 'predictions after the swap');
    running = false;
    await loop;
    expect(errors).toEqual([]);
    expect(new Set(seen)).toEqual(new Set(['1', '2']));
    const firstTwo = seen.indexOf('2');
    expect(seen.slice(firstTwo).every((v) => v === '2')).toBe(true);
    expect(swaps).toEqual([
      [undefined, '1'],
      ['1', '2'],
    ]);

    // A corrupted version 3 is refused: still serving 2, one failure, no retry loop.
    await publish(modelEvent('3', 'CANDIDATE', 3), modelEvent('3', 'PROMOTED', 3));
    await until(() => watcher.failures === 1, 'the refusal of version 3');
    expect(watcher.lastFailure).toMatchObject({ version: '3', integrity: true });
    expect(watcher.version()).toBe('2');
    expect(watcher.champion()).toBe('3');
    expect(watcher.predict(row).modelVersion).toBe('2');
    await sleep(1_500);
    expect(watcher.failures).toBe(1);

    // Rollback to 1.
    await publish(modelEvent('1', 'ROLLED_BACK', null));
    await until(() => watcher.version() === '1', 'the rollback to version 1');
    expect(watcher.predict(row)).toEqual({ ...direct1.predict(row), modelVersion: '1' });

    // A late PROMOTED 2 from a retrainer holding token 2 (< 3 already seen) is ignored.
    await publish(modelEvent('2', 'PROMOTED', 2));
    await until(() => watcher.stalePromotions === 1, 'the stale promotion to be read');
    await sleep(300);
    expect(watcher.version()).toBe('1');
    expect(swaps.at(-1)).toEqual(['2', '1']);

    // predictAndLog publishes the prediction with the version that made it.
    const logged = await watcher.predictAndLog('pred-1', row, { eventTime: 1_700_000_000_000 });
    expect(logged.modelVersion).toBe('1');
    const batch = await watcher.predictAndLogBatch([
      { id: 'pred-2', features: TINY_ROWS[1]! },
      { id: 'pred-3', features: TINY_ROWS[2]! },
    ]);
    expect(batch.map((b) => b.modelVersion)).toEqual(['1', '1']);
    const published: { id: string; modelVersion: string; predictedClass: string | null; eventTime: number }[] = [];
    await bus.readFrom(topics.predictions, 0, (messages) => {
      for (const m of messages) published.push(codec.decode('prediction', m.value, m.headers));
    });
    published.sort((a, b) => a.id.localeCompare(b.id));
    expect(published.map((p) => [p.id, p.modelVersion, p.predictedClass])).toEqual([
      ['pred-1', '1', logged.predictedClass],
      ['pred-2', '1', batch[0]!.predictedClass],
      ['pred-3', '1', batch[1]!.predictedClass],
    ]);
    expect(published[0]!.eventTime).toBe(1_700_000_000_000);

    direct1.dispose();
    direct2.dispose();
    await watcher.close();
    expect(() => watcher.predict(row)).toThrow(/closed/);
  });
});
