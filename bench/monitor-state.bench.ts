// Per-batch cost of the monitor state's apply scripts on a real Redis: 500-event batches
// of a model with 20 features, as events/s, next to the plain apply-batch.lua given the
// same number of counter deltas, measured in the same run. The difference is what the
// window sums and the join cost on top of the bare counter writes.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { outcomeTemplate } from '../shared/monitor-state/outcome-template.js';
import { RedisMonitorState } from '../shared/monitor-state/redis-monitor-state.js';
import type { BucketDeltas, IncomingLabel, PendingPrediction, WindowSettings } from '../shared/monitor-state/types.js';
import { RedisStore } from '../shared/store/redis-store.js';
import type { CounterDelta } from '../shared/store/types.js';
import { formatRate, printTable } from './lib.js';
import type { BenchModule } from './lib.js';

const EVENTS = 500;
const FEATURES = 20;
const BINS = 20;
const BUCKET_MS = 10_000;
const WINDOWS: WindowSettings = { bucketMs: BUCKET_MS, horizonsMs: [300_000, 3_600_000, 86_400_000], retentionMs: 90_000_000 };
const MIN_MS = 2_000;

function makeRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * What the drift service would send for one batch: per feature a histogram bin count, a
 * count and a float sum, plus a missing count, aggregated per event-time bucket.
 */
function driftDeltas(random: () => number, t0: number): BucketDeltas[] {
  const byBucket = new Map<number, Record<string, number>>();
  for (let e = 0; e < EVENTS; e += 1) {
    const bucket = Math.floor((t0 + e * 20) / BUCKET_MS) * BUCKET_MS;
    let counters = byBucket.get(bucket);
    if (counters === undefined) {
      counters = {};
      byBucket.set(bucket, counters);
    }
    for (let f = 0; f < FEATURES; f += 1) {
      if (random() < 0.02) {
        counters[`f${f}|m`] = (counters[`f${f}|m`] ?? 0) + 1;
        continue;
      }
      const x = random() + random() - 1;
      const bin = Math.min(BINS - 1, Math.floor((x + 1) * (BINS / 2)));
      counters[`f${f}|h|${bin}`] = (counters[`f${f}|h|${bin}`] ?? 0) + 1;
      counters[`f${f}|n`] = (counters[`f${f}|n`] ?? 0) + 1;
      counters[`~f${f}|s`] = (counters[`~f${f}|s`] ?? 0) + x;
    }
  }
  return [...byBucket].map(([bucketStart, counters]) => ({ family: 'feat:1', bucketStart, counters }));
}

function pendingPredictions(batch: number, t0: number): PendingPrediction[] {
  return Array.from({ length: EVENTS }, (_, i) => {
    const id = `b${batch}-${i}`;
    const eventTime = t0 + i * 20;
    const p = i % 3 === 0 ? 0.35 : 0.8;
    return {
      id,
      bucketStart: Math.floor(eventTime / BUCKET_MS) * BUCKET_MS,
      family: 'perf:1',
      coverageFamily: 'cov:1',
      outcome: outcomeTemplate({
        id,
        model: 'bench',
        modelVersion: '1',
        eventTime,
        numericFeatures: {},
        categoricalFeatures: {},
        booleanFeatures: {},
        missingFeatures: [],
        predictedClass: p >= 0.5 ? 'yes' : 'no',
        predictedValue: null,
        classProbabilities: { yes: p, no: 1 - p },
        segments: {},
      }),
    };
  });
}

function labelsFor(predictions: PendingPrediction[], eventTime: number, offset: number): IncomingLabel[] {
  return predictions.map((p, i) => ({
    predictionId: p.id,
    eventTime,
    trueClass: i % 4 === 0 ? 'no' : 'yes',
    trueValue: null,
    raw: { sourceTopic: 'dw.labels', partition: 0, offset: offset + i, value: Buffer.alloc(60, 1), headers: {} },
  }));
}

async function timed(round: (i: number) => Promise<void>): Promise<{ perSecond: number; rounds: number }> {
  for (let i = 0; i < 3; i += 1) await round(-1 - i);
  let rounds = 0;
  const start = performance.now();
  while (performance.now() - start < MIN_MS) {
    await round(rounds);
    rounds += 1;
  }
  return { perSecond: (rounds * 1000) / (performance.now() - start), rounds };
}

async function run(): Promise<void> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const admin = new Redis(url);
  const state = await RedisMonitorState.connect(url);
  const store = await RedisStore.connect(url);
  const model = `bench-ms-${randomUUID()}`;
  const random = makeRandom(7);
  const t0 = 1_700_000_000_000;
  try {
    // Drift: the counters of 500 events, pre-aggregated as the service does.
    const drift = driftDeltas(random, t0);
    const driftFieldCount = drift.reduce((n, d) => n + Object.keys(d.counters).length, 0);
    await state.applyDriftBatch({ model, source: { group: 'g', topic: 'warm', partition: 0, offset: 0 }, windows: WINDOWS, deltas: drift, maxEventTime: t0 + 20_000 });
    // Windows end after the data, so every delta also goes into all three running sums.
    await state.advance({ model, scope: 'drift', windows: WINDOWS, to: t0 + 30_000 });
    let offset = 1;
    const driftScript = await timed(async () => {
      offset += 1;
      await state.applyDriftBatch({ model, source: { group: 'g', topic: 'drift', partition: 0, offset }, windows: WINDOWS, deltas: drift, maxEventTime: t0 + 20_000 });
    });
    const plainDrift: CounterDelta[] = drift.flatMap((d) =>
      Object.entries(d.counters).map(([field, by]) => ({ key: `b:feat:1:${d.bucketStart}`, field, by })),
    );
    const driftBaseline = await timed(async () => {
      offset += 1;
      await store.applyBatch({ model, source: { group: 'g', topic: 'plain-drift', partition: 0, offset }, deltas: plainDrift, ttlSeconds: 90_000 });
    });

    // Performance: alternating batches of 500 predictions and their 500 labels (joins).
    await state.advance({ model, scope: 'perf', windows: WINDOWS, to: t0 + BUCKET_MS });
    const prepared = Array.from({ length: 64 }, (_, b) => pendingPredictions(b, t0 + BUCKET_MS));
    let perfRound = 0;
    let joinedDeltas = 0;
    let joinedEvents = 0;
    const perfScript = await timed(async () => {
      const b = perfRound % prepared.length;
      const predictions = (prepared[b] as PendingPrediction[]).map((p) => ({ ...p, id: `${p.id}-${perfRound}` }));
      perfRound += 1;
      offset += 1;
      await state.applyPerfBatch({
        model, source: { group: 'g', topic: 'p', partition: 0, offset }, windows: WINDOWS, labelHorizonMs: 3_600_000,
        predictions, labels: [], maxEventTime: t0 + 2 * BUCKET_MS,
      });
      const reply = await state.applyPerfBatch({
        model, source: { group: 'g', topic: 'l', partition: 0, offset }, windows: WINDOWS, labelHorizonMs: 3_600_000,
        predictions: [], labels: labelsFor(predictions, t0 + 2 * BUCKET_MS, offset * EVENTS), maxEventTime: t0 + 2 * BUCKET_MS,
      });
      joinedEvents += reply.joined;
    });
    // Same counter deltas as one round of the perf scripts: cov n per prediction, then per
    // join the outcome's counters and cov l.
    const sample = prepared[0] as PendingPrediction[];
    const plainPerf: CounterDelta[] = [];
    for (const p of sample) plainPerf.push({ key: `b:cov:1:${p.bucketStart}`, field: 'n', by: 1 });
    for (const [i, p] of sample.entries()) {
      if (p.outcome.kind !== 'classification') continue;
      const counters = p.outcome.byClass[i % 4 === 0 ? 'no' : 'yes'] ?? {};
      for (const [field, by] of Object.entries(counters)) plainPerf.push({ key: `b:perf:1:${p.bucketStart}`, field, by });
      plainPerf.push({ key: `b:cov:1:${p.bucketStart}`, field: 'l', by: 1 });
    }
    joinedDeltas = plainPerf.length;
    const perfBaseline = await timed(async () => {
      offset += 1;
      await store.applyBatch({ model, source: { group: 'g', topic: 'plain-perf', partition: 0, offset }, deltas: plainPerf, ttlSeconds: 90_000 });
    });
    if (joinedEvents !== perfScript.rounds * EVENTS + 3 * EVENTS) throw new Error(`expected every label to join, joined ${joinedEvents}`);

    const driftRate = driftScript.perSecond * EVENTS;
    const driftPlainRate = driftBaseline.perSecond * EVENTS;
    // A perf round is 1,000 events (500 predictions + 500 labels) in two script calls.
    const perfRate = perfScript.perSecond * 2 * EVENTS;
    const perfPlainRate = perfBaseline.perSecond * 2 * EVENTS;
    printTable(`monitor state scripts, ${EVENTS}-event batches, ${FEATURES} features, 3 horizons`, [
      { case: 'applyDriftBatch', 'counter deltas': driftFieldCount, 'batches/s': driftScript.perSecond.toFixed(1), 'events/s': formatRate(driftRate), 'vs plain': (driftRate / driftPlainRate).toFixed(2) },
      { case: 'plain apply-batch.lua (drift deltas)', 'counter deltas': plainDrift.length, 'batches/s': driftBaseline.perSecond.toFixed(1), 'events/s': formatRate(driftPlainRate), 'vs plain': '1.00' },
      { case: 'applyPerfBatch (500 predictions + 500 joins)', 'counter deltas': joinedDeltas, 'batches/s': (2 * perfScript.perSecond).toFixed(1), 'events/s': formatRate(perfRate), 'vs plain': (perfRate / perfPlainRate).toFixed(2) },
      { case: 'plain apply-batch.lua (perf deltas, one call)', 'counter deltas': plainPerf.length, 'batches/s': perfBaseline.perSecond.toFixed(1), 'events/s': formatRate(perfPlainRate), 'vs plain': '1.00' },
    ]);
  } finally {
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `dw:{${model}}:*`, 'COUNT', 1000);
      if (keys.length > 0) await admin.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    await state.close();
    await store.close();
    await admin.quit();
  }
}

export default { title: 'Monitor state: apply scripts vs plain apply-batch.lua', needsServices: true, run } satisfies BenchModule;
