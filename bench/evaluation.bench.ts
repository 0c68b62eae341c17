// One model's evaluations on a real Redis, as the drift service runs them: a model with 20
// features (12 numeric, 6 categorical, 2 boolean) whose buckets hold 3 hours of predictions,
// evaluated at every 10-second window end for an hour of event time through EvaluationLoop
// (advance, the drift reports and snapshots of the horizons due, commit, outbox drain).
// Reports per evaluation: Redis round trips (every MonitorState call), ms inside them, ms in
// Node, snapshots. Two rows from the same run: every horizon at every end (the cadence before
// issue 8), and the default cadence (5m every bucket, 1h every 1m, 24h every 10m).
// BENCH_EVALUATION_ENDS (default 360) sets how many ends are evaluated.
import { randomUUID } from 'node:crypto';
import { Codec, type Prediction } from '../shared/codec/index.js';
import { parseMonitoringConfig, resolveModelConfig, type ModelConfig } from '../shared/config/monitoring-config.js';
import { driftReport } from '../shared/monitor/drift-report.js';
import { dqFamily, featFamily, featureDeltas, predFamily } from '../shared/monitor/feature-deltas.js';
import { metricsSnapshot } from '../shared/monitor/metrics-snapshot.js';
import { buildReference, referenceRow, type ReferenceProfile } from '../shared/monitor/reference-profile.js';
import { RedisMonitorState } from '../shared/monitor-state/redis-monitor-state.js';
import type { EvaluationInput, MonitorState, OutboxEntry, WindowSettings } from '../shared/monitor-state/types.js';
import type { EventBus } from '../shared/bus/types.js';
import { EvaluationLoop } from '../shared/pipeline/evaluation-loop.js';
import { windowSettings } from '../shared/pipeline/model-settings.js';
import { snapshotOutboxEntry } from '../shared/pipeline/outbox-entries.js';
import { topicNames } from '../shared/topics.js';
import { printTable, type BenchModule } from './lib.js';
import { featureEvents } from './support/feature-events.js';

const BUCKET_MS = 10_000;
const EVENTS_PER_SECOND = 5;
const FILL_MS = 3 * 3_600_000;
const ENDS = Number(process.env.BENCH_EVALUATION_ENDS ?? 360);
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % 86_400_000);

/** `n` events from t0, EVENTS_PER_SECOND of them a second. */
function events(n: number, seed: number, t0: number): Prediction[] {
  return featureEvents(n, seed, (i) => t0 + Math.floor((i * 1000) / EVENTS_PER_SECOND));
}

/** Counts each MonitorState call and the wall time spent waiting for it. */
function timed(state: MonitorState): { state: MonitorState; calls: () => number; ms: () => number } {
  let calls = 0;
  let ms = 0;
  const proxy = new Proxy(state, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        calls += 1;
        const start = performance.now();
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } finally {
          ms += performance.now() - start;
        }
      };
    },
  });
  return { state: proxy, calls: () => calls, ms: () => ms };
}

/** The drift pipeline's evaluate, without alert rules: a report and a snapshot per horizon read. */
function evaluator(codec: Codec, settings: ModelConfig, reference: ReferenceProfile, counts: { snapshots: number }) {
  return async (model: string, input: EvaluationInput) => {
    const outbox: OutboxEntry[] = [];
    const read = new Set(input.horizons);
    for (const version of Object.keys(input.windows).filter((f) => f.startsWith('feat:')).map((f) => f.slice('feat:'.length))) {
      for (const horizon of settings.horizons.filter((h) => read.has(h.ms))) {
        const report = driftReport(
          reference,
          { feat: input.windows[featFamily(version)]?.[horizon.ms] ?? {}, pred: input.windows[predFamily(version)]?.[horizon.ms] ?? {}, dq: input.windows[dqFamily(version)]?.[horizon.ms] ?? {} },
          settings,
        );
        const window = { start: input.end - horizon.ms, end: input.end, count: report.count };
        outbox.push(snapshotOutboxEntry(codec, metricsSnapshot({ model, version, horizon: horizon.name, window, time: 0, drift: report })));
        counts.snapshots += 1;
      }
    }
    return { alertStates: {}, outbox };
  };
}

async function measure(name: string, horizons: unknown[], redis: RedisMonitorState, reference: ReferenceProfile) {
  const codec = new Codec();
  const model = `bench-eval-${randomUUID().slice(0, 8)}`;
  const settings = resolveModelConfig(parseMonitoringConfig({ models: { [model]: { horizons, bucketMs: BUCKET_MS } } }), model);
  const windows: WindowSettings = windowSettings(settings, 1);
  // Fill 3 hours of buckets, 500 events per apply.
  const all = events(FILL_MS / 1000 * EVENTS_PER_SECOND, 7, T0);
  let offset = 0;
  for (let i = 0; i < all.length; i += 500) {
    const part = all.slice(i, i + 500);
    await redis.applyDriftBatch({
      model,
      source: { group: 'bench', topic: 'predictions', partition: 0, offset: offset++ },
      windows,
      deltas: featureDeltas(part, reference, { bucketMs: BUCKET_MS }),
      maxEventTime: part.at(-1)!.eventTime,
    });
  }
  const bus = { publish: async () => undefined } as unknown as EventBus;
  const counted = timed(redis);
  const loop = new EvaluationLoop({ state: counted.state, bus, topics: topicNames('bench.'), scope: 'drift' });
  const counts = { snapshots: 0 };
  const evaluate = evaluator(codec, settings, reference, counts);
  // The first end rebuilds every window from its buckets (a new model): not timed.
  const first = T0 + 2 * 3_600_000;
  await loop.evaluateUpTo(model, 0, first, windows, evaluate);
  const calls0 = counted.calls();
  const redisMs0 = counted.ms();
  counts.snapshots = 0;
  const start = performance.now();
  const evaluated = await loop.evaluateUpTo(model, first, first + ENDS * BUCKET_MS, windows, evaluate);
  const total = performance.now() - start;
  const calls = counted.calls() - calls0;
  const redisMs = counted.ms() - redisMs0;
  // Leave nothing behind in a shared Redis (the keys would otherwise live for the idle expiry).
  let cursor = '0';
  do {
    const [next, keys] = await redis.client.scan(cursor, 'MATCH', `dw:{${model}}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.client.del(...keys);
  } while (cursor !== '0');
  return {
    cadence: name,
    evaluations: evaluated,
    'round trips / evaluation': (calls / evaluated).toFixed(2),
    'Redis ms / evaluation': (redisMs / evaluated).toFixed(2),
    'Node ms / evaluation': ((total - redisMs) / evaluated).toFixed(2),
    'total ms / evaluation': (total / evaluated).toFixed(2),
    'snapshots / evaluation': (counts.snapshots / evaluated).toFixed(2),
  };
}

async function run(): Promise<void> {
  const redis = await RedisMonitorState.connect(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  try {
    const reference = buildReference(events(1000, 1, 0).map(referenceRow), { bins: 20, maxCategories: 50 });
    const rows = [
      await measure('every horizon at every end', ['5m', '1h', '24h'], redis, reference),
      await measure('5m / 1h every 1m / 24h every 10m', [{ window: '5m' }, { window: '1h', every: '1m' }, { window: '24h', every: '10m' }], redis, reference),
    ];
    printTable(`Evaluation of one model (20 features, drift scope, 3 horizons), ${ENDS} window ends of ${BUCKET_MS / 1000} s`, rows);
  } finally {
    await redis.close();
  }
}

export default { title: 'Evaluation: round trips and time per window end', needsServices: true, run } satisfies BenchModule;
