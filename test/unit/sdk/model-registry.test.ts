// The champion rule and the registry view over the in-memory bus (the real Kafka run is in
// test/integration/models-cli.test.ts).
import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../../shared/bus/memory-bus.js';
import { Codec, type ModelEventInput, type ModelStatus } from '../../../shared/codec/index.js';
import { modelEventKey } from '../../../shared/models/model-event-key.js';
import { ChampionTracker } from '../../../shared/models/champion-tracker.js';
import { readModelRegistry } from '../../../shared/sdk/models/model-registry.js';
import { topicNames, topicSpecs } from '../../../shared/topics.js';

const codec = new Codec();

function modelEvent(model: string, version: string, status: ModelStatus, extra: Partial<ModelEventInput> = {}): ModelEventInput {
  return {
    model,
    version,
    status,
    parentVersion: null,
    artifactUri: `file:///models/${model}/${version}`,
    trigger: { kind: 'ALERT', alertId: 'a-1' },
    trainingSize: 100,
    time: 1_700_000_000_000 + Number(version) * 1_000,
    reason: null,
    metric: 'accuracy',
    incidentId: null,
    fencingToken: null,
    variants: [],
    backend: 'wasm',
    ...extra,
  };
}

describe('ChampionTracker', () => {
  it('follows the last PROMOTED or ROLLED_BACK and ignores a PROMOTED with a lower fencing token', () => {
    const t = new ChampionTracker();
    expect(t.champion).toBeNull();
    expect(t.apply({ status: 'CANDIDATE', version: '1', fencingToken: 1 }).kind).toBe('none');
    expect(t.apply({ status: 'PROMOTED', version: '1', fencingToken: 1 })).toEqual({ kind: 'champion', version: '1' });
    expect(t.apply({ status: 'PROMOTED', version: '2', fencingToken: 3 }).kind).toBe('champion');
    expect(t.apply({ status: 'PROMOTED', version: '3', fencingToken: 2 })).toEqual({
      kind: 'stale',
      version: '3',
      fencingToken: 2,
      highestToken: 3,
    });
    expect(t.champion).toBe('2');
    expect(t.apply({ status: 'REJECTED', version: '4', fencingToken: 4 }).kind).toBe('none');
    expect(t.champion).toBe('2');
    // A manual rollback carries no token and always applies.
    expect(t.apply({ status: 'ROLLED_BACK', version: '1', fencingToken: null }).kind).toBe('champion');
    expect(t.champion).toBe('1');
    // A PROMOTED without a token (manual) applies too; an equal token is the same lock holder.
    expect(t.apply({ status: 'PROMOTED', version: '5', fencingToken: 4 }).kind).toBe('champion');
    expect(t.fencingToken).toBe(4);
  });
});

describe('readModelRegistry', () => {
  it('summarises every model from the topic: latest status per version, metrics, lineage, champion', async () => {
    const bus = new MemoryBus();
    const topics = topicNames('reg.');
    await bus.ensureTopics(topicSpecs(topics, 2));
    const events = [
      modelEvent('churn', '1', 'CANDIDATE', { fencingToken: 1, challengerMetrics: { accuracy: 0.8 } }),
      modelEvent('churn', '1', 'PROMOTED', { fencingToken: 1, challengerMetrics: { accuracy: 0.8 } }),
      modelEvent('fraud', '1', 'PROMOTED', { fencingToken: 1 }),
      modelEvent('churn', '2', 'CANDIDATE', { fencingToken: 2, parentVersion: '1' }),
      modelEvent('churn', '2', 'PROMOTED', {
        fencingToken: 2,
        parentVersion: '1',
        challengerMetrics: { accuracy: 0.9 },
        championMetrics: { accuracy: 0.7 },
      }),
      modelEvent('churn', '3', 'REJECTED', { fencingToken: 3, parentVersion: '2', reason: 'did not beat the champion by 0.02' }),
      modelEvent('churn', '4', 'PROMOTED', { fencingToken: 1, parentVersion: '1' }), // stale lock holder
      modelEvent('churn', '1', 'ROLLED_BACK', { trigger: { kind: 'MANUAL', alertId: null }, reason: 'operator' }),
    ];
    await bus.publish(
      topics.models,
      events.map((e) => ({ key: modelEventKey(e), ...codec.encode('model', e) })),
    );
    const view = await readModelRegistry({ bus, topics, codec });
    expect(view.events).toBe(events.length);
    expect(view.models.map((m) => m.model)).toEqual(['churn', 'fraud']);
    const churn = view.models[0]!;
    expect(churn.champion).toBe('1');
    expect(churn.championSince).toBe(events.at(-1)!.time);
    expect(churn.versions.map((v) => [v.version, v.status])).toEqual([
      ['1', 'ROLLED_BACK'],
      ['2', 'PROMOTED'],
      ['3', 'REJECTED'],
      ['4', 'PROMOTED'],
    ]);
    const v1 = churn.versions[0]!;
    expect(v1.metrics).toEqual({ accuracy: 0.8 }); // the rollback carries none; earlier metrics kept
    expect(v1.history.map((h) => h.status)).toEqual(['CANDIDATE', 'PROMOTED', 'ROLLED_BACK']);
    expect(v1.trigger.kind).toBe('MANUAL');
    expect(churn.versions[1]).toMatchObject({ parentVersion: '1', metrics: { accuracy: 0.9 }, championMetrics: { accuracy: 0.7 } });
    expect(churn.versions[2]!.reason).toBe('did not beat the champion by 0.02');
    expect(churn.stalePromotions).toEqual([{ version: '4', fencingToken: 1, highestToken: 3, offset: 6 }]);
    expect(view.models[1]).toMatchObject({ model: 'fraud', champion: '1' });
    await bus.close();
  });

  it('reads an empty topic as no models and skips undecodable messages', async () => {
    const bus = new MemoryBus();
    const topics = topicNames('reg2.');
    await bus.ensureTopics(topicSpecs(topics, 1));
    expect(await readModelRegistry({ bus, topics, codec })).toEqual({ models: [], events: 0, undecodable: 0 });
    await bus.publish(topics.models, [{ key: 'x', value: Buffer.from('junk'), headers: {} }]);
    const view = await readModelRegistry({ bus, topics, codec });
    expect(view).toMatchObject({ models: [], events: 0, undecodable: 1 });
    await bus.close();
  });
});
