// End-to-end monitor on real Kafka and Redis, against raw kafkajs consumption of the same
// topics in the same run:
//   A. a seeded churn scenario up to its change point is published; raw kafkajs consume
//      (eachBatch, no work) of those topics is timed; then the performance and drift
//      services start as child processes (each its own consumer group, from the beginning)
//      and are timed until their groups have committed everything (catch-up);
//   B. the rest of the scenario (the shifted part) is published live at a fixed event-time
//      speed-up while the services run, and the data-drift and concept-drift alerts are
//      timed in event time, in evaluation intervals and in wall-clock time.
// Redis round trips come from the services' own /metrics.
//
// BENCH_MONITOR_PREDICTIONS (default 60000) sizes the scenario, BENCH_MONITOR_RATE (default
// 50) its predictions per second of event time; BENCH_CPU_PROFILE=<dir>
// writes a V8 CPU profile of each service process there.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { KafkaBus } from '../shared/bus/kafka-bus.js';
import { Codec, type Alert, type MetricsSnapshot } from '../shared/codec/index.js';
import { createLogger } from '../shared/log/logger.js';
import { DriftwatchClient } from '../shared/sdk/index.js';
import type { LabelRecord, PredictionRecord } from '../shared/sdk/records.js';
import { generateScenario, SHIFTED_FEATURE, type Delivery } from '../shared/sim/scenario.js';
import { topicNames, topicSpecs, type TopicNames } from '../shared/topics.js';
import { formatRate, printTable, type BenchModule } from './lib.js';
import { detectableWindow, firstFiring } from './support/alert-latency.js';
import { waitForCatchUp } from './support/group-lag.js';
import { metricValue, redisCallsByScript, startServiceProcess, type ServiceProcess } from './support/service-process.js';

const PREDICTIONS = Number(process.env.BENCH_MONITOR_PREDICTIONS ?? 60_000);
const SHIFT_AT = Math.floor(PREDICTIONS * 0.75);
const PARTITIONS = 6;
// Of event time: 60,000 predictions at 50/s span 20 minutes, enough for 5-minute windows to
// fill and alerts to fire. Per Kafka batch that is few events per 10-second bucket, the
// costliest shape for the services (a batch's deltas fan out over many buckets, and every
// bucket end is an evaluation); BENCH_MONITOR_RATE=1000 measures a busier model's shape.
const EVENTS_PER_SECOND = Number(process.env.BENCH_MONITOR_RATE ?? 50);
const BUCKET_MS = 10_000;
const ALLOWED_LATENESS_MS = 10_000;
/** Phase B publishes this many seconds of event time per wall-clock second. */
const LIVE_SPEEDUP = 20;
const PUBLISH_CHUNK = 2_000;

interface Received<T> {
  at: number;
  alert: T;
}

function env(name: string, fallback: string): string {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : value;
}

async function publish(client: DriftwatchClient, deliveries: readonly Delivery[]): Promise<void> {
  let predictions: PredictionRecord[] = [];
  let labels: LabelRecord[] = [];
  const flush = async (): Promise<void> => {
    if (predictions.length > 0) await client.logPredictions(predictions);
    if (labels.length > 0) await client.logLabels(labels);
    predictions = [];
    labels = [];
  };
  for (const d of deliveries) {
    if (d.kind === 'prediction') predictions.push(d.record);
    else labels.push(d.record);
    if (predictions.length + labels.length >= PUBLISH_CHUNK) await flush();
  }
  await flush();
}

/** Raw kafkajs: eachBatch doing nothing but counting, from the beginning, timed from the first batch. */
async function rawConsumeRate(kafka: Kafka, topics: string[], expected: number): Promise<number> {
  const consumer = kafka.consumer({ groupId: `bench-raw-${randomUUID()}`, maxBytes: 10 * 1024 * 1024 });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  let seen = 0;
  let start = 0;
  const end = await new Promise<number>((resolve) => {
    void consumer.run({
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        if (start === 0) start = performance.now();
        seen += batch.messages.length;
        if (seen >= expected) resolve(performance.now());
      },
    });
  });
  await consumer.disconnect();
  return (expected * 1000) / (end - start);
}

async function collect(bus: KafkaBus, codec: Codec, topics: TopicNames) {
  const alerts: Received<Alert>[] = [];
  const snapshots: MetricsSnapshot[] = [];
  const subscriptions = [
    await bus.subscribe({
      groupId: `bench-alerts-${randomUUID()}`,
      topics: [topics.alerts],
      handler: async (batch) => {
        const at = performance.now();
        for (const m of batch.messages) alerts.push({ at, alert: codec.decode('alert', m.value, m.headers) });
      },
    }),
    await bus.subscribe({
      groupId: `bench-metrics-${randomUUID()}`,
      topics: [topics.metrics],
      handler: async (batch) => {
        for (const m of batch.messages) snapshots.push(codec.decode('metricsSnapshot', m.value, m.headers));
      },
    }),
  ];
  return { alerts, snapshots, stop: () => Promise.all(subscriptions.map((s) => s.stop())) };
}

interface RedisCallReport {
  batches: number;
  apply: number;
  evaluations: number;
  evaluationCalls: number;
  other: string;
}

async function redisCalls(service: ServiceProcess, applyScript: string): Promise<RedisCallReport> {
  const text = await service.metrics();
  const calls = redisCallsByScript(text);
  const evaluationScripts = ['advance', 'commit-evaluation', 'read-outbox', 'ack-outbox'];
  const other = [...calls].filter(([script]) => script !== applyScript && !evaluationScripts.includes(script));
  return {
    batches: metricValue(text, 'driftwatch_batch_events_count'),
    apply: calls.get(applyScript) ?? 0,
    evaluations: calls.get('commit-evaluation') ?? 0,
    evaluationCalls: evaluationScripts.reduce((sum, s) => sum + (calls.get(s) ?? 0), 0),
    other: other.map(([s, n]) => `${s} ${n}`).join(', ') || '-',
  };
}

async function untilAlerts(alerts: Received<Alert>[], timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (firstFiring(alerts, 'DATA_DRIFT', SHIFTED_FEATURE) && firstFiring(alerts, 'CONCEPT_DRIFT')) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function run(): Promise<void> {
  const brokers = env('KAFKA_BROKERS', '127.0.0.1:9092');
  const redisUrl = env('REDIS_URL', 'redis://127.0.0.1:6379');
  const runId = randomUUID().slice(0, 8);
  const prefix = `bench-monitor-${runId}.`;
  const model = `bench-monitor-${runId}`;
  const topics = topicNames(prefix);
  const logger = createLogger('bench', { level: 'warn' });
  const bus = await KafkaBus.connect({ brokers: brokers.split(','), logger });
  await bus.ensureTopics(topicSpecs(topics, PARTITIONS));
  const kafka = new Kafka({ clientId: 'bench', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin: Admin = kafka.admin();
  await admin.connect();
  const codec = new Codec();
  const client = new DriftwatchClient({ bus, topics, codec });

  const scenario = generateScenario({ model, seed: 11, count: PREDICTIONS, eventsPerSecond: EVENTS_PER_SECOND, shiftAt: SHIFT_AT });
  const changePoint = scenario.changePointTime!;
  const firstShifted = scenario.deliveries.findIndex((d) => d.kind === 'prediction' && Number(d.record.time) === changePoint);
  const before = scenario.deliveries.slice(0, firstShifted);
  const after = scenario.deliveries.slice(firstShifted);
  const predictionsBefore = before.filter((d) => d.kind === 'prediction').length;

  // A. Catch-up over the unshifted part.
  await publish(client, before);
  const rawBoth = await rawConsumeRate(kafka, [topics.predictions, topics.labels], before.length);
  const rawPredictions = await rawConsumeRate(kafka, [topics.predictions], predictionsBefore);

  const monitoring = {
    models: {
      [model]: {
        task: 'binary',
        positiveLabel: 'yes',
        bucketMs: BUCKET_MS,
        allowedLatenessMs: ALLOWED_LATENESS_MS,
      },
    },
  };
  const serviceEnv = {
    KAFKA_BROKERS: brokers,
    REDIS_URL: redisUrl,
    DW_TOPIC_PREFIX: prefix,
    DW_TOPIC_PARTITIONS: String(PARTITIONS),
    DW_MONITORING_CONFIG_JSON: JSON.stringify(monitoring),
  };
  const cpuProfileDir = process.env.BENCH_CPU_PROFILE;
  const collected = await collect(bus, codec, topics);
  const groups = { performance: `bench-perf-${runId}`, drift: `bench-drift-${runId}` };
  const services: ServiceProcess[] = [];
  try {
    const [performanceService, driftService] = await Promise.all([
      startServiceProcess('performance', { env: serviceEnv, groupId: groups.performance, ...(cpuProfileDir ? { cpuProfileDir } : {}) }),
      startServiceProcess('drift', { env: serviceEnv, groupId: groups.drift, ...(cpuProfileDir ? { cpuProfileDir } : {}) }),
    ]);
    services.push(performanceService, driftService);
    const [perfCatchUp, driftCatchUp] = await Promise.all([
      waitForCatchUp(admin, groups.performance, [topics.predictions, topics.labels], 600_000),
      waitForCatchUp(admin, groups.drift, [topics.predictions], 600_000),
    ]);
    const rate = (c: typeof perfCatchUp) => ((c.end - c.committedAtStart) * 1000) / (c.finishedAt - c.startedAt);
    const perfRate = rate(perfCatchUp);
    const driftRate = rate(driftCatchUp);
    const perfCalls = await redisCalls(performanceService, 'apply-perf-batch');
    const driftCalls = await redisCalls(driftService, 'apply-drift-batch');

    // B. The shift, published live: event time runs LIVE_SPEEDUP× faster than the wall clock.
    const liveStart = performance.now();
    let next = 0;
    while (next < after.length) {
      const reachable = changePoint + (performance.now() - liveStart) * LIVE_SPEEDUP;
      let end = next;
      while (end < after.length && Number(after[end]!.record.time) <= reachable) end += 1;
      if (end > next) await publish(client, after.slice(next, end));
      next = end;
      await new Promise((r) => setTimeout(r, 50));
    }
    await untilAlerts(collected.alerts, 120_000);
    // The snapshots of the windows that crossed may still be in flight.
    await new Promise((r) => setTimeout(r, 2_000));

    printTable(`Monitor throughput: ${PREDICTIONS} predictions scenario, catch-up over the ${before.length} events before the change point, ${PARTITIONS} partitions; services as child processes, run concurrently`, [
      { step: 'kafkajs consume predictions+labels (eachBatch, no work)', events: before.length, rate: formatRate(rawBoth), 'vs raw': '1.00' },
      { step: 'kafkajs consume predictions (eachBatch, no work)', events: predictionsBefore, rate: formatRate(rawPredictions), 'vs raw': '1.00' },
      { step: 'performance service (predictions+labels)', events: perfCatchUp.end - perfCatchUp.committedAtStart, rate: formatRate(perfRate), 'vs raw': (perfRate / rawBoth).toFixed(2) },
      { step: 'drift service (predictions)', events: driftCatchUp.end - driftCatchUp.committedAtStart, rate: formatRate(driftRate), 'vs raw': (driftRate / rawPredictions).toFixed(2) },
    ]);

    printTable('Redis round trips (catch-up phase, one model)', [
      { service: 'performance', batches: perfCalls.batches, 'apply calls': perfCalls.apply, 'apply per batch': (perfCalls.apply / perfCalls.batches).toFixed(2), evaluations: perfCalls.evaluations, 'calls per evaluation': (perfCalls.evaluationCalls / Math.max(1, perfCalls.evaluations)).toFixed(2), other: perfCalls.other },
      { service: 'drift', batches: driftCalls.batches, 'apply calls': driftCalls.apply, 'apply per batch': (driftCalls.apply / driftCalls.batches).toFixed(2), evaluations: driftCalls.evaluations, 'calls per evaluation': (driftCalls.evaluationCalls / Math.max(1, driftCalls.evaluations)).toFixed(2), other: driftCalls.other },
    ]);

    const horizon = '5m';
    const detectable = detectableWindow(collected.snapshots, SHIFTED_FEATURE, horizon, changePoint);
    const firstWindowWithShift = Math.ceil((changePoint + 1) / BUCKET_MS) * BUCKET_MS;
    const dataDrift = firstFiring(collected.alerts, 'DATA_DRIFT', SHIFTED_FEATURE);
    const conceptDrift = firstFiring(collected.alerts, 'CONCEPT_DRIFT');
    const beforeChange = collected.alerts.filter(({ alert }) => alert.status === 'FIRING' && alert.window.end <= changePoint);
    const row = (name: string, hit: Received<Alert> | undefined, reference: number | null) => ({
      alert: name,
      'window end - shift (event s)': hit ? ((hit.alert.window.end - changePoint) / 1000).toFixed(0) : 'none',
      'intervals after detectable': hit && reference !== null ? ((hit.alert.window.end - reference) / BUCKET_MS).toFixed(0) : 'n/a',
      'intervals after first shifted window': hit ? ((hit.alert.window.end - firstWindowWithShift) / BUCKET_MS).toFixed(0) : 'n/a',
      'wall s from shifted publish': hit ? ((hit.at - liveStart) / 1000).toFixed(2) : 'n/a',
      'of which event-time wait': hit ? ((hit.alert.window.end + ALLOWED_LATENESS_MS - changePoint) / LIVE_SPEEDUP / 1000).toFixed(2) : 'n/a',
    });
    printTable(
      `Alert latency (bucket = evaluation interval = ${BUCKET_MS / 1000} s, lateness ${ALLOWED_LATENESS_MS / 1000} s, live at ${LIVE_SPEEDUP}× event time)`,
      [row(`DATA_DRIFT ${SHIFTED_FEATURE}`, dataDrift, detectable.detectableEnd), row('CONCEPT_DRIFT', conceptDrift, null)],
    );
    console.log(
      `shift detectable in the ${horizon} window ending ${detectable.detectableEnd === null ? 'never' : `${(detectable.detectableEnd - changePoint) / 1000} s after the change point`}` +
        ` (${detectable.statistic ?? '-'}); windows crossing before the change: ${detectable.crossedBeforeChange}; alerts firing before the change: ${beforeChange.length}`,
    );
    console.log(
      `monitor: performance ${(perfRate / rawBoth).toFixed(2)}× raw consume, drift ${(driftRate / rawPredictions).toFixed(2)}× raw consume (goal ≥ 0.5×); ` +
        `apply calls per batch ${(perfCalls.apply / perfCalls.batches).toFixed(2)} / ${(driftCalls.apply / driftCalls.batches).toFixed(2)} (goal ≤ 1)`,
    );
  } finally {
    await Promise.all(services.map((s) => s.stop()));
    await collected.stop();
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect();
    await bus.close();
  }
}

export default { title: 'Monitor: end-to-end throughput, Redis round trips, alert latency', needsServices: true, run } satisfies BenchModule;
