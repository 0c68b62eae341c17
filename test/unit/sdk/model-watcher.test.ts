// ModelWatcher's load policy on the in-memory bus (the real-Kafka run, with the hot swap under
// load, is test/integration/model-watcher.test.ts): transient store errors are retried with
// backoff, a missing version is refused once and retried only when an event names it again,
// and history is replayed to the latest champion without loading every past one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../../../shared/bus/memory-bus.js';
import { Codec, type ModelEventInput, type ModelStatus } from '../../../shared/codec/index.js';
import { LocalModelStore } from '../../../shared/models/local-model-store.js';
import { modelEventKey } from '../../../shared/models/model-event-key.js';
import type { ModelStore } from '../../../shared/models/model-store.js';
import { ModelWatcher } from '../../../shared/sdk/models/model-watcher.js';
import { topicNames, topicSpecs } from '../../../shared/topics.js';
import { storeTinyVersion, TINY_ROWS } from '../../support/tiny-models.js';

const codec = new Codec();
const model = 'churn';
const dir = mkdtempSync(join(tmpdir(), 'dw-watcher-unit-'));
let store: LocalModelStore;

beforeAll(async () => {
  store = new LocalModelStore(dir);
  await storeTinyVersion(store, model, '1', { seed: 1 });
  await storeTinyVersion(store, model, '2', { seed: 2, flip: true });
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function event(version: string, status: ModelStatus, fencingToken: number | null = null): ModelEventInput {
  return {
    model,
    version,
    status,
    parentVersion: null,
    artifactUri: `file:///m/${version}`,
    trigger: { kind: 'ALERT', alertId: null },
    trainingSize: 1,
    time: Date.now(),
    reason: null,
    metric: null,
    incidentId: null,
    fencingToken,
    variants: [],
    backend: null,
  };
}

async function setup() {
  const bus = new MemoryBus();
  const topics = topicNames(`w${Math.random().toString(36).slice(2)}.`);
  await bus.ensureTopics(topicSpecs(topics, 1));
  const publish = (...events: ModelEventInput[]) =>
    bus.publish(topics.models, events.map((e) => ({ key: modelEventKey(e), ...codec.encode('model', e) })));
  return { bus, topics, publish };
}

/** A store whose reads fail while `failing` says so, counting manifest reads per version. */
function flakyStore(inner: ModelStore, failing: () => boolean) {
  const reads = new Map<string, number>();
  const store: ModelStore = {
    put: (m, f) => inner.put(m, f),
    manifest: async (m, v) => {
      reads.set(v, (reads.get(v) ?? 0) + 1);
      if (failing()) throw new Error('EIO: disk went away');
      return inner.manifest(m, v);
    },
    readFile: (m, v, p) => inner.readFile(m, v, p),
    versions: (m) => inner.versions(m),
    models: () => inner.models(),
    nextVersion: (m) => inner.nextVersion(m),
    uri: (m, v) => inner.uri(m, v),
  };
  return { store, reads };
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('ModelWatcher load policy', () => {
  it('replays history to the latest champion, loading only that one', async () => {
    const { bus, topics, publish } = await setup();
    await publish(event('1', 'PROMOTED', 1), event('2', 'PROMOTED', 2), event('1', 'ROLLED_BACK'), event('2', 'PROMOTED', 3));
    const { store: counted, reads } = flakyStore(store, () => false);
    const watcher = await ModelWatcher.start({ bus, store: counted, model, topics });
    await watcher.ready({ timeoutMs: 10_000 });
    expect(watcher.version()).toBe('2');
    expect(reads.get('1')).toBeUndefined();
    expect(watcher.predictBatch(TINY_ROWS.slice(0, 3)).map((p) => p.modelVersion)).toEqual(['2', '2', '2']);
    await watcher.close();
    await bus.close();
  });

  it('retries a transient load error with backoff, then serves the version', async () => {
    const { bus, topics, publish } = await setup();
    let failing = true;
    const { store: flaky } = flakyStore(store, () => failing);
    const watcher = await ModelWatcher.start({ bus, store: flaky, model, topics, retry: { initialMs: 50, maxRetries: 5 } });
    await publish(event('1', 'PROMOTED', 1));
    await until(() => watcher.failures >= 2, 'two failed attempts');
    expect(watcher.lastFailure).toMatchObject({ version: '1', integrity: false });
    failing = false;
    await watcher.ready({ timeoutMs: 5_000 });
    expect(watcher.version()).toBe('1');
    await watcher.close();
    await bus.close();
  });

  it('refuses a missing version once, keeps serving, and tries again only when an event names it again', async () => {
    const { bus, topics, publish } = await setup();
    const { store: counted, reads } = flakyStore(store, () => false);
    const watcher = await ModelWatcher.start({ bus, store: counted, model, topics });
    const failures: string[] = [];
    watcher.on('failure', (f) => failures.push(f.version));
    await publish(event('1', 'PROMOTED', 1));
    await watcher.ready({ timeoutMs: 10_000 });
    await publish(event('7', 'PROMOTED', 2));
    await until(() => watcher.failures === 1, 'the refusal of version 7');
    expect(watcher.version()).toBe('1');
    await publish(event('7', 'CANDIDATE', 2)); // not a champion event: no new attempt
    await sleep(200);
    expect(reads.get('7')).toBe(1);
    await publish(event('7', 'PROMOTED', 2)); // named again: one more attempt
    await until(() => watcher.failures === 2, 'the second refusal');
    expect(failures).toEqual(['7', '7']);
    expect(watcher.predict(TINY_ROWS[0]!).modelVersion).toBe('1');
    await watcher.close();
    await bus.close();
  });
});
