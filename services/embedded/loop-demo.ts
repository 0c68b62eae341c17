// The whole retraining loop in one process: the performance, drift and retrainer services,
// a bootstrap version 1, and an upstream app (LiveSimulation + ModelWatcher) predicting in
// real time while its concept drifts. `npm start` prints what this reports; the integration
// test asserts on it.
//
// Embedded (the default): one MemoryBus and one MemoryKeyspace shared by every service, the
// app and the listener. Distributed: the same on the Kafka and Redis of the runtime config
// (each service connects its own Redis; the bus is shared).
//
// Sequence: train v1 on a labelled sample of the `before` concept → publish it PROMOTED → the
// app's ModelWatcher loads it → the app predicts at `rate`/s, labels come `labelDelay` later →
// after `driftAfterMs` the stream switches to the `after` concept → the accuracy rule fires →
// the retrainer trains v2 from the log and promotes it → the watcher hot-swaps → the
// verification compares v2's live accuracy with the pre-drift baseline. The run ends
// `tailMs` after the verdict (so the recovered accuracy can be seen), or at `deadlineMs`.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import { MemoryBus } from '../../shared/bus/memory-bus.js';
import type { EventBus, LogReader, Subscription } from '../../shared/bus/types.js';
import { Codec, type Alert, type Incident, type ModelEvent } from '../../shared/codec/index.js';
import { parseMonitoringConfig, resolveModelConfig, type MonitoringConfig } from '../../shared/config/monitoring-config.js';
import type { RuntimeConfig } from '../../shared/config/runtime-config.js';
import type { ConsoleConfig } from '../../shared/console/console-config.js';
import { startConsole, type ConsoleHandle } from '../../shared/console/console-service.js';
import type { ModelStore } from '../../shared/models/model-store.js';
import { publishModelEvent } from '../../shared/models/publish-model-event.js';
import { startRetrainerService } from '../../shared/pipeline/retrainer-service.js';
import { startDriftService, startPerformanceService } from '../../shared/pipeline/services.js';
import type { ServiceHandle } from '../../shared/runtime/run-service.js';
import { DriftwatchClient } from '../../shared/sdk/client.js';
import { createConcept, type ConceptSpec } from '../../shared/sim/concepts/index.js';
import { driftingStream } from '../../shared/sim/concepts/drift.js';
import { deriveSeed } from '../../shared/sim/concepts/seed.js';
import { LiveSimulation, watcherScorer, type LiveProgress } from '../../shared/sim/live-simulation.js';
import { createPrng } from '../../shared/sim/prng.js';
import { labelledSample, type LabelDelay, type LabelledRow } from '../../shared/sim/simulation.js';
import { MemoryKeyspace } from '../../shared/store/memory-store.js';
import { topicNames, topicSpecs } from '../../shared/topics.js';
import { DEFAULT_DEMO_SCHEDULE, demoMonitoring, type DemoSchedule } from './demo-config.js';

/** Messages the embedded bus keeps per partition: a few minutes of the demo's traffic, far more than any consumer lags. */
const RETAIN_PER_PARTITION = 200_000;

export interface LoopDemoOptions {
  config: RuntimeConfig;
  model: string;
  store: ModelStore;
  before: ConceptSpec;
  after: ConceptSpec;
  /** Predictions per second (event time = wall time). */
  rate: number;
  /** Wall time from the app's first prediction to the concept switch. */
  driftAfterMs: number;
  labelDelay: LabelDelay;
  /** Labelled rows of the `before` concept version 1 is trained on. */
  bootstrapRows: number;
  seed: number;
  schedule?: DemoSchedule;
  /** Keep predicting this long after the verification verdict. */
  tailMs: number;
  /** Give up (result `completed: false`) this long after the app started predicting. */
  deadlineMs: number;
  /** How often a `progress` event is reported. */
  progressEveryMs: number;
  logger: Logger;
  signal?: AbortSignal;
  onEvent?: (event: DemoEvent) => void;
  /**
   * Run the console (dashboard) on the loop's bus. `fallbackToAnyPort`: when its port is taken,
   * take a free one instead of failing (the default port, which the user did not choose).
   */
  console?: { config: ConsoleConfig; fallbackToAnyPort: boolean };
  /** Called with the result before anything is closed (the demo keeps the dashboard serving in it). */
  beforeClose?: (result: LoopDemoResult) => Promise<void>;
}

export interface ProgressReport {
  /** Seconds since the app started predicting. */
  elapsedS: number;
  version: string | undefined;
  rollingAccuracy: number | null;
  /** Predictions per second since the last report. */
  predictionsPerS: number;
  predictions: number;
  labels: number;
  drifted: boolean;
}

export type DemoEvent =
  | { type: 'started'; mode: string; model: string; before: string; after: string; rate: number; driftAfterS: number }
  | { type: 'console'; url: string; token: boolean }
  | { type: 'bootstrap-training'; rows: number; concept: string }
  | { type: 'bootstrap'; version: string; seconds: number; metric: string; metrics: Record<string, number>; train: number; backend: string | null }
  | { type: 'serving'; version: string }
  | { type: 'drift'; elapsedS: number; before: string; after: string; atPrediction: number }
  | { type: 'alert'; elapsedS: number; alert: Alert }
  | { type: 'model'; elapsedS: number; event: ModelEvent }
  | { type: 'incident'; elapsedS: number; incident: Incident }
  | { type: 'swap'; elapsedS: number; from: string | undefined; to: string; atPrediction: number; rollingAccuracy: number | null }
  | { type: 'progress'; progress: ProgressReport }
  | { type: 'stopping'; reason: string };

export interface LoopDemoResult {
  /** The loop reached a verification verdict (RECOVERED or NOT_RECOVERED) before the deadline. */
  completed: boolean;
  /** Why the run stopped. */
  reason: string;
  bootstrapVersion: string;
  alerts: Alert[];
  modelEvents: ModelEvent[];
  swaps: { from: string | undefined; to: string; elapsedS: number }[];
  /** Latest state of each incident, by first appearance. */
  incidents: Incident[];
  /** The incident whose promoted version was verified, when there is one. */
  verified: Incident | undefined;
  progress: LiveProgress;
  /** Rolling accuracy just before the drift, at its lowest after it, and at the end. */
  accuracy: { beforeDrift: number | null; lowest: number | null; end: number | null };
  /** Wall seconds: bootstrap training, and from the app's start to each milestone. */
  timings: Record<string, number>;
}

const describeConcept = (spec: ConceptSpec): string => createConcept(spec).name;

export async function runLoopDemo(options: LoopDemoOptions): Promise<LoopDemoResult> {
  const { config, model, store, logger } = options;
  const emit = (event: DemoEvent): void => options.onEvent?.(event);
  const codec = new Codec();
  const topics = topicNames(config.topics.prefix);
  const embedded = config.mode === 'embedded';
  const concept = createConcept(options.before);
  const positiveLabel = concept.classes.at(-1)!;
  const monitoring = parseMonitoringConfig(demoMonitoring(model, positiveLabel, options.schedule ?? DEFAULT_DEMO_SCHEDULE));
  const policy = resolveModelConfig(monitoring, model).retrain;
  const timings: Record<string, number> = {};

  const bus: EventBus & LogReader = embedded
    ? new MemoryBus({ retainPerPartition: RETAIN_PER_PARTITION, logger })
    : await KafkaBus.connect({
        brokers: config.kafka.brokers,
        clientId: config.kafka.clientId,
        security: { ssl: config.kafka.ssl, ...(config.kafka.sasl ? { sasl: config.kafka.sasl } : {}) },
        logger: logger.child({}, { level: logger.isLevelEnabled('debug') ? logger.level : 'warn' }),
      });
  const keyspace = embedded ? new MemoryKeyspace() : undefined;
  const handles: ServiceHandle[] = [];
  let dashboard: ConsoleHandle | undefined;
  let listening: Subscription | undefined;
  let watcher: import('../../shared/sdk/models/model-watcher.js').ModelWatcher | undefined;
  let progressTimer: NodeJS.Timeout | undefined;
  const stopRun = new AbortController();
  const onOuterAbort = (): void => stopRun.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });

  const alerts: Alert[] = [];
  const modelEvents: ModelEvent[] = [];
  const swaps: LoopDemoResult['swaps'] = [];
  const incidents = new Map<string, Incident>();
  let appStart = NaN;
  const elapsed = (): number => (Number.isFinite(appStart) ? (Date.now() - appStart) / 1000 : 0);
  let verdict: Incident | undefined;
  let verdictAt: number | undefined;
  let wake: (() => void) | undefined;
  const poke = (): void => wake?.();

  try {
    await bus.ensureTopics(topicSpecs(topics, config.topics.partitions, { retentionMs: config.topicRetentionMs }));
    const common = { config, monitoring, http: false as const, bus, codec, ...(keyspace ? { keyspace } : {}) };
    handles.push(await startPerformanceService({ ...common, logger: logger.child({ service: 'performance' }) }));
    handles.push(await startDriftService({ ...common, logger: logger.child({ service: 'drift' }) }));
    // The retrainer's HTTP API on a free loopback port: the dashboard's "retrain" button posts there.
    const retrainer = await startRetrainerService({
      ...common,
      ...(options.console ? { http: { port: 0, host: '127.0.0.1' } } : {}),
      models: store,
      tickMs: 250,
      logger: logger.child({ service: 'retrainer' }),
    });
    handles.push(retrainer);
    if (options.console) {
      dashboard = await startDemoConsole(options.console, { config, monitoring, store, bus, logger, retrainerPort: retrainer.port });
    }

    listening = await bus.subscribe({
      groupId: `${config.topics.prefix}demo-listener-${randomUUID()}`,
      topics: [topics.alerts, topics.models, topics.incidents],
      fromBeginning: true,
      handler: async (batch) => {
        for (const message of batch.messages) {
          if (batch.topic === topics.alerts) {
            const alert = codec.decode('alert', message.value, message.headers);
            if (alert.model !== model) continue;
            alerts.push(alert);
            if (alert.status === 'FIRING' && timings.firstAlert === undefined) timings.firstAlert = elapsed();
            emit({ type: 'alert', elapsedS: elapsed(), alert });
          } else if (batch.topic === topics.models) {
            const event = codec.decode('model', message.value, message.headers);
            if (event.model !== model) continue;
            modelEvents.push(event);
            if (event.trigger.kind !== 'MANUAL' || event.incidentId !== null) {
              timings[`${event.status.toLowerCase()}:v${event.version}`] ??= elapsed();
              emit({ type: 'model', elapsedS: elapsed(), event });
            }
          } else {
            const incident = codec.decode('incident', message.value, message.headers);
            if (incident.model !== model) continue;
            const previous = incidents.get(incident.id);
            incidents.set(incident.id, incident);
            if (previous?.status !== incident.status) {
              timings[`incident:${incident.status.toLowerCase()}`] ??= elapsed();
              emit({ type: 'incident', elapsedS: elapsed(), incident });
            }
            if (incident.status === 'RECOVERED' || incident.status === 'NOT_RECOVERED') {
              verdict ??= incident;
              verdictAt ??= Date.now();
              poke();
            }
          }
        }
      },
    });

    // ---- version 1 ----------------------------------------------------------------------
    emit({ type: 'started', mode: config.mode, model, before: describeConcept(options.before), after: describeConcept(options.after), rate: options.rate, driftAfterS: options.driftAfterMs / 1000 });
    if (dashboard) emit({ type: 'console', url: dashboard.url, token: options.console!.config.token !== null });
    emit({ type: 'bootstrap-training', rows: options.bootstrapRows, concept: concept.name });
    const trainStart = Date.now();
    const bootstrapVersion = await bootstrap(options, bus, codec, topics.models, policy);
    timings.bootstrapTraining = (Date.now() - trainStart) / 1000;
    emit({ type: 'bootstrap', ...bootstrapVersion, seconds: timings.bootstrapTraining });

    // ---- the app --------------------------------------------------------------------------
    const { ModelWatcher } = await import('../../shared/sdk/models/model-watcher.js');
    // Set once the simulation exists; the swap report reads its progress.
    const app: { live?: LiveSimulation } = {};
    const client = new DriftwatchClient({ bus, topics, codec });
    watcher = await ModelWatcher.start({
      bus,
      store,
      model,
      topics,
      codec,
      client,
      logger,
      onSwap: (from, to) => {
        if (from === undefined) {
          emit({ type: 'serving', version: to });
          return;
        }
        const progress = app.live?.progress();
        swaps.push({ from, to, elapsedS: elapsed() });
        timings[`swap:v${to}`] ??= elapsed();
        emit({ type: 'swap', elapsedS: elapsed(), from, to, atPrediction: progress?.predictions ?? 0, rollingAccuracy: progress?.rollingAccuracy ?? null });
      },
    });
    watcher.on('failure', (failure) => logger.warn({ version: failure.version, err: failure.error.message }, 'a promoted version was refused'));
    await watcher.ready({ timeoutMs: 60_000 });

    appStart = Date.now();
    const driftIndex = Math.round((options.driftAfterMs * options.rate) / 1000);
    let drifted = false;
    const accuracy: LoopDemoResult['accuracy'] = { beforeDrift: null, lowest: null, end: null };
    const live = new LiveSimulation({
      stream: driftingStream({ before: options.before, after: options.after, at: driftIndex, seed: deriveSeed(options.seed, 0x11fe) }),
      scorer: watcherScorer(watcher),
      client,
      model,
      startTime: appStart,
      rate: options.rate,
      labelDelay: options.labelDelay,
      seed: options.seed,
      tickMs: 100,
      drain: false,
      signal: stopRun.signal,
      logger,
      onChunk: (_chunk, progress) => {
        if (!drifted && progress.predictions >= driftIndex) {
          drifted = true;
          accuracy.beforeDrift = progress.rollingAccuracy;
          timings.drift = elapsed();
          emit({ type: 'drift', elapsedS: elapsed(), before: describeConcept(options.before), after: describeConcept(options.after), atPrediction: driftIndex });
        }
        if (drifted && progress.rollingAccuracy !== null && (accuracy.lowest === null || progress.rollingAccuracy < accuracy.lowest)) {
          accuracy.lowest = progress.rollingAccuracy;
        }
      },
    });
    app.live = live;
    const running = live.run();
    running.catch(() => {}).finally(poke);

    let lastReport = { at: Date.now(), predictions: 0 };
    const report = (): void => {
      const progress = live.progress();
      const now = Date.now();
      const predictionsPerS = ((progress.predictions - lastReport.predictions) * 1000) / Math.max(1, now - lastReport.at);
      lastReport = { at: now, predictions: progress.predictions };
      emit({
        type: 'progress',
        progress: {
          elapsedS: elapsed(),
          version: progress.version,
          rollingAccuracy: progress.rollingAccuracy,
          predictionsPerS,
          predictions: progress.predictions,
          labels: progress.labels,
          drifted,
        },
      });
    };
    progressTimer = setInterval(report, options.progressEveryMs);

    // ---- wait for the verdict (plus the tail), the deadline, an abort or a failed app ------
    const deadline = appStart + options.deadlineMs;
    let reason: string;
    let appFailure: unknown;
    running.catch((error: unknown) => (appFailure = error));
    for (;;) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 200);
      });
      if (appFailure !== undefined) throw appFailure;
      if (options.signal?.aborted) {
        reason = 'interrupted';
        break;
      }
      if (verdictAt !== undefined && Date.now() >= verdictAt + options.tailMs) {
        reason = `verification ${verdict!.status}`;
        break;
      }
      if (Date.now() >= deadline) {
        reason = `no verification verdict within ${Math.round(options.deadlineMs / 1000)} s`;
        break;
      }
    }
    clearInterval(progressTimer);
    emit({ type: 'stopping', reason });
    stopRun.abort(new Error(reason));
    const final = await running.catch(() => live.progress());
    accuracy.end = final.rollingAccuracy;
    timings.total = elapsed();
    const result: LoopDemoResult = {
      completed: verdict !== undefined,
      reason,
      bootstrapVersion: bootstrapVersion.version,
      alerts,
      modelEvents,
      swaps,
      incidents: [...incidents.values()],
      verified: verdict === undefined ? undefined : incidents.get(verdict.id),
      progress: final,
      accuracy,
      timings,
    };
    await options.beforeClose?.(result);
    return result;
  } finally {
    clearInterval(progressTimer);
    options.signal?.removeEventListener('abort', onOuterAbort);
    stopRun.abort(new Error('stopped'));
    await watcher?.close().catch((error: unknown) => logger.warn({ err: error }, 'closing the model watcher failed'));
    await listening?.stop().catch(() => {});
    await dashboard?.stop().catch((error: unknown) => logger.warn({ err: error }, 'stopping the console failed'));
    for (const handle of handles.reverse()) await handle.stop().catch((error: unknown) => logger.warn({ err: error }, 'stopping a service failed'));
    await bus.close().catch(() => {});
  }
}

/** The console on the loop's bus; on a taken port it takes a free one when allowed (and says so). */
async function startDemoConsole(
  settings: NonNullable<LoopDemoOptions['console']>,
  deps: { config: RuntimeConfig; monitoring: MonitoringConfig; store: ModelStore; bus: EventBus & LogReader; logger: Logger; retrainerPort: number | undefined },
): Promise<ConsoleHandle> {
  const consoleConfig: ConsoleConfig = {
    ...settings.config,
    ...(deps.retrainerPort !== undefined ? { retrainerUrl: `http://127.0.0.1:${deps.retrainerPort}` } : {}),
  };
  const start = (port: number): Promise<ConsoleHandle> =>
    startConsole({
      runtime: deps.config,
      console: { ...consoleConfig, port },
      monitoring: deps.monitoring,
      models: deps.store,
      bus: deps.bus,
      logger: deps.logger.child({ service: 'console' }),
      ops: false,
      processMetrics: false,
    });
  try {
    return await start(consoleConfig.port);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !settings.fallbackToAnyPort) throw error;
    deps.logger.warn(`port ${consoleConfig.port} is taken; the dashboard takes a free one (set DW_CONSOLE_PORT to choose)`);
    return start(0);
  }
}

/** Trains the first version on a labelled sample of the `before` concept and publishes it PROMOTED. */
async function bootstrap(
  options: LoopDemoOptions,
  bus: EventBus,
  codec: Codec,
  modelsTopic: string,
  policy: ReturnType<typeof resolveModelConfig>['retrain'],
): Promise<{ version: string; metric: string; metrics: Record<string, number>; train: number; backend: string | null }> {
  const { store, model } = options;
  const concept = createConcept(options.before);
  const rng = createPrng(deriveSeed(options.seed, 0xb007));
  const stream: Iterator<LabelledRow> = { next: () => ({ done: false, value: concept.sample(rng) }) };
  // Timed in the recent past at the demo's rate: the same shape as the data a retrain reads.
  const span = Math.ceil((options.bootstrapRows * 1000) / options.rate);
  const rows = labelledSample(stream, options.bootstrapRows, { startTime: Date.now() - span, rate: options.rate });
  const version = await store.nextVersion(model);
  // Loaded here: only a run that trains loads TensorFlow.js.
  const { trainChallenger } = await import('../../shared/retrain/train-challenger.js');
  const outcome = await trainChallenger({
    model,
    version,
    parent: null,
    examples: rows.map((row, i) => ({ id: `bootstrap-${i}`, time: row.time, features: row.features, label: row.label })),
    policy,
    store,
    logger: options.logger,
  });
  await publishModelEvent(bus, codec, modelsTopic, {
    model,
    version,
    status: 'PROMOTED',
    parentVersion: null,
    artifactUri: store.uri(model, version),
    trigger: { kind: 'MANUAL', alertId: null },
    challengerMetrics: outcome.challengerMetrics,
    championMetrics: {},
    trainingSize: outcome.split.train.size,
    referenceProfile: outcome.manifest.trainingProfile,
    time: Date.now(),
    reason: null,
    metric: outcome.metric,
    variants: outcome.eventVariants,
    backend: outcome.manifest.backend,
  });
  return { version, metric: outcome.metric, metrics: outcome.challengerMetrics, train: outcome.split.train.size, backend: outcome.manifest.backend ?? null };
}
