// End-to-end monitor on real Kafka and Redis, against raw kafkajs consumption of the same
// topics in the same run, for two shapes of traffic: the default (50 predictions per second
// of event time: few events per 10-second bucket, the costliest shape for the services) and
// a busy model (1,000/s). Per shape:
//   A. a seeded churn scenario up to its change point (≥ 200,000 predictions + labels) is
//      published; then, timed on those topics:
//        1. raw consume (eachBatch, no work) and raw+decode (eachBatch + Codec.decode of
//           every message), of predictions+labels (the performance service's topics) and of
//           predictions (the drift service's);
//        2. the performance service alone, the drift service alone, both together: child
//           processes, each run with its own consumer groups from the beginning and its own
//           clean Redis keyspace, timed from the first commit to catch-up;
//        3. raw and raw+decode again. The baselines bracket the services: both runs are
//           printed, the ratios use their mean, and a pair more than 25 % apart is flagged
//           (the machine's load moved during the run: 2 shared cores).
//   B. both services started again (resuming), the rest of the scenario (the shifted part)
//      published live at a fixed event-time speed-up, and the data-drift and concept-drift
//      alerts timed in event time, in evaluation intervals and in wall-clock time.
// Costs: CPU µs per event of each service process (process_cpu_seconds_total of its
// /metrics) and of Redis's main thread (INFO cpu), peak RSS (VmHWM), Redis calls per batch
// (the services' driftwatch_redis_calls_total; one model, so per batch per model).
//
// Environment: BENCH_MONITOR_RATE=<n> runs only that shape (default: 50, then 1000);
// BENCH_MONITOR_SERVICES=performance times only the performance service alone between its two
// baselines (raw and raw+decode of predictions+labels), for a quicker comparison of settings;
// BENCH_MONITOR_SERVICES=drift likewise the drift service alone (baselines: predictions only);
// BENCH_MONITOR_MODELS=<n> (default 1) spreads the same events over n models (by prediction id),
// the shape where DW_PARTITIONS_CONCURRENTLY can overlap applies;
// BENCH_MONITOR_EVENTS (default 200000) is how many events the catch-up is timed over (the
// scenario is sized for it), or BENCH_MONITOR_PREDICTIONS sets the scenario's predictions
// directly (quick runs: BENCH_MONITOR_EVENTS=20000); BENCH_MONITOR_REDIS=shared uses REDIS_URL instead of
// a private redis-server (whose CPU is then the services' alone); BENCH_MONITOR_LATENCY=0
// skips part B; BENCH_CPU_PROFILE=<dir> writes a V8 CPU profile of each service process there.
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
import { consumeBaseline } from './support/consume-baseline.js';
import { BRACKET_TOLERANCE, baselineRow, mean, serviceRow, spread, type Bracket } from './support/monitor-report.js';
import { benchRedis, type BenchRedis } from './support/private-redis.js';
import { runServicesToCatchUp, type PhaseRun, type ServiceSpec } from './support/service-run.js';
import { startServiceProcess, type ServiceProcess } from './support/service-process.js';

/** Events (predictions + labels) before the change point: what the catch-up is timed over. */
const TARGET_EVENTS = Number(process.env.BENCH_MONITOR_EVENTS ?? 200_000);
const FIXED_PREDICTIONS = process.env.BENCH_MONITOR_PREDICTIONS ? Number(process.env.BENCH_MONITOR_PREDICTIONS) : undefined;
/** The change point, as a share of the predictions. */
const SHIFT_SHARE = 0.75;
/** Below this many events before the change point a run is too short to be stable. */
const STABLE_EVENTS = 200_000;
const PARTITIONS = 6;
// Of event time. At 50/s a Kafka batch holds few events per 10-second bucket, the costliest
// shape for the services (a batch's deltas fan out over many buckets, and every bucket end
// is an evaluation); 1,000/s is a busier model's shape.
const RATES = process.env.BENCH_MONITOR_RATE ? [Number(process.env.BENCH_MONITOR_RATE)] : [50, 1000];
const LATENCY = process.env.BENCH_MONITOR_LATENCY !== '0';
/** BENCH_MONITOR_SERVICES=performance or drift: only that service, alone between its baselines. */
const ONLY = (['performance', 'drift'] as const).find((name) => process.env.BENCH_MONITOR_SERVICES === name);
const MODELS = Math.max(1, Number(process.env.BENCH_MONITOR_MODELS ?? 1));

/** The model a prediction id belongs to when the events are spread over MODELS models. */
function modelOfId(model: string, id: string): string {
  if (MODELS === 1) return model;
  let hash = 0;
  for (let i = 0; i < id.length; i++) hash = (hash * 31 + id.charCodeAt(i)) >>> 0;
  return `${model}-${hash % MODELS}`;
}

/** The deliveries with each prediction and its label moved to the model of the prediction's id. */
function spreadOverModels(model: string, deliveries: Delivery[]): Delivery[] {
  if (MODELS === 1) return deliveries;
  return deliveries.map((d) =>
    d.kind === 'prediction'
      ? { kind: 'prediction', record: { ...d.record, model: modelOfId(model, d.record.id) } }
      : { kind: 'label', record: { ...d.record, model: modelOfId(model, d.record.predictionId) } },
  );
}
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

/**
 * Until the broker answers for every partition of the new topics: on a loaded broker (the
 * previous shape's topics being deleted) a publish right after creation was refused as
 * "does not host this topic-partition" past the producer's retries.
 */
async function untilServed(admin: Admin, topics: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const offsets = await Promise.all(topics.map((t) => admin.fetchTopicOffsets(t)));
      if (offsets.every((o) => o.length === PARTITIONS)) return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** End offset of every partition of the topics: what a collector started later should skip. */
async function endOffsets(admin: Admin, topics: string[]): Promise<Map<string, number>> {
  const ends = new Map<string, number>();
  for (const topic of topics) for (const p of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}|${p.partition}`, Number(p.high));
  return ends;
}

/** Alerts and snapshots published from now on (earlier service runs' are skipped by offset). */
async function collect(bus: KafkaBus, admin: Admin, codec: Codec, topics: TopicNames) {
  const alerts: Received<Alert>[] = [];
  const snapshots: MetricsSnapshot[] = [];
  const since = await endOffsets(admin, [topics.alerts, topics.metrics]);
  const fresh = (topic: string, partition: number, offset: number) => offset >= (since.get(`${topic}|${partition}`) ?? 0);
  const subscriptions = [
    await bus.subscribe({
      groupId: `bench-alerts-${randomUUID()}`,
      topics: [topics.alerts],
      handler: async (batch) => {
        const at = performance.now();
        for (const m of batch.messages) {
          if (fresh(batch.topic, batch.partition, m.offset)) alerts.push({ at, alert: codec.decode('alert', m.value, m.headers) });
        }
      },
    }),
    await bus.subscribe({
      groupId: `bench-metrics-${randomUUID()}`,
      topics: [topics.metrics],
      handler: async (batch) => {
        for (const m of batch.messages) {
          if (fresh(batch.topic, batch.partition, m.offset)) snapshots.push(codec.decode('metricsSnapshot', m.value, m.headers));
        }
      },
    }),
  ];
  return { alerts, snapshots, stop: () => Promise.all(subscriptions.map((s) => s.stop())) };
}

async function untilAlerts(alerts: Received<Alert>[], timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (firstFiring(alerts, 'DATA_DRIFT', SHIFTED_FEATURE) && firstFiring(alerts, 'CONCEPT_DRIFT')) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The scenario, sized so that TARGET_EVENTS events come before its change point: labels come
 * 5–60 s of event time after their prediction, so at 1,000/s a smaller share of them is
 * published before the change point than at 50/s.
 */
function sizedScenario(model: string, eventsPerSecond: number): { changePoint: number; before: Delivery[]; after: Delivery[] } {
  let count = FIXED_PREDICTIONS ?? Math.ceil(TARGET_EVENTS / SHIFT_SHARE / 2);
  for (let attempt = 0; ; attempt++) {
    const scenario = generateScenario({ model, seed: 11, count, eventsPerSecond, shiftAt: Math.floor(count * SHIFT_SHARE) });
    const changePoint = scenario.changePointTime!;
    const firstShifted = scenario.deliveries.findIndex((d) => d.kind === 'prediction' && Number(d.record.time) === changePoint);
    const before = scenario.deliveries.slice(0, firstShifted);
    if (FIXED_PREDICTIONS !== undefined || before.length >= TARGET_EVENTS || attempt === 3) {
      return { changePoint, before, after: scenario.deliveries.slice(firstShifted) };
    }
    count = Math.ceil((count * TARGET_EVENTS * 1.01) / before.length);
  }
}

interface Infra {
  brokers: string;
  bus: KafkaBus;
  kafka: Kafka;
  admin: Admin;
  codec: Codec;
  redis: BenchRedis;
}

interface ShapeSummary {
  rate: number;
  perf: number;
  drift: number;
  perfBoth: number;
  driftBoth: number;
  applyPerBatch: string;
  flagged: string[];
}

async function runShape(eventsPerSecond: number, infra: Infra): Promise<ShapeSummary> {
  const { bus, kafka, admin, codec, redis } = infra;
  const runId = randomUUID().slice(0, 8);
  const prefix = `bench-monitor-${runId}.`;
  const model = `bench-monitor-${runId}`;
  const topics = topicNames(prefix);
  await bus.ensureTopics(topicSpecs(topics, PARTITIONS));
  await untilServed(admin, [topics.predictions, topics.labels]);
  const client = new DriftwatchClient({ bus, topics, codec });
  console.log(`\n### Shape: ${eventsPerSecond} predictions/s of event time (topics ${prefix}*)`);

  const sized = sizedScenario(model, eventsPerSecond);
  const { changePoint } = sized;
  const before = spreadOverModels(model, sized.before);
  const after = spreadOverModels(model, sized.after);
  if (MODELS > 1) console.log(`events spread over ${MODELS} models (BENCH_MONITOR_MODELS)`);
  const predictionsBefore = before.filter((d) => d.kind === 'prediction').length;
  if (before.length < STABLE_EVENTS) console.log(`note: ${before.length} events before the change point, fewer than ${STABLE_EVENTS}: a short, less stable run`);

  // A. Catch-up over the unshifted part.
  const publishStart = performance.now();
  await publish(client, before);
  console.log(`published ${before.length} events (${predictionsBefore} predictions) in ${((performance.now() - publishStart) / 1000).toFixed(1)} s`);

  const both = [topics.predictions, topics.labels];
  const decodeAs = { [topics.predictions]: 'prediction', [topics.labels]: 'label' } as const;
  const baselines = async () => ({
    rawBoth: await consumeBaseline(kafka, both, before.length),
    decodeBoth: await consumeBaseline(kafka, both, before.length, decodeAs),
    rawPredictions: await consumeBaseline(kafka, [topics.predictions], predictionsBefore),
    decodePredictions: await consumeBaseline(kafka, [topics.predictions], predictionsBefore, decodeAs),
  });

  const modelSettings = { task: 'binary', positiveLabel: 'yes', bucketMs: BUCKET_MS, allowedLatenessMs: ALLOWED_LATENESS_MS };
  const modelNames = MODELS === 1 ? [model] : Array.from({ length: MODELS }, (_, k) => `${model}-${k}`);
  const monitoring = { models: Object.fromEntries(modelNames.map((name) => [name, modelSettings])) };
  const serviceEnv = {
    KAFKA_BROKERS: infra.brokers,
    DW_TOPIC_PREFIX: prefix,
    DW_TOPIC_PARTITIONS: String(PARTITIONS),
    DW_MONITORING_CONFIG_JSON: JSON.stringify(monitoring),
  };
  const cpuProfileDir = process.env.BENCH_CPU_PROFILE;
  const spec = (name: 'performance' | 'drift', run: string): ServiceSpec =>
    name === 'performance'
      ? { name, groupId: `bench-perf-${runId}-${run}`, topics: both, applyScript: 'apply-perf-deltas' }
      : { name, groupId: `bench-drift-${runId}-${run}`, topics: [topics.predictions], applyScript: 'apply-drift-batch' };
  const phase = (specs: ServiceSpec[], redisIndex: number, keepRunning = false) =>
    runServicesToCatchUp({ specs, env: serviceEnv, admin, redis, redisIndex, keepRunning, ...(cpuProfileDir ? { cpuProfileDir } : {}) });

  if (ONLY !== undefined) {
    const consumed = ONLY === 'performance' ? { topics: both, events: before.length } : { topics: [topics.predictions], events: predictionsBefore };
    try {
      return await serviceOnly(ONLY, eventsPerSecond, before.length, predictionsBefore, () => phase([spec(ONLY, 'alone')], 0), {
        raw: () => consumeBaseline(kafka, consumed.topics, consumed.events),
        decode: () => consumeBaseline(kafka, consumed.topics, consumed.events, decodeAs),
      }, redis.describe);
    } finally {
      await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    }
  }
  const first = await baselines();

  const perfAlone = await phase([spec('performance', 'alone')], 0);
  const driftAlone = await phase([spec('drift', 'alone')], 1);
  const collected = await collect(bus, admin, codec, topics);
  let running: ServiceProcess[] = [];
  try {
    const together: PhaseRun = await phase([spec('performance', 'both'), spec('drift', 'both')], 2);
    const second = await baselines();

    const brackets = {
      rawBoth: { before: first.rawBoth, after: second.rawBoth },
      decodeBoth: { before: first.decodeBoth, after: second.decodeBoth },
      rawPredictions: { before: first.rawPredictions, after: second.rawPredictions },
      decodePredictions: { before: first.decodePredictions, after: second.decodePredictions },
    } satisfies Record<string, Bracket>;
    const refBoth = mean(brackets.decodeBoth);
    const refPredictions = mean(brackets.decodePredictions);
    const [perfBoth, driftBoth] = together.services as [PhaseRun['services'][0], PhaseRun['services'][0]];
    const perf = perfAlone.services[0]!;
    const drift = driftAlone.services[0]!;
    const redisUs = (run: PhaseRun) => run.redisCpuUsPerEvent.toFixed(1);
    printTable(
      `Monitor throughput, ${eventsPerSecond} predictions/s of event time: catch-up over the ${before.length} events before the change point (${predictionsBefore} predictions), ${PARTITIONS} partitions. ` +
        `Baselines: run before / after the services → mean (⚠: > ${BRACKET_TOLERANCE * 100} % apart); CPU µs/event of this process. Services: child processes; CPU µs/event of the service process; Redis: ${redis.describe}`,
      [
        baselineRow('kafkajs raw, predictions+labels', brackets.rawBoth, refBoth),
        baselineRow('kafkajs raw+decode, predictions+labels', brackets.decodeBoth, refBoth),
        serviceRow('performance service alone', perf, refBoth, redisUs(perfAlone)),
        serviceRow('performance service, both running', perfBoth, refBoth, `${redisUs(together)} (both)`),
        baselineRow('kafkajs raw, predictions', brackets.rawPredictions, refPredictions),
        baselineRow('kafkajs raw+decode, predictions', brackets.decodePredictions, refPredictions),
        serviceRow('drift service alone', drift, refPredictions, redisUs(driftAlone)),
        serviceRow('drift service, both running', driftBoth, refPredictions, `${redisUs(together)} (both)`),
      ],
    );
    printTable('Redis per batch (one model, so per batch per model)', [
      ...[
        ['performance alone', perf, perfAlone],
        ['drift alone', drift, driftAlone],
      ].map(([what, run, ph]) => {
        const r = run as typeof perf;
        const p = ph as PhaseRun;
        return { run: what as string, batches: r.batches, 'apply calls/batch': r.applyPerBatch.toFixed(2), 'all calls/batch': r.callsPerBatch.toFixed(2), 'other calls/batch': r.otherCalls, 'Redis script calls/batch (Redis side)': redis.private ? p.redisScriptCallsPerBatch.toFixed(2) : 'n/a (shared)' };
      }),
      { run: 'both (performance)', batches: perfBoth.batches, 'apply calls/batch': perfBoth.applyPerBatch.toFixed(2), 'all calls/batch': perfBoth.callsPerBatch.toFixed(2), 'other calls/batch': perfBoth.otherCalls, 'Redis script calls/batch (Redis side)': '' },
      { run: 'both (drift)', batches: driftBoth.batches, 'apply calls/batch': driftBoth.applyPerBatch.toFixed(2), 'all calls/batch': driftBoth.callsPerBatch.toFixed(2), 'other calls/batch': driftBoth.otherCalls, 'Redis script calls/batch (Redis side)': redis.private ? together.redisScriptCallsPerBatch.toFixed(2) : 'n/a (shared)' },
    ]);
    const flagged = Object.entries(brackets)
      .filter(([, b]) => spread(b) > BRACKET_TOLERANCE)
      .map(([name, b]) => `${name} ${formatRate(b.before.rate)} vs ${formatRate(b.after.rate)}`);
    if (flagged.length > 0) console.log(`⚠ baselines moved more than ${BRACKET_TOLERANCE * 100} % between the bracketing runs (${flagged.join('; ')}): the machine's load changed; ratios use the mean`);

    if (LATENCY) {
      // B. The shift, published live while both services (restarted, resuming from Redis) run:
      // event time runs LIVE_SPEEDUP× faster than the wall clock.
      running = await Promise.all(
        (['performance', 'drift'] as const).map((name) =>
          startServiceProcess(name, { env: { ...serviceEnv, REDIS_URL: together.redisUrl }, groupId: spec(name, 'both').groupId }),
        ),
      );
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
    }
    return {
      rate: eventsPerSecond,
      perf: perf.rate / refBoth,
      drift: drift.rate / refPredictions,
      perfBoth: perfBoth.rate / refBoth,
      driftBoth: driftBoth.rate / refPredictions,
      applyPerBatch: `${perf.applyPerBatch.toFixed(2)} / ${drift.applyPerBatch.toFixed(2)}`,
      flagged,
    };
  } finally {
    await Promise.all(running.map((s) => s.stop()));
    await collected.stop();
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
  }
}

/**
 * BENCH_MONITOR_SERVICES=performance|drift: that service alone between its baselines (the
 * topics it reads: predictions+labels for the performance service, predictions for drift).
 */
async function serviceOnly(
  name: 'performance' | 'drift',
  eventsPerSecond: number,
  events: number,
  predictions: number,
  servicePhase: () => Promise<PhaseRun>,
  consume: { raw: () => ReturnType<typeof consumeBaseline>; decode: () => ReturnType<typeof consumeBaseline> },
  redisDescribe: string,
): Promise<ShapeSummary> {
  const first = { raw: await consume.raw(), decode: await consume.decode() };
  const alone = await servicePhase();
  const second = { raw: await consume.raw(), decode: await consume.decode() };
  const raw: Bracket = { before: first.raw, after: second.raw };
  const decode: Bracket = { before: first.decode, after: second.decode };
  const reference = mean(decode);
  const service = alone.services[0]!;
  const read = name === 'performance' ? 'predictions+labels' : 'predictions';
  printTable(
    `${name === 'performance' ? 'Performance' : 'Drift'} service alone (BENCH_MONITOR_SERVICES=${name}, DW_PARTITIONS_CONCURRENTLY=${process.env.DW_PARTITIONS_CONCURRENTLY ?? 'default'}), ${eventsPerSecond} predictions/s of event time: ` +
      `catch-up over ${events} events (${predictions} predictions), ${PARTITIONS} partitions; Redis: ${redisDescribe}`,
    [
      baselineRow(`kafkajs raw, ${read}`, raw, reference),
      baselineRow(`kafkajs raw+decode, ${read}`, decode, reference),
      serviceRow(`${name} service alone`, service, reference, alone.redisCpuUsPerEvent.toFixed(1)),
    ],
  );
  console.log(`${name} service: ${service.batches} batches; calls per batch other than the apply: ${service.otherCalls}`);
  const flagged = Object.entries({ raw, decode })
    .filter(([, b]) => spread(b) > BRACKET_TOLERANCE)
    .map(([label, b]) => `${label} ${formatRate(b.before.rate)} vs ${formatRate(b.after.rate)}`);
  const ratioOf = service.rate / reference;
  return {
    rate: eventsPerSecond,
    perf: name === 'performance' ? ratioOf : NaN,
    drift: name === 'drift' ? ratioOf : NaN,
    perfBoth: NaN,
    driftBoth: NaN,
    applyPerBatch: name === 'performance' ? `${service.applyPerBatch.toFixed(2)} / -` : `- / ${service.applyPerBatch.toFixed(2)}`,
    flagged,
  };
}

async function run(): Promise<void> {
  const brokers = env('KAFKA_BROKERS', '127.0.0.1:9092');
  const logger = createLogger('bench', { level: 'warn' });
  const kafka = new Kafka({ clientId: 'bench', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin: Admin = kafka.admin();
  await admin.connect();
  const redis = await benchRedis(env('REDIS_URL', 'redis://127.0.0.1:6379'));
  const summaries: ShapeSummary[] = [];
  try {
    console.log(`Redis: ${redis.describe}. Absolute rates move with the other work on this shared 2-core machine; the ratios compare runs of the same minutes.`);
    for (const rate of RATES) {
      // A bus per shape: kafkajs keeps asking for the metadata of every topic its producer wrote
      // to, and once the previous shape's topics are deleted that request fails as a whole
      // ("does not host this topic-partition"), so every publish to the next shape's topics did.
      const bus = await KafkaBus.connect({ brokers: brokers.split(','), logger });
      try {
        summaries.push(await runShape(rate, { brokers, bus, kafka, admin, codec: new Codec(), redis }));
      } finally {
        await bus.close();
      }
    }
  } finally {
    await redis.stop();
    await admin.disconnect();
  }
  printTable(
    'Monitor against raw+decode consume of the same topics (goal ≥ 0.5×, aim 0.8×; ≤ 1 apply call per batch per model)',
    summaries.map((s) => ({
      shape: `${s.rate}/s`,
      'performance alone': ratio(s.perf),
      'drift alone': ratio(s.drift),
      'performance, both running': ratio(s.perfBoth),
      'drift, both running': ratio(s.driftBoth),
      'apply calls/batch perf / drift': s.applyPerBatch,
      'baselines moved > 25 %': s.flagged.length > 0 ? s.flagged.join('; ') : 'no',
    })),
  );
}

/** A ratio, or why there is none (not run with BENCH_MONITOR_SERVICES). */
const ratio = (value: number): string => (Number.isNaN(value) ? 'not run' : `${value.toFixed(2)}×`);

export default { title: 'Monitor: end-to-end throughput against raw consume, costs, Redis round trips, alert latency', needsServices: true, run } satisfies BenchModule;
