// Issue 9, the retrain job's side of retries (in-memory bus and incident store): a transient
// failure before the decision asks for a retry and says when; the last attempt gives up; a final
// error or a failure after the decision's model event never asks; the retry's incident is a new
// one that the FAILED incident points at.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { BusUnavailableError, PublishIncompleteError } from '../../../shared/bus/errors.js';
import { MemoryBus } from '../../../shared/bus/memory-bus.js';
import type { OutgoingMessage } from '../../../shared/bus/types.js';
import { Codec, type Incident, type IncidentTrigger, type ModelEvent } from '../../../shared/codec/index.js';
import { parseMonitoringConfig, resolveModelConfig } from '../../../shared/config/monitoring-config.js';
import { LocalModelStore } from '../../../shared/models/local-model-store.js';
import { MemoryIncidentStore } from '../../../shared/retrain/memory-incident-store.js';
import { runRetrain, type RetrainDeps } from '../../../shared/retrain/retrain-job.js';
import type { RetrainAttempt } from '../../../shared/retrain/retry-policy.js';
import { MemoryKeyspace } from '../../../shared/store/memory-store.js';
import { topicNames, topicSpecs } from '../../../shared/topics.js';

const logger = pino({ level: 'silent' });
const codec = new Codec();
const T = 1_700_000_000_000;
const MANUAL: IncidentTrigger = { alertId: null, kind: 'MANUAL', severity: null, metric: null, feature: null, value: null, threshold: null, windowStart: null, windowEnd: null };
const FIRST: RetrainAttempt = { number: 1, of: 5, retryDelayMs: 30_000, retryOf: null };
const kafkaDown = () => new BusUnavailableError(['127.0.0.1:19092'], 10_000);

/** Fails the `n`-th publish to `topic` (1-based) as Kafka would when it cannot confirm it. */
class FlakyBus extends MemoryBus {
  private published = new Map<string, number>();
  constructor(private readonly failing: { topic: string; n: number } | null = null) {
    super();
  }
  override async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    const n = (this.published.get(topic) ?? 0) + 1;
    this.published.set(topic, n);
    if (this.failing?.topic === topic && this.failing.n === n) throw new PublishIncompleteError(topic, [0], [0], messages.length, 3);
    return super.publish(topic, messages);
  }
}

async function setup(options: { bus?: FlakyBus; champion?: RetrainDeps['champion'] } = {}) {
  const bus = options.bus ?? new FlakyBus();
  const topics = topicNames('retry.');
  await bus.ensureTopics(topicSpecs(topics, 1));
  const incidents = new MemoryIncidentStore(new MemoryKeyspace(), 'retry.');
  const monitoring = parseMonitoringConfig({});
  const deps: RetrainDeps = {
    bus,
    codec,
    topics,
    store: new LocalModelStore('/nonexistent-model-store'),
    incidents,
    logger,
    modelConfig: (model) => resolveModelConfig(monitoring, model),
    champion: options.champion ?? (async () => null),
    train: () => Promise.reject(new Error('not reached: an unknown model is rejected before training')),
    now: () => T,
  };
  const run = (attempt: RetrainAttempt) => runRetrain(deps, { model: 'ghost', triggers: [MANUAL], manual: true, lock: { token: 7, holds: async () => true }, attempt });
  const read = async <K extends 'model' | 'incident'>(topic: string, type: K) => {
    const out: unknown[] = [];
    await bus.readFrom(topic, 0, (messages) => {
      for (const m of messages) out.push(codec.decode(type, m.value, m.headers));
    });
    return out as K extends 'model' ? ModelEvent[] : Incident[];
  };
  return { run, incidents, modelEvents: () => read(topics.models, 'model'), incidentEvents: () => read(topics.incidents, 'incident') };
}

describe('retrain job: transient failures', () => {
  it('before the decision: FAILED saying which attempt and when the retry is due, no model event', async () => {
    const s = await setup({ champion: () => Promise.reject(kafkaDown()) });
    const result = await s.run(FIRST);
    expect(result.retryAt).toBe(T + 30_000);
    expect(result.incident).toMatchObject({ status: 'FAILED', decision: null });
    expect(result.incident.reason).toBe(`${kafkaDown().message} (transient failure, attempt 1 of 5; retry scheduled at ${new Date(T + 30_000).toISOString()})`);
    expect(await s.incidents.get('ghost', result.incident.id)).toEqual(result.incident);
    expect((await s.incidentEvents()).map((i) => i.status)).toEqual(['TRAINING', 'FAILED']);
    expect(await s.modelEvents()).toEqual([]);
  });

  it('on the last attempt: gave up after N attempts, no retry', async () => {
    const s = await setup({ champion: () => Promise.reject(kafkaDown()) });
    const result = await s.run({ number: 5, of: 5, retryDelayMs: null, retryOf: null });
    expect(result).toMatchObject({ retryAt: null, incident: { status: 'FAILED', reason: `gave up after 5 attempts: ${kafkaDown().message}` } });
  });

  it('a final error is not retried', async () => {
    const s = await setup({ champion: () => Promise.reject(new TypeError('x is not a function')) });
    expect(await s.run(FIRST)).toMatchObject({ retryAt: null, incident: { status: 'FAILED', reason: 'x is not a function' } });
  });

  it('a transient failure after the decision was published is not retried: the retrain is decided', async () => {
    // Incidents topic: 1 TRAINING, 2 REJECTED (fails, after the REJECTED model event went out).
    const s = await setup({ bus: new FlakyBus({ topic: 'retry.incidents', n: 2 }) });
    const result = await s.run(FIRST);
    expect((await s.modelEvents()).map((e) => e.status)).toEqual(['REJECTED']);
    expect(result.retryAt).toBeNull();
    expect(result.incident.reason).toMatch(/^publish to retry\.incidents: partition 0 not confirmed after 3 attempts/);
  });

  it('the retry is a new incident, and the FAILED one points at it (once)', async () => {
    let calls = 0;
    const s = await setup({ champion: async () => (++calls === 1 ? Promise.reject(kafkaDown()) : null) });
    const failed = (await s.run(FIRST)).incident;
    const retry = (await s.run({ number: 2, of: 5, retryDelayMs: 60_000, retryOf: failed.id })).incident;
    expect(retry.id).not.toBe(failed.id);
    expect(retry).toMatchObject({ status: 'REJECTED' });
    const pointed = await s.incidents.get('ghost', failed.id);
    expect(pointed!.reason).toBe(`${failed.reason}; retried as ${retry.id}`);
    expect((await s.incidentEvents()).filter((i) => i.id === failed.id).at(-1)!.reason).toBe(pointed!.reason);
    // A retry of the same failure again (the first retry was killed): the pointer stays on the first.
    await s.run({ number: 2, of: 5, retryDelayMs: 60_000, retryOf: failed.id });
    expect((await s.incidents.get('ghost', failed.id))!.reason).toBe(pointed!.reason);
  });
});
