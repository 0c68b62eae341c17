// Per-batch cost of the monitor state's apply scripts on a real Redis: 500-event batches
// of a model with 20 features, as events/s, next to the plain apply-batch.lua given the
// same counter deltas, measured in the same run. The difference is what the window sums,
// the watermark and (perf) the two-stream offset fence cost on top of the bare counter
// writes. The perf join itself runs in the service's memory (shared/join), not here.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { fixedSlot } from '../shared/join/field-slots.js';
import { OutcomeCounters } from '../shared/join/outcome-counters.js';
import { RedisMonitorState } from '../shared/monitor-state/redis-monitor-state.js';
import type { BucketDeltas, PerfDeltaBatch, WindowSettings } from '../shared/monitor-state/types.js';
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

/**
 * What the performance service's join sends for one model and partition: a predictions batch
 * of EVENTS (cov `n`), then the labels batch joining every one of them (the outcome's
 * ConfusionMatrix counters in `perf:1`, cov `l`), each pre-aggregated per bucket by the
 * join's own DeltaAccumulator and outcome renderer.
 */
function perfDeltas(t0: number): { predictions: BucketDeltas[]; labels: BucketDeltas[] } {
  const outcomes = new OutcomeCounters();
  const predictions = outcomes.accumulator();
  const labels = outcomes.accumulator();
  for (let i = 0; i < EVENTS; i += 1) {
    const bucketStart = Math.floor((t0 + i * 20) / BUCKET_MS) * BUCKET_MS;
    const p = i % 3 === 0 ? 0.35 : 0.8;
    predictions.add('cov:1', bucketStart, fixedSlot('n'), 1);
    outcomes.classification(i % 4 === 0 ? 'no' : 'yes', p >= 0.5 ? 'yes' : 'no', { yes: p, no: 1 - p }, labels.group('perf:1', bucketStart));
    labels.add('cov:1', bucketStart, fixedSlot('l'), 1);
  }
  return { predictions: predictions.toDeltas(), labels: labels.toDeltas() };
}

const countDeltas = (deltas: BucketDeltas[]): number => deltas.reduce((n, d) => n + Object.keys(d.counters).length, 0);

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

    // Performance: alternating batches of 500 predictions and their 500 labels (joins), each
    // one fenced applyPerfDeltas with the offsets the previous calls recorded.
    await state.advance({ model, scope: 'perf', windows: WINDOWS, to: t0 + BUCKET_MS });
    const perf = perfDeltas(t0 + BUCKET_MS);
    const joinedDeltas = countDeltas(perf.predictions) + countDeltas(perf.labels);
    const own = { group: 'perf', partition: 0 };
    let predictionsOffset = -1;
    let labelsOffset = -1;
    const deltaBatch = (kind: 'pp' | 'pl', deltas: BucketDeltas[]): PerfDeltaBatch => {
      const [topic, paired, expected] =
        kind === 'pp'
          ? ['dw.predictions', 'dw.labels', { own: predictionsOffset, paired: labelsOffset }]
          : ['dw.labels', 'dw.predictions', { own: labelsOffset, paired: predictionsOffset }];
      return {
        model, source: { ...own, topic, offset: expected.own + EVENTS }, pairedField: `${own.group}|${paired}|${own.partition}`, kind, expected,
        windows: WINDOWS, deltas, maxEventTime: t0 + 2 * BUCKET_MS,
      };
    };
    const perfScript = await timed(async () => {
      const predictions = await state.applyPerfDeltas(deltaBatch('pp', perf.predictions));
      if (!predictions.applied) throw new Error(`predictions batch refused: recorded ${predictions.recordedOffset}/${predictions.pairedOffset}`);
      predictionsOffset = predictions.recordedOffset;
      const labels = await state.applyPerfDeltas(deltaBatch('pl', perf.labels));
      if (!labels.applied) throw new Error(`labels batch refused: recorded ${labels.recordedOffset}/${labels.pairedOffset}`);
      labelsOffset = labels.recordedOffset;
    });
    // Every round's deltas were counted once: cov n per prediction, cov l per join (read
    // before the baseline adds to the same bucket keys).
    const rounds = (predictionsOffset + 1) / EVENTS;
    const coverage = await state.readBuckets(model, 'cov:1', t0, t0 + 3 * BUCKET_MS, BUCKET_MS);
    if (rounds !== perfScript.rounds + 3 || coverage.n !== rounds * EVENTS || coverage.l !== rounds * EVENTS) {
      throw new Error(`expected ${perfScript.rounds + 3} rounds of ${EVENTS} counted outcomes, got ${JSON.stringify(coverage)} after ${rounds}`);
    }
    // The same counter deltas as one round of the perf script calls, in one plain call.
    const plainPerf: CounterDelta[] = [...perf.predictions, ...perf.labels].flatMap((d) =>
      Object.entries(d.counters).map(([field, by]) => ({ key: `b:${d.family}:${d.bucketStart}`, field, by })),
    );
    const perfBaseline = await timed(async () => {
      offset += 1;
      await store.applyBatch({ model, source: { group: 'g', topic: 'plain-perf', partition: 0, offset }, deltas: plainPerf, ttlSeconds: 90_000 });
    });

    const driftRate = driftScript.perSecond * EVENTS;
    const driftPlainRate = driftBaseline.perSecond * EVENTS;
    // A perf round is 1,000 events (500 predictions + 500 labels) in two script calls.
    const perfRate = perfScript.perSecond * 2 * EVENTS;
    const perfPlainRate = perfBaseline.perSecond * 2 * EVENTS;
    printTable(`monitor state scripts, ${EVENTS}-event batches, ${FEATURES} features, 3 horizons`, [
      { case: 'applyDriftBatch', 'counter deltas': driftFieldCount, 'batches/s': driftScript.perSecond.toFixed(1), 'events/s': formatRate(driftRate), 'vs plain': (driftRate / driftPlainRate).toFixed(2) },
      { case: 'plain apply-batch.lua (drift deltas)', 'counter deltas': plainDrift.length, 'batches/s': driftBaseline.perSecond.toFixed(1), 'events/s': formatRate(driftPlainRate), 'vs plain': '1.00' },
      { case: 'applyPerfDeltas (500 predictions + 500 joins)', 'counter deltas': joinedDeltas, 'batches/s': (2 * perfScript.perSecond).toFixed(1), 'events/s': formatRate(perfRate), 'vs plain': (perfRate / perfPlainRate).toFixed(2) },
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
