// Monitors follow model versions (issue 7), on real Kafka and Redis: version 1 serves (its
// reference from its PROMOTED event; poor accuracy and, late in its run, a shifted `x`, so
// it has firing alerts), then a PROMOTED event for version 2 carries version 2's training
// profile and version 2's predictions follow, distributed like that profile and far from
// version 1's. Version 2 must be judged against its own profile (no data drift), start a
// fresh concept-drift detector fed only its own outcomes, and leave version 1's detector
// and windows as they were; version 1's firing alerts resolve once it is silent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import { Codec, type Alert, type ModelEventInput } from '../../shared/codec/index.js';
import { parseMonitoringConfig } from '../../shared/config/monitoring-config.js';
import { loadRuntimeConfig } from '../../shared/config/runtime-config.js';
import { createLogger } from '../../shared/log/logger.js';
import { bucketErrors } from '../../shared/monitor/bucket-errors.js';
import { runDetector } from '../../shared/monitor/concept-drift.js';
import { covFamily, perfFamily, performanceMetrics } from '../../shared/monitor/performance.js';
import { buildReference, referenceToFeatureProfiles, type FeatureValues } from '../../shared/monitor/reference-profile.js';
import { RedisMonitorState } from '../../shared/monitor-state/redis-monitor-state.js';
import { startDriftService, startPerformanceService } from '../../shared/pipeline/services.js';
import type { ServiceHandle } from '../../shared/runtime/run-service.js';
import { DriftwatchClient, type LabelRecord, type PredictionRecord } from '../../shared/sdk/index.js';
import { modelKey } from '../../shared/store/types.js';
import { topicNames } from '../../shared/topics.js';
import { kafkaBrokerList, kafkaBrokers, redisUrl, uniqueName } from '../setup/env.js';
import { waitForGroupCaughtUp } from '../support/kafka-progress.js';
import { until } from '../support/until.js';

const BUCKET_MS = 1_000;
// Predictions per second of event time: a 5 s window holds 2,000, enough for the drift tests
// to tell one distribution from itself (see DEFAULT_DRIFT_MIN_COUNT).
const RATE = 400;
const V1_SECONDS = 20;
const V1_SHIFT_AT = 12; // x of version 1 shifts from here on
const V2_SECONDS = 30;
const T0 = Math.floor(Date.UTC(2026, 0, 5, 12) / BUCKET_MS) * BUCKET_MS;
const T_V2 = T0 + V1_SECONDS * 1_000;

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Row {
  x: number;
  plan: string;
  predicted: 'yes' | 'no';
}

/** Version 1: x ~ U(0, 10) (U(8, 18) once shifted), mostly basic plans, half yes. Version 2: x ~ U(50, 60), mostly team, 30 % yes. */
function row(version: '1' | '2', r: () => number, shifted = false): Row {
  const u = r();
  if (version === '1') {
    return { x: (shifted ? 8 : 0) + r() * 10, plan: u < 0.5 ? 'basic' : u < 0.8 ? 'pro' : 'team', predicted: r() < 0.5 ? 'yes' : 'no' };
  }
  return { x: 50 + r() * 10, plan: u < 0.2 ? 'basic' : u < 0.5 ? 'pro' : 'team', predicted: r() < 0.3 ? 'yes' : 'no' };
}

function values(rows: Row[]): FeatureValues[] {
  return rows.map((v) => ({ numericFeatures: { x: v.x }, categoricalFeatures: { plan: v.plan }, booleanFeatures: {}, predictedClass: v.predicted, predictedValue: null }));
}

describe('monitors follow model versions (Kafka + Redis)', () => {
  const prefix = `${uniqueName('versions')}.`;
  const topics = topicNames(prefix);
  const model = uniqueName('versioned');
  const codec = new Codec();
  const alerts: Alert[] = [];
  const services: ServiceHandle[] = [];
  const groups = { perf: `${prefix}performance`, drift: `${prefix}drift` };
  let bus: KafkaBus;
  let state: RedisMonitorState;
  let admin: import('kafkajs').Admin;
  /** Version 1's detector once version 2's predictions started to be evaluated. */
  let v1DetectorAtSwitch: string | undefined;

  const modelEvent = (version: string, rows: Row[]): ModelEventInput => {
    const reference = buildReference(values(rows), { bins: 10, maxCategories: 50, task: 'binary' });
    return {
      model,
      version,
      status: 'PROMOTED',
      parentVersion: version === '1' ? null : String(Number(version) - 1),
      artifactUri: `file:///models/${model}/${version}`,
      trigger: { kind: 'MANUAL', alertId: null },
      challengerMetrics: {},
      championMetrics: {},
      trainingSize: rows.length,
      referenceProfile: referenceToFeatureProfiles(reference),
      time: T0,
    };
  };

  async function publishModelEvent(event: ModelEventInput): Promise<void> {
    const encoded = codec.encode('model', event);
    await bus.publish(topics.models, [{ key: model, value: encoded.value, headers: encoded.headers }]);
    await until(`the reference of version ${event.version}`, () => state.getReference(model, event.version), (json) => json !== null && JSON.parse(json).source === 'model', 20_000);
  }

  async function publishVersion(client: DriftwatchClient, version: '1' | '2', start: number, seconds: number, seed: number): Promise<void> {
    const r = random(seed);
    for (let s = 0; s < seconds; s++) {
      const predictions: PredictionRecord[] = [];
      const labels: LabelRecord[] = [];
      for (let i = 0; i < RATE; i++) {
        const time = start + s * 1_000 + Math.floor((i * 1_000) / RATE);
        const v = row(version, r, version === '1' && s >= V1_SHIFT_AT);
        const id = `${version}-${s}-${i}`;
        predictions.push({ id, model, modelVersion: version, time, features: { x: v.x, plan: v.plan }, predictedClass: v.predicted, probabilities: { yes: v.predicted === 'yes' ? 0.7 : 0.3, no: v.predicted === 'yes' ? 0.3 : 0.7 } });
        // Version 1 is right half of the time, version 2 95 % of the time.
        const right = r() < (version === '1' ? 0.5 : 0.95);
        labels.push({ predictionId: id, model, time, trueClass: right === (v.predicted === 'yes') ? 'yes' : 'no' });
      }
      await client.logPredictions(predictions);
      await client.logLabels(labels);
    }
  }

  beforeAll(async () => {
    const { Kafka, logLevel } = await import('kafkajs');
    bus = await KafkaBus.connect({ brokers: kafkaBrokerList(), logger: createLogger('versions-test', { level: 'warn' }) });
    admin = new Kafka({ brokers: kafkaBrokerList(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    state = await RedisMonitorState.connect(redisUrl());
    const config = {
      ...loadRuntimeConfig({ KAFKA_BROKERS: kafkaBrokers(), REDIS_URL: redisUrl(), DW_TOPIC_PREFIX: prefix, DW_TOPIC_PARTITIONS: '1', LOG_LEVEL: 'warn' }),
      mode: 'distributed' as const,
    };
    const monitoring = parseMonitoringConfig({
      models: {
        [model]: {
          task: 'binary',
          positiveLabel: 'yes',
          bucketMs: BUCKET_MS,
          horizons: ['5s', '20s'],
          evaluationHorizon: '5s',
          allowedLatenessMs: 0,
          bins: 10,
          alerts: [
            { metric: 'accuracy', comparison: 'below', warning: 0.8, minCount: 50 },
            { metric: 'drift:*', minCount: 1_000 },
            { metric: 'prediction_drift', minCount: 1_000 },
            { metric: 'dataset_drift_share', minCount: 1_000 },
          ],
        },
      },
    });
    services.push(await startPerformanceService({ config, monitoring, http: false, groupId: groups.perf }));
    services.push(await startDriftService({ config, monitoring, http: false, groupId: groups.drift }));
    await bus.subscribe({
      groupId: uniqueName('versions-alerts'),
      topics: [topics.alerts],
      handler: async (batch) => {
        for (const m of batch.messages) alerts.push(codec.decode('alert', m.value, m.headers));
      },
    });

    const client = new DriftwatchClient({ bus, topics });
    const profileRows = (version: '1' | '2', seed: number) => {
      const r = random(seed);
      return Array.from({ length: 5_000 }, () => row(version, r));
    };
    await publishModelEvent(modelEvent('1', profileRows('1', 101)));
    await publishVersion(client, '1', T0, V1_SECONDS, 1);
    await publishModelEvent(modelEvent('2', profileRows('2', 202)));
    // The first second of version 2 closes version 1's last bucket; then version 1's detector is final.
    await publishVersion(client, '2', T_V2, 2, 2);
    await until('the perf evaluation of version 2 to start', () => state.client.hget(modelKey(model, 'clock:perf'), 'evaluated'), (e) => Number(e) >= T_V2 + BUCKET_MS, 20_000);
    v1DetectorAtSwitch = (await state.client.hget(modelKey(model, 'alerts:perf'), '~detector|1')) ?? undefined;
    await publishVersion(client, '2', T_V2 + 2_000, V2_SECONDS - 2, 3);

    await waitForGroupCaughtUp(admin, groups.perf, [topics.predictions, topics.labels], 30_000);
    await waitForGroupCaughtUp(admin, groups.drift, [topics.predictions], 30_000);
    const lastEnd = T_V2 + (V2_SECONDS - 1) * 1_000;
    await until('both scopes evaluated to the end', async () => [await state.client.hget(modelKey(model, 'clock:perf'), 'evaluated'), await state.client.hget(modelKey(model, 'clock:drift'), 'evaluated')], (e) => e.every((v) => Number(v) >= lastEnd), 20_000);
    // Outbox entries are published after each evaluation run: wait for the alerts topic to be read to its end.
    await until('the alerts topic read', async () => (await admin.fetchTopicOffsets(topics.alerts)).reduce((s, p) => s + Number(p.high), 0), (total) => total > 0 && alerts.length >= total, 20_000);
  }, 60_000);

  afterAll(async () => {
    for (const service of services) await service.stop();
    await admin?.disconnect();
    await state?.close();
    await bus?.close();
  });

  const ofVersion = (version: string) => alerts.filter((a) => a.modelVersion === version);
  const history = (list: Alert[]) => list.map((a) => `${a.key} ${a.status}@${(a.window.end - T0) / 1_000}s`).join('\n');

  it('judges version 2 against its own training profile: no data or prediction drift', () => {
    const drift = ofVersion('2').filter((a) => a.kind === 'DATA_DRIFT' || a.kind === 'PREDICTION_DRIFT');
    expect(drift, history(drift)).toEqual([]);
  });

  it('gives version 2 a fresh concept-drift detector fed only its own outcomes, and leaves version 1\'s as it was', async () => {
    const fields = await state.client.hgetall(modelKey(model, 'alerts:perf'));
    expect(fields['~detector']).toBeUndefined();
    const evaluated = Number(await state.client.hget(modelKey(model, 'clock:perf'), 'evaluated'));
    // Replay what each detector should have seen: its version's closed buckets, in event-time order.
    const replay = async (version: string, from: number): Promise<string | null> => {
      let detector: string | null = null;
      for (let b = from; b < evaluated; b += BUCKET_MS) {
        const errors = bucketErrors('binary', await state.readBuckets(model, perfFamily(version), b, b + BUCKET_MS, BUCKET_MS));
        if (errors.length > 0) detector = runDetector(detector, errors, { detector: 'adwin', options: {} }).state;
      }
      return detector;
    };
    expect(JSON.parse(fields['~detector|2'] as string).state).toBe(await replay('2', T_V2));
    expect(JSON.parse(fields['~detector|1'] as string).state).toBe(await replay('1', T0));
    expect(fields['~detector|1']).toBe(v1DetectorAtSwitch);
    // Version 2's error rate is steady: its own detector sees no change (version 1's 50 % errors are not its history).
    expect(ofVersion('2').filter((a) => a.kind === 'CONCEPT_DRIFT')).toEqual([]);
  });

  it('keeps version 1\'s windows readable', async () => {
    const perf = await state.readBuckets(model, perfFamily('1'), T0, T_V2, BUCKET_MS);
    const cov = await state.readBuckets(model, covFamily('1'), T0, T_V2, BUCKET_MS);
    const metrics = performanceMetrics('binary', perf, cov, { positiveLabel: 'yes' });
    expect(metrics.predictions).toBe(V1_SECONDS * RATE);
    expect(metrics.count).toBe(V1_SECONDS * RATE);
    expect(metrics.accuracy).toBeGreaterThan(0.4);
    expect(metrics.accuracy).toBeLessThan(0.6);
    expect(await state.getReference(model, '1')).not.toBeNull();
    const v1Alerts = await state.client.hgetall(modelKey(model, 'alerts:perf'));
    expect(Object.keys(v1Alerts).some((k) => k.startsWith(`${model}|1|`))).toBe(true);
  });

  it('resolves version 1\'s firing alerts once it no longer receives predictions', () => {
    const v1 = ofVersion('1');
    const fired = new Set(v1.filter((a) => a.status === 'FIRING').map((a) => a.key));
    // Accuracy (half right) and the shifted x must have fired while version 1 served.
    expect([...fired].some((k) => k.includes('|PERFORMANCE|accuracy|')), history(v1)).toBe(true);
    expect([...fired].some((k) => k.includes('|DATA_DRIFT|drift|x')), history(v1)).toBe(true);
    for (const key of fired) {
      const last = v1.filter((a) => a.key === key).at(-1)!;
      expect(last.status, history(v1)).toBe('RESOLVED');
      expect(last.message).toContain('no longer receives predictions');
      // Resolved at the first evaluation whose 5 s horizon holds no version 1 prediction.
      expect(last.window.end).toBe(T_V2 + 5_000);
    }
  });

  it('publishes every transition once', () => {
    const ids = alerts.map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

