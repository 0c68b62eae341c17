// Issue 9's broker-loss acceptance run, through the services: a fresh 3-node cluster (RF 3,
// min ISR 2), the performance and drift services running against it and the suite's Redis, an
// app publishing 100,000 predictions and their labels through the SDK at full speed from 4
// concurrent lanes, node 2 killed (-9) once 30% of the predictions are acknowledged and
// restarted 3 s later. Then:
// - every prediction and label the SDK acknowledged is in its topic; a copy written twice was
//   re-sent after a failure the SDK reported (onRetry, or a rejection the app re-sent with
//   `client.resend`);
// - every window count is exact: the performance service counted each prediction and each label
//   once, the drift service each prediction once (a re-sent copy is recognised by its id);
// - a service whose consumer died for good is restarted, as its supervisor would (counted).
//
// DW_BROKER_LOSS_SERVICES_PREDICTIONS changes the size (default 100,000).
import { Kafka, logLevel } from 'kafkajs';
import type { Admin } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PublishIncompleteError } from '../../shared/bus/errors.js';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import { Codec } from '../../shared/codec/index.js';
import { parseMonitoringConfig, resolveModelConfig } from '../../shared/config/monitoring-config.js';
import { loadRuntimeConfig } from '../../shared/config/runtime-config.js';
import { dqFamily } from '../../shared/monitor/feature-deltas.js';
import { covFamily } from '../../shared/monitor/performance.js';
import { RedisMonitorState } from '../../shared/monitor-state/redis-monitor-state.js';
import { defaultGroupId, DRIFT_GROUP, PERFORMANCE_GROUP, startDriftService, startPerformanceService, type MonitorServiceOptions } from '../../shared/pipeline/services.js';
import type { ServiceHandle } from '../../shared/runtime/run-service.js';
import { DriftwatchClient } from '../../shared/sdk/index.js';
import type { LabelRecord, PredictionRecord } from '../../shared/sdk/records.js';
import { generateScenario, predictionTime } from '../../shared/sim/scenario.js';
import { topicNames } from '../../shared/topics.js';
import { redisUrl, uniqueName } from '../setup/env.js';
import { startTestCluster, type TestCluster } from '../support/kafka-cluster.js';
import { waitForGroupCaughtUp } from '../support/kafka-progress.js';
import { referenceOf } from '../support/monitor-fixtures.js';

const PREDICTIONS = Number(process.env.DW_BROKER_LOSS_SERVICES_PREDICTIONS ?? 100_000);
const BATCH = 1_000;
const LANES = 4;
const PARTITIONS = 6;
const KILL_AT = 0.3;
const VERSION = '1';

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const fastConsumer = { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 20_000, maxWaitTimeMs: 200 };
const codec = new Codec();
const t0 = Date.now();
const stage = (what: string): void => {
  if (process.env.DW_BROKER_LOSS_VERBOSE) console.log(`broker-loss-services +${((Date.now() - t0) / 1000).toFixed(1)}s ${what}`);
};

const prefix = `${uniqueName('bls')}.`;
const topics = topicNames(prefix);
const model = uniqueName('bls-model');
const monitoring = parseMonitoringConfig({ models: { [model]: { task: 'binary', positiveLabel: 'yes' } } });
const settings = resolveModelConfig(monitoring, model);
// 2,000 event-time predictions per second: 100,000 span 50 s of event time, 5 buckets of 10 s.
const scenario = generateScenario({ model, modelVersion: VERSION, seed: 41, count: PREDICTIONS, eventsPerSecond: 2_000 });

/** A service the test restarts when its consumer dies for good, as a process supervisor would. */
class Supervised {
  handle: ServiceHandle | null = null;
  restarts = 0;
  private restarting: Promise<void> | null = null;

  constructor(
    readonly name: string,
    private readonly start: (options: MonitorServiceOptions) => Promise<ServiceHandle>,
    private readonly options: MonitorServiceOptions,
  ) {}

  async run(): Promise<void> {
    this.handle = await this.start({
      ...this.options,
      onFatal: (error) => {
        stage(`${this.name}: fatal consumer crash (${error.message}); restarting`);
        this.restarting ??= this.restart();
      },
    });
  }

  private async restart(): Promise<void> {
    this.restarts += 1;
    await this.handle?.stop().catch(() => undefined);
    this.handle = null;
    // As a supervisor does: try again until the service starts.
    for (;;) {
      try {
        await this.run();
        break;
      } catch (error) {
        stage(`${this.name}: restart failed (${(error as Error).message}); again in 1 s`);
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
    this.restarting = null;
  }

  async settled(): Promise<void> {
    while (this.restarting) await this.restarting;
  }

  async stop(): Promise<void> {
    await this.settled();
    await this.handle?.stop();
  }
}

describe('broker loss through the services (3-node cluster, kill -9 one broker during 100,000 predictions)', () => {
  let cluster: TestCluster;
  let admin: Admin;
  let state: RedisMonitorState;
  const services: Supervised[] = [];

  beforeAll(async () => {
    // Its own ports (brokers 19892-19894, controllers 19992-19994), clear of the other cluster tests.
    cluster = await startTestCluster(Number(process.env.DW_TEST_BROKER_LOSS_SERVICES_BASE_PORT ?? 19892));
    stage('cluster started');
    admin = new Kafka({ brokers: cluster.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    state = await RedisMonitorState.connect(redisUrl());
    // The drift service counts into windows from the first prediction (no sample to collect).
    await state.setReference(model, VERSION, referenceOf(codec, scenario.predictions.slice(0, 1_000), settings));

    const config = loadRuntimeConfig({
      DW_MODE: 'distributed',
      KAFKA_BROKERS: cluster.brokers.join(','),
      REDIS_URL: redisUrl(),
      DW_TOPIC_PREFIX: prefix,
      DW_TOPIC_PARTITIONS: String(PARTITIONS),
      LOG_LEVEL: 'silent',
    });
    const options: MonitorServiceOptions = { config, monitoring, logger, kafkaConsumer: fastConsumer, http: { port: 0, host: '127.0.0.1' } };
    services.push(new Supervised('performance', startPerformanceService, options), new Supervised('drift', startDriftService, options));
    for (const service of services) await service.run();
    stage('services started');
  }, 300_000);

  afterAll(async () => {
    for (const service of services) await service.stop().catch(() => undefined);
    await state?.close().catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
    await cluster?.stop();
  }, 180_000);

  it('keeps every acknowledged event, counts every window exactly, reports every failure', { timeout: 480_000 }, async () => {
    const bus = await KafkaBus.connect({ brokers: cluster.brokers, logger, clientId: 'dw-broker-loss-app' });
    const retries: string[] = [];
    let resentBySdk = 0;
    const client = new DriftwatchClient({
      bus,
      topics,
      onRetry: ({ topic, attempt, unconfirmed, error }) => {
        retries.push(`${topic} attempt ${attempt}: ${unconfirmed} unconfirmed (${error.name})`);
        resentBySdk += unconfirmed;
      },
    });
    const acknowledged = { predictions: new Set<string>(), labels: new Set<string>() };
    let rejections = 0;
    let resentByApp = 0;
    let killed: Promise<void> | null = null;
    let restarted: Promise<unknown> | null = null;
    const started = Date.now();
    const ticker = setInterval(() => stage(`acknowledged ${acknowledged.predictions.size} predictions, ${acknowledged.labels.size} labels; ${retries.length} SDK retries, ${rejections} rejections`), 5_000);

    // What an app does with a rejected call: re-send what the SDK says was not confirmed, until it is.
    const deliver = async (send: () => Promise<void>): Promise<void> => {
      try {
        await send();
      } catch (error) {
        if (!(error instanceof PublishIncompleteError)) throw error;
        rejections += 1;
        for (let pending: PublishIncompleteError | null = error; pending !== null; ) {
          resentByApp += pending.unconfirmed.length;
          await new Promise((r) => setTimeout(r, 1_000));
          try {
            await client.resend(pending);
            pending = null;
          } catch (again) {
            if (!(again instanceof PublishIncompleteError)) throw again;
            rejections += 1;
            pending = again;
          }
        }
      }
    };

    const labelsByPrediction = new Map<string, LabelRecord>(scenario.labels.map((l) => [l.predictionId, l]));
    let next = 0;
    const lane = async (): Promise<void> => {
      for (;;) {
        const first = next;
        if (first >= PREDICTIONS) return;
        next += BATCH;
        const predictions: PredictionRecord[] = scenario.predictions.slice(first, first + BATCH);
        await deliver(() => client.logPredictions(predictions));
        for (const p of predictions) acknowledged.predictions.add(p.id);
        const labels = predictions.flatMap((p) => labelsByPrediction.get(p.id) ?? []);
        await deliver(() => client.logLabels(labels));
        for (const l of labels) acknowledged.labels.add(l.predictionId);
        if (!killed && acknowledged.predictions.size >= PREDICTIONS * KILL_AT) {
          stage(`killing node 2 at ${acknowledged.predictions.size} acknowledged predictions`);
          killed = cluster.killNode(2);
          restarted = killed.then(() => new Promise((r) => setTimeout(r, 3_000))).then(() => cluster.run('start-node', '2'));
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: LANES }, () => lane()));
      stage(`published in ${Date.now() - started} ms`);
      await killed;
      await restarted;
      stage('node 2 restarted');
    } finally {
      clearInterval(ticker);
      await bus.close();
    }
    const publishMs = Date.now() - started;

    // The topics: every acknowledged event is there; a second copy only where something was re-sent.
    const reader = await KafkaBus.connect({ brokers: cluster.brokers, logger, clientId: 'dw-broker-loss-reader' });
    const copies = { predictions: new Map<string, number>(), labels: new Map<string, number>() };
    try {
      for (const kind of ['predictions', 'labels'] as const) {
        await reader.readFrom(topics[kind], 0, (messages) => {
          for (const m of messages) {
            const id = m.key!.toString('utf8');
            copies[kind].set(id, (copies[kind].get(id) ?? 0) + 1);
          }
        });
      }
    } finally {
      await reader.close();
    }
    const missing = (kind: 'predictions' | 'labels'): string[] => [...acknowledged[kind]].filter((id) => !copies[kind].has(id));
    const duplicates = (kind: 'predictions' | 'labels'): number => [...copies[kind].values()].reduce((sum, n) => sum + n - 1, 0);

    // The services: caught up on both topics, then every window count against what was produced.
    for (const service of services) await service.settled();
    const caughtUpStarted = Date.now();
    await waitForGroupCaughtUp(admin, defaultGroupId(prefix, PERFORMANCE_GROUP), [topics.predictions, topics.labels], 240_000);
    await waitForGroupCaughtUp(admin, defaultGroupId(prefix, DRIFT_GROUP), [topics.predictions], 240_000);
    const catchUpMs = Date.now() - caughtUpStarted;
    const start = scenario.parameters.startTime;
    const end = predictionTime(scenario.parameters, PREDICTIONS) + settings.bucketMs;
    const cov = await state.readBuckets(model, covFamily(VERSION), start, end, settings.bucketMs);
    const dq = await state.readBuckets(model, dqFamily(VERSION), start, end, settings.bucketMs);

    const summary = {
      predictions: PREDICTIONS,
      labels: scenario.labels.length,
      acknowledged: { predictions: acknowledged.predictions.size, labels: acknowledged.labels.size },
      missing: { predictions: missing('predictions').length, labels: missing('labels').length },
      duplicatesInTopics: { predictions: duplicates('predictions'), labels: duplicates('labels') },
      sdkRetries: retries.length,
      resentBySdk,
      rejections,
      resentByApp,
      windows: { performancePredictions: cov.n, performanceLabelled: cov.l, driftPredictions: dq.n },
      serviceRestarts: Object.fromEntries(services.map((s) => [s.name, s.restarts])),
      publishMs,
      catchUpMs,
    };
    console.log(`broker-loss-services: ${JSON.stringify(summary)}`);

    expect(killed, 'the broker was killed mid-run').not.toBeNull();
    expect(acknowledged.predictions.size).toBe(PREDICTIONS);
    expect(acknowledged.labels.size).toBe(scenario.labels.length);
    expect(missing('predictions'), 'acknowledged predictions missing from the topic').toEqual([]);
    expect(missing('labels'), 'acknowledged labels missing from the topic').toEqual([]);
    // A copy written twice was re-sent after a failure the SDK reported (its retries, or the app's re-sends).
    expect(duplicates('predictions') + duplicates('labels')).toBeLessThanOrEqual(resentBySdk + resentByApp);
    expect({ performancePredictions: cov.n, performanceLabelled: cov.l, driftPredictions: dq.n }).toEqual({
      performancePredictions: PREDICTIONS,
      performanceLabelled: scenario.labels.length,
      driftPredictions: PREDICTIONS,
    });
  });
});
