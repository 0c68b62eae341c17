// Issue 7's end-to-end test: the whole retraining loop on the real Kafka and Redis, every
// service in this process (performance, drift, retrainer), an upstream app simulated in real
// time (event time = wall clock) that scores through a ModelWatcher.
//
// 1. Recovery: v1 learned hyperplane concept A; the stream switches abruptly to concept B;
//    the accuracy alert fires; the retrainer trains v2 on the log and promotes it; the watcher
//    swaps it in while the simulator keeps predicting; v2's live accuracy is back near v1's
//    pre-drift accuracy and the incident record says so (RECOVERED).
// 2. Noise labels: at the switch the labels become coin flips while the features stay A. The
//    accuracy alert fires the same way, but no model can beat the champion on noise: the
//    challenger is REJECTED and v1 keeps serving.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import type { Subscription } from '../../shared/bus/types.js';
import { Codec, type Alert, type Incident, type MetricsSnapshot, type ModelEvent } from '../../shared/codec/index.js';
import { parseMonitoringConfig, resolveModelConfig, type RetrainSettingsInput } from '../../shared/config/monitoring-config.js';
import { loadRuntimeConfig } from '../../shared/config/runtime-config.js';
import { LocalModelStore } from '../../shared/models/local-model-store.js';
import { startRetrainerService, type RetrainerHandle } from '../../shared/pipeline/retrainer-service.js';
import { startDriftService, startPerformanceService } from '../../shared/pipeline/services.js';
import { bootstrapModel } from '../../shared/retrain/bootstrap.js';
import type { ServiceHandle } from '../../shared/runtime/run-service.js';
import { DriftwatchClient } from '../../shared/sdk/index.js';
import { ModelWatcher } from '../../shared/sdk/models/index.js';
import { driftingStream } from '../../shared/sim/concepts/drift.js';
import { LiveSimulation, watcherScorer, type LiveProgress, type LiveSimulationResult } from '../../shared/sim/live-simulation.js';
import { labelledSample } from '../../shared/sim/simulation.js';
import { topicNames, topicSpecs, type TopicNames } from '../../shared/topics.js';
import { kafkaBrokerList, kafkaBrokers, redisUrl, uniqueName } from '../setup/env.js';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const codec = new Codec();
const fastConsumer = { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 300, rebalanceTimeoutMs: 10_000, maxWaitTimeMs: 100 };

const RATE = 250; // predictions per second of wall (= event) time
const PRE_DRIFT_MS = 15_000;
const SWITCH_INDEX = (RATE * PRE_DRIFT_MS) / 1000;
const CONCEPT_A = { kind: 'hyperplane', variant: 0, seed: 1 } as const;
const CONCEPT_B = { kind: 'hyperplane', variant: 1, seed: 1 } as const;
// Hyperplane variants 0 and 1 (seed 1) agree on ~69 % of the cube: v1 drops from ~0.98 to
// ~0.69 on concept B, and to ~0.5 on noise labels. Both are far below the critical level.
const ACCURACY_RULE = { metric: 'accuracy', comparison: 'below', warning: 0.9, critical: 0.85, minCount: 300, for: 1 } as const;

/**
 * The noise scenario's margin. On the test split the labels are independent fair coin flips,
 * independent of both models (the challenger learned other flips). Champion and challenger
 * only differ on the D test examples where their predictions differ, and on each of those
 * exactly one of them is right with probability ½, so challenger − champion = (2K − D)/n with
 * K ~ Binomial(D, ½), whatever the challenger learned. Its standard deviation is √D/n ≤ 1/√n.
 * With n ≥ 400 test examples (asserted below) that is ≤ 0.05, so a margin of 0.25 is ≥ 5
 * standard deviations even if the two disagreed on every example: P(chance win) < 3·10⁻⁷
 * (Hoeffding: exp(−m²n/2) < 4·10⁻⁶). A 0.05 margin would be one standard deviation in that
 * worst case. The real gap to beat is ~0, so a large margin changes nothing else.
 */
const NOISE_MARGIN = 0.25;
const MIN_NOISE_TEST_SIZE = 400;

interface Scenario {
  name: string;
  noise: boolean;
  retrain: RetrainSettingsInput;
  /** Resolves when the scenario has seen what it waits for; gets the run's live state. */
  waitFor(run: Run): Promise<void>;
}

interface Run {
  model: string;
  topics: TopicNames;
  storeDir: string;
  store: LocalModelStore;
  retrainer: RetrainerHandle;
  watcher: ModelWatcher;
  sim: LiveSimulation;
  startTime: number;
  switchTime: number;
  alerts: Alert[];
  snapshots: MetricsSnapshot[];
  incidentsOnTopic: Incident[];
  swaps: { from: string | undefined; to: string; atPrediction: number }[];
  simResult?: LiveSimulationResult;
  simError?: unknown;
  timings: Record<string, number>;
}

let bus: KafkaBus;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  bus = await KafkaBus.connect({ brokers: kafkaBrokerList(), logger, clientId: 'retrain-loop-e2e', consumer: fastConsumer });
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await Promise.resolve(cleanup()).catch(() => {});
  await bus?.close();
});

async function until<T>(what: string, read: () => T | Promise<T>, done: (value: T) => boolean, timeoutMs: number, run?: Run): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (run?.simError !== undefined) throw new Error(`the simulation stopped while waiting for ${what}: ${String(run.simError)}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value ${JSON.stringify(value)?.slice(0, 3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function modelEvents(topics: TopicNames, model: string): Promise<ModelEvent[]> {
  const events: ModelEvent[] = [];
  await bus.readFrom(topics.models, 0, (messages) => {
    for (const m of messages) {
      const event = codec.decode('model', m.value, m.headers);
      if (event.model === model) events.push(event);
    }
  });
  return events;
}

async function follow<T>(topic: string, type: 'alert' | 'metricsSnapshot' | 'incident', into: T[]): Promise<Subscription> {
  const subscription = await bus.subscribe({
    groupId: uniqueName('retrain-loop-follow'),
    topics: [topic],
    fromBeginning: true,
    handler: async (batch) => {
      for (const m of batch.messages) into.push(codec.decode(type, m.value, m.headers) as T);
    },
  });
  cleanups.push(() => subscription.stop());
  return subscription;
}

/** v1: concept A, through the bootstrap (`driftwatch train`): stored, then published PROMOTED. */
async function bootstrap(store: LocalModelStore, topics: TopicNames, model: string, policy: ReturnType<typeof resolveModelConfig>['retrain']): Promise<number> {
  const examples = labelledSample(driftingStream({ before: CONCEPT_A, after: CONCEPT_A, at: 0, seed: 101 }), 3_000, {
    startTime: Date.now() - 3_600_000,
    rate: 10,
  });
  const result = await bootstrapModel({
    bus,
    codec,
    topics,
    store,
    model,
    examples,
    // One grid point and no variants: v1 only has to be good on concept A, and fast to make.
    policy: { ...policy, grid: { learningRate: [0.01], epochs: [20], l2: [0] }, quantize: [] },
    logger,
  });
  expect(result.event.status).toBe('PROMOTED');
  expect(result.event.version).toBe('1');
  return result.outcome.challengerMetrics.accuracy!;
}

async function runScenario(scenario: Scenario): Promise<Run> {
  const t0 = Date.now();
  const prefix = `${uniqueName(`rl-${scenario.name}`)}.`;
  const topics = topicNames(prefix);
  const model = uniqueName(`hp-${scenario.name}`);
  await bus.ensureTopics(topicSpecs(topics, 1));
  const storeDir = mkdtempSync(join(tmpdir(), 'dw-retrain-loop-'));
  cleanups.push(() => rmSync(storeDir, { recursive: true, force: true }));
  const store = new LocalModelStore(storeDir);

  const monitoring = parseMonitoringConfig({
    models: {
      [model]: {
        task: 'binary',
        positiveLabel: '1',
        bucketMs: '1s',
        horizons: ['10s', '30s'],
        evaluationHorizon: '10s',
        // Labels come 0.5-2 s late: evaluate a window once they can have arrived.
        allowedLatenessMs: '1s',
        evaluationDelayMs: '2s',
        labelHorizonMs: '1m',
        defaultAlerts: false,
        alerts: [ACCURACY_RULE],
        retrain: {
          // One CRITICAL transition per episode: exactly one retrain, whatever else fires.
          triggers: [{ kind: 'PERFORMANCE', metric: 'accuracy', minSeverity: 'CRITICAL' }],
          debounce: '3s',
          minExamples: 500,
          verifyAfter: 300,
          window: '5m',
          ...scenario.retrain,
        },
      },
    },
  });
  const policy = resolveModelConfig(monitoring, model).retrain;
  const config = {
    ...loadRuntimeConfig({ KAFKA_BROKERS: kafkaBrokers(), REDIS_URL: redisUrl(), DW_TOPIC_PREFIX: prefix, DW_TOPIC_PARTITIONS: '1', LOG_LEVEL: 'warn' }),
    mode: 'distributed' as const,
  };
  const timings: Record<string, number> = {};

  const bootAccuracy = await bootstrap(store, topics, model, policy);
  timings.bootstrapMs = Date.now() - t0;
  expect(bootAccuracy, 'v1 learned concept A').toBeGreaterThan(0.95);

  const services: ServiceHandle[] = [];
  cleanups.push(async () => {
    for (const s of services.splice(0).reverse()) await s.stop();
  });
  services.push(await startPerformanceService({ config, monitoring, http: false, logger, kafkaConsumer: fastConsumer }));
  services.push(await startDriftService({ config, monitoring, http: false, logger, kafkaConsumer: fastConsumer }));
  const retrainer = await startRetrainerService({
    config,
    monitoring,
    models: store,
    tickMs: 200,
    http: { port: 0, host: '127.0.0.1' },
    logger,
    kafkaConsumer: fastConsumer,
  });
  services.push(retrainer);

  const alerts: Alert[] = [];
  const snapshots: MetricsSnapshot[] = [];
  const incidentsOnTopic: Incident[] = [];
  await follow(topics.alerts, 'alert', alerts);
  await follow(topics.metrics, 'metricsSnapshot', snapshots);
  await follow(topics.incidents, 'incident', incidentsOnTopic);

  // Swaps from the first load on, counted by prediction once the simulation exists.
  const swaps: Run['swaps'] = [];
  let predictionsSoFar = (): number => 0;
  const watcher = await ModelWatcher.start({
    bus, store, model, topics, codec, logger, readyTimeoutMs: 30_000,
    onSwap: (from, to) => swaps.push({ from, to, atPrediction: predictionsSoFar() }),
  });
  cleanups.push(() => watcher.close());
  await watcher.ready();
  expect(watcher.version()).toBe('1');
  timings.servicesReadyMs = Date.now() - t0;

  const abort = new AbortController();
  const startTime = Date.now();
  const sim = new LiveSimulation({
    stream: driftingStream({
      before: CONCEPT_A,
      after: scenario.noise ? CONCEPT_A : CONCEPT_B,
      at: SWITCH_INDEX,
      seed: 202,
      ...(scenario.noise ? { noiseLabels: { share: 1, from: SWITCH_INDEX } } : {}),
    }),
    scorer: watcherScorer(watcher),
    model,
    startTime,
    rate: RATE,
    labelDelay: { minMs: 500, maxMs: 2_000 },
    seed: 303,
    tickMs: 100,
    client: new DriftwatchClient({ bus, topics, codec }),
    signal: abort.signal,
    logger,
  });
  const run: Run = {
    model, topics, storeDir, store, retrainer, watcher, sim, startTime,
    switchTime: startTime + Math.floor((SWITCH_INDEX * 1000) / RATE),
    alerts, snapshots, incidentsOnTopic, swaps, timings,
  };
  predictionsSoFar = () => sim.progress().predictions;
  const running = sim.run().then(
    (result) => void (run.simResult = result),
    (error: unknown) => void (run.simError = error),
  );
  cleanups.push(async () => {
    abort.abort();
    await running;
  });

  try {
    await scenario.waitFor(run);
  } finally {
    abort.abort();
    await running;
    timings.totalMs = Date.now() - t0;
  }
  return run;
}

const firingAccuracy = (run: Run) =>
  run.alerts.filter((a) => a.kind === 'PERFORMANCE' && a.metric === 'accuracy' && a.status === 'FIRING' && a.modelVersion === '1');

async function latestIncident(run: Run): Promise<Incident | null> {
  return (await run.retrainer.incidents.list(run.model, 5))[0] ?? null;
}

function progressOf(run: Run): LiveProgress {
  return run.simResult ?? run.sim.progress();
}

/** v1's 10 s accuracy on the last window that ends before the switch, from the metrics topic. */
function preDriftAccuracy(run: Run): MetricsSnapshot {
  const before = run.snapshots
    .filter((s) => s.modelVersion === '1' && s.horizon === '10s' && s.window.end <= run.switchTime && s.window.start >= run.startTime)
    .sort((a, b) => a.window.end - b.window.end);
  const last = before.at(-1);
  if (!last) throw new Error('no pre-drift snapshot of v1');
  return last;
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

describe('the retraining loop on Kafka and Redis, end to end', () => {
  it('recovers from an abrupt concept drift: alert → retrain → PROMOTED v2 → hot swap → RECOVERED', async () => {
    const run = await runScenario({
      name: 'recover',
      noise: false,
      retrain: { margin: 0.05 },
      async waitFor(run) {
        const decided = await until(
          'the retrain to decide',
          () => latestIncident(run),
          (i) => i !== null && ['PROMOTED', 'REJECTED', 'FAILED', 'RECOVERED', 'NOT_RECOVERED'].includes(i.status),
          90_000,
          run,
        );
        run.timings.decidedMs = Date.now() - run.startTime;
        expect(decided!.status, `${decided!.reason}`).not.toMatch(/REJECTED|FAILED/);
        await until('the watcher to serve v2', () => run.watcher.version(), (v) => v === '2', 30_000, run);
        await until('300 labelled predictions of v2', () => progressOf(run).perVersion['2']?.labels ?? 0, (n) => n >= 300, 30_000, run);
        await until('the verification', () => latestIncident(run), (i) => i?.verification?.status !== 'PENDING', 30_000, run);
        run.timings.verifiedMs = Date.now() - run.startTime;
        await until('the final incident on the incidents topic', () => run.incidentsOnTopic.at(-1)?.status, (s) => s === 'RECOVERED' || s === 'NOT_RECOVERED', 15_000);
      },
    });
    const { model, topics } = run;
    const progress = progressOf(run);
    const policy = resolveModelConfig(parseMonitoringConfig({}), model).retrain;

    // The simulator never failed a predict call and served v1, then v2, nothing else.
    expect(run.simError).toBeUndefined();
    expect(run.simResult?.stoppedBy).toBe('aborted');
    expect(run.watcher.failures).toBe(0);
    expect(Object.keys(progress.perVersion).sort()).toEqual(['1', '2']);
    expect(run.swaps.map((s) => `${s.from}->${s.to}`)).toEqual(['undefined->1', '1->2']);

    // The alert fired on v1 after the switch.
    const firing = firingAccuracy(run);
    expect(firing.length).toBeGreaterThan(0);
    expect(firing[0]!.window.end).toBeGreaterThan(run.switchTime);
    expect(firing.some((a) => a.severity === 'CRITICAL')).toBe(true);

    // Model events: bootstrap PROMOTED v1, then CANDIDATE and PROMOTED v2 with the lock's token.
    const incident = (await latestIncident(run))!;
    const events = await modelEvents(topics, model);
    expect(events.map((e) => `${e.status}:${e.version}`)).toEqual(['PROMOTED:1', 'CANDIDATE:2', 'PROMOTED:2']);
    const [candidate, promoted] = [events[1]!, events[2]!];
    expect(promoted.fencingToken).toEqual(expect.any(Number));
    expect(promoted.fencingToken).toBeGreaterThan(0);
    expect(candidate.fencingToken).toBe(promoted.fencingToken);
    expect(promoted.incidentId).toBe(incident.id);
    expect(promoted.parentVersion).toBe('1');
    expect(promoted.trigger.kind).toBe('ALERT');
    expect(firing.map((a) => a.id)).toContain(promoted.trigger.alertId);

    // The store holds v2: manifest, files with sha256 that match the bytes on disk.
    expect(await run.store.versions(model)).toEqual(['1', '2']);
    const manifest = await run.store.manifest(model, '2');
    expect(manifest.parentVersion).toBe('1');
    for (const file of ['model.json', 'weights.bin', 'variants/float16/weights.bin', 'variants/uint8/weights.bin'].filter((f) => f in manifest.files)) {
      expect(manifest.files[file]!.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(sha256(join(run.storeDir, model, '2', file)), file).toBe(manifest.files[file]!.sha256);
    }
    expect(Object.keys(manifest.files)).toEqual(expect.arrayContaining(['model.json', 'weights.bin']));

    // v2's windowed accuracy is back within 5 points of v1's before the drift.
    const before = preDriftAccuracy(run).metrics.accuracy!;
    expect(before).toBeGreaterThan(0.9);
    const v2 = progress.perVersion['2']!;
    const v2Live = v2.correct / v2.labels;
    const v2Snapshot = run.snapshots
      .filter((s) => s.modelVersion === '2' && s.horizon === '30s')
      .sort((a, b) => (b.metrics.count ?? 0) - (a.metrics.count ?? 0))[0];
    expect(v2Snapshot, 'a metrics snapshot of v2').toBeDefined();
    expect(v2Snapshot!.metrics.count ?? 0).toBeGreaterThanOrEqual(300);
    expect(v2Snapshot!.metrics.accuracy!, `v2 snapshot accuracy vs pre-drift ${before}`).toBeGreaterThanOrEqual(before - 0.05);
    expect(v2Live, `v2 live accuracy (${v2.labels} labels) vs pre-drift ${before}`).toBeGreaterThanOrEqual(before - 0.05);

    // The incident record, complete.
    expect(incident.model).toBe(model);
    expect(incident.championVersion).toBe('1');
    expect(incident.challengerVersion).toBe('2');
    expect(incident.triggers.length).toBeGreaterThan(0);
    for (const t of incident.triggers) {
      expect(t.kind).toBe('PERFORMANCE');
      expect(firing.map((a) => a.id)).toContain(t.alertId);
    }
    const d = incident.diagnosis!;
    expect(d).not.toBeNull();
    // The change point of v1's error rate, not the alert window's start (seconds earlier).
    expect(Math.abs(d.driftStart! - run.switchTime)).toBeLessThan(1_000);
    expect(d.metricBefore!).toBeGreaterThan(0.9);
    expect(d.metricDuring!).toBeLessThan(0.85);
    expect(d.perClass.map((c) => c.label).sort()).toEqual(['0', '1']);
    for (const c of d.perClass) {
      expect(c.supportBefore).toBeGreaterThan(0);
      expect(c.supportDuring).toBeGreaterThan(0);
      expect(c.recallBefore).toEqual(expect.any(Number));
      expect(c.recallDuring).toEqual(expect.any(Number));
    }
    const data = incident.data!;
    expect(data.predictions).toBeGreaterThan(0);
    expect(data.labels).toBeGreaterThan(0);
    expect(data.joined).toBeGreaterThanOrEqual(policy.minExamples);
    expect(data.from).toBeLessThan(data.to);
    for (const part of [data.train, data.validation, data.test]) {
      expect(part.size).toBeGreaterThan(0);
      expect(part.from!).toBeLessThanOrEqual(part.to!);
    }
    expect(data.train.to!).toBeLessThanOrEqual(data.validation.from!);
    expect(data.validation.to!).toBeLessThanOrEqual(data.test.from!);
    expect(data.test.from!).toBeGreaterThanOrEqual(run.switchTime); // the test split is all concept B
    expect(incident.search).toHaveLength(policy.grid.learningRate.length * policy.grid.epochs.length * policy.grid.l2.length);
    expect(incident.metric).toBe('accuracy');
    expect(incident.challengerMetrics.accuracy!).toBeGreaterThanOrEqual(incident.championMetrics.accuracy! + 0.05);
    expect(incident.decision).toBe('PROMOTED');
    expect(incident.variants.map((v) => v.precision)).toEqual(policy.quantize);
    expect(incident.status).toBe('RECOVERED');
    const v = incident.verification!;
    expect(v.status).toBe('RECOVERED');
    expect(v.baseline).toBe(d.metricBefore);
    expect(v.labelled).toBeGreaterThanOrEqual(300);
    expect(v.observed!).toBeGreaterThanOrEqual(v.baseline! - v.tolerance);

    // The same record over HTTP and on the incidents topic.
    const response = await fetch(`http://127.0.0.1:${run.retrainer.port}/incidents`);
    expect(response.status).toBe(200);
    const listed = (await response.json()) as Incident[];
    expect(listed.find((i) => i.id === incident.id)).toEqual(incident);
    const onTopic = run.incidentsOnTopic.filter((i) => i.id === incident.id);
    expect(onTopic.map((i) => i.status)).toEqual(expect.arrayContaining(['TRAINING', 'PROMOTED', 'RECOVERED']));
    expect(onTopic.at(-1)).toEqual(incident);

    console.log(`[retrain-loop] recover: ${JSON.stringify({ ...run.timings, before, v2Live, v2Snapshot: v2Snapshot!.metrics.accuracy, champion: incident.championMetrics.accuracy, challenger: incident.challengerMetrics.accuracy, data: { train: data.train.size, validation: data.validation.size, test: data.test.size }, driftStartVsSwitch: d.driftStart! - run.switchTime })}`);
  }, 150_000);

  it('rejects a challenger trained on noise labels; the champion keeps serving', async () => {
    let rejectedAt = 0;
    const run = await runScenario({
      name: 'noise',
      noise: true,
      retrain: { margin: NOISE_MARGIN },
      async waitFor(run) {
        const decided = await until(
          'the retrain to decide',
          () => latestIncident(run),
          (i) => i !== null && ['PROMOTED', 'REJECTED', 'FAILED', 'RECOVERED', 'NOT_RECOVERED'].includes(i.status),
          90_000,
          run,
        );
        run.timings.decidedMs = Date.now() - run.startTime;
        expect(decided!.status).toBe('REJECTED');
        // Let the watcher see the REJECTED event and the simulator keep predicting a while.
        rejectedAt = progressOf(run).predictions;
        await until('500 more predictions after the decision', () => progressOf(run).predictions, (n) => n >= rejectedAt + 500, 30_000, run);
      },
    });
    const { model, topics } = run;
    const progress = progressOf(run);

    expect(run.simError).toBeUndefined();
    expect(run.watcher.failures).toBe(0);
    expect(Object.keys(progress.perVersion)).toEqual(['1']);
    expect(run.watcher.version()).toBe('1');
    expect(run.watcher.champion()).toBe('1');
    expect(run.swaps.map((s) => s.to)).toEqual(['1']);

    const firing = firingAccuracy(run);
    expect(firing.length).toBeGreaterThan(0);
    expect(firing[0]!.window.end).toBeGreaterThan(run.switchTime);

    const incident = (await latestIncident(run))!;
    const events = await modelEvents(topics, model);
    expect(events.map((e) => `${e.status}:${e.version}`)).toEqual(['PROMOTED:1', 'CANDIDATE:2', 'REJECTED:2']);
    const rejected = events[2]!;
    expect(rejected.fencingToken).toBeGreaterThan(0);
    expect(rejected.incidentId).toBe(incident.id);
    const champion = incident.championMetrics.accuracy!;
    const challenger = incident.challengerMetrics.accuracy!;
    // The reason names both metrics, as the test split measured them.
    expect(rejected.reason).toContain(challenger.toFixed(4));
    expect(rejected.reason).toContain(champion.toFixed(4));
    expect(rejected.reason).toContain(String(NOISE_MARGIN));
    expect(incident.reason).toBe(rejected.reason);
    expect(incident.decision).toBe('REJECTED');
    expect(incident.status).toBe('REJECTED');
    expect(incident.verification).toBeNull();
    // The margin argument above needs this many test examples.
    expect(incident.data!.test.size).toBeGreaterThanOrEqual(MIN_NOISE_TEST_SIZE);
    expect(incident.data!.test.from!).toBeGreaterThanOrEqual(run.switchTime);
    // On noise both are coin flips.
    expect(Math.abs(champion - 0.5)).toBeLessThan(0.1);
    expect(Math.abs(challenger - 0.5)).toBeLessThan(0.1);
    expect(incident.diagnosis!.metricBefore!).toBeGreaterThan(0.9);
    expect(incident.diagnosis!.metricDuring!).toBeLessThan(0.85);

    console.log(`[retrain-loop] noise: ${JSON.stringify({ ...run.timings, champion, challenger, test: incident.data!.test.size })}`);
  }, 150_000);
});
