// Issue 4's crash test: a 200,000-prediction scenario (with its labels) flows through the
// performance service, run as its own process, while the test kills it with SIGKILL three
// times mid-stream and restarts it. Afterwards the windows hold every prediction and every
// label exactly once: redelivered batches (applied in Redis, never committed in Kafka) must
// be fenced off by the offsets recorded in the same script as the counters. Each kill waits
// for that moment: a partition whose offset Redis recorded is past what Kafka committed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMonitoringConfig, resolveModelConfig } from '../../shared/config/monitoring-config.js';
import { covFamily, perfFamily } from '../../shared/monitor/performance.js';
import { defaultGroupId, PERFORMANCE_GROUP } from '../../shared/pipeline/services.js';
import { OFFSETS_KEY } from '../../shared/store/batch-request.js';
import { modelKey } from '../../shared/store/types.js';
import { DriftwatchClient } from '../../shared/sdk/index.js';
import type { LabelRecord, PredictionRecord } from '../../shared/sdk/records.js';
import { predictionTime, resolveScenarioOptions, scenarioDeliveries } from '../../shared/sim/scenario.js';
import { splitField } from '../../shared/stats/window/counters.js';
import { topicNames } from '../../shared/topics.js';
import { kafkaBrokers, redisUrl, uniqueName } from '../setup/env.js';
import { waitForGroupCaughtUp } from '../support/kafka-progress.js';
import { connectKafkaAndRedis, type KafkaAndRedisClients } from '../support/kafka-redis-clients.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';
import { until } from '../support/until.js';

const PREDICTIONS = 200_000;
const PARTITIONS = 6;
/** Shares of the predictions counted in Redis at which the service is killed. */
const KILL_AT = [0.2, 0.5, 0.8];
/** Large publish calls: the producer, not the service, would otherwise bound the run. */
const PUBLISH_BATCH = 10_000;
const VERSION = '1';
/** How long a kill waits for a batch applied in Redis but not committed in Kafka before killing anyway. */
const WORST_MOMENT_WAIT_MS = 15_000;

const prefix = `${uniqueName('crash')}.`;
const topics = topicNames(prefix);
const model = uniqueName('crash-model');
const scenario = resolveScenarioOptions({
  model,
  modelVersion: VERSION,
  seed: 4,
  count: PREDICTIONS,
  // 1,000 s of event time: a hundred 10 s buckets, each closed and evaluated while the
  // kills happen, and every label well within the label horizon.
  eventsPerSecond: 200,
  unlabelledShare: 0.1,
});
const monitoringJson = JSON.stringify({ models: { [model]: { task: 'binary', positiveLabel: 'yes' } } });
const { bucketMs } = resolveModelConfig(parseMonitoringConfig(JSON.parse(monitoringJson)), model);
const firstBucket = Math.floor(scenario.startTime / bucketMs) * bucketMs;
const bucketsEnd = predictionTime(scenario, PREDICTIONS - 1) + bucketMs;
const group = defaultGroupId(prefix, PERFORMANCE_GROUP);

const serviceEnv = {
  KAFKA_BROKERS: kafkaBrokers(),
  REDIS_URL: redisUrl(),
  DW_MODE: 'distributed',
  DW_TOPIC_PREFIX: prefix,
  DW_TOPIC_PARTITIONS: String(PARTITIONS),
  DW_MONITORING_CONFIG_JSON: monitoringJson,
  DW_HTTP_PORT: '0',
  LOG_LEVEL: 'warn',
  // A killed member's partitions move after its session expires: 6 s instead of 30 s.
  KAFKA_SESSION_TIMEOUT_MS: '6000',
};

describe('performance service crash (kill -9 three times during a 200,000-prediction run)', () => {
  let clients: KafkaAndRedisClients;
  const processes: ServiceProcess[] = [];

  beforeAll(async () => {
    clients = await connectKafkaAndRedis('crash-test', topics, PARTITIONS);
  });

  afterAll(async () => {
    for (const running of processes) await running.kill();
    await clients?.close();
  });

  const coverage = (): Promise<Record<string, number>> => clients.state.readBuckets(model, covFamily(VERSION), firstBucket, bucketsEnd, bucketMs);

  /**
   * Source partitions whose last batch Redis applied but Kafka has not committed: a kill now
   * makes the restarted service read that batch again. Kafka is read first, so a commit
   * landing between the two reads can only hide such a partition, never invent one.
   */
  async function appliedNotCommitted(): Promise<number> {
    const committed = await clients.admin.fetchOffsets({ groupId: group, topics: [topics.predictions, topics.labels] });
    const recorded = await clients.state.client.hgetall(modelKey(model, OFFSETS_KEY));
    let count = 0;
    for (const { topic, partitions } of committed) {
      for (const { partition, offset } of partitions) {
        const applied = recorded[`${group}|${topic}|${partition}`];
        // Kafka's committed offset is the next one to read; Redis records the last one applied.
        if (applied !== undefined && Number(applied) >= Number(offset)) count += 1;
      }
    }
    return count;
  }

  async function killAtWorstMoment(service: ServiceProcess): Promise<number> {
    const deadline = Date.now() + WORST_MOMENT_WAIT_MS;
    while (Date.now() < deadline && (await appliedNotCommitted()) === 0) {
      if (service.child.exitCode !== null) throw new Error(`the service exited before it was killed:\n${service.output()}`);
    }
    await service.kill();
    return appliedNotCommitted();
  }

  /** Publishes the scenario in delivery order while the service consumes; resolves with what was produced. */
  async function publishScenario(): Promise<{ predictions: number; labels: number }> {
    const client = new DriftwatchClient({ bus: clients.bus, topics });
    let predictions: PredictionRecord[] = [];
    let labels: LabelRecord[] = [];
    let produced = { predictions: 0, labels: 0 };
    const flush = async (): Promise<void> => {
      await Promise.all([predictions.length > 0 && client.logPredictions(predictions), labels.length > 0 && client.logLabels(labels)]);
      produced = { predictions: produced.predictions + predictions.length, labels: produced.labels + labels.length };
      predictions = [];
      labels = [];
    };
    for (const delivery of scenarioDeliveries(scenario)) {
      if (delivery.kind === 'prediction') predictions.push(delivery.record);
      else labels.push(delivery.record);
      if (predictions.length + labels.length >= PUBLISH_BATCH) await flush();
    }
    await flush();
    return produced;
  }

  it('counts every prediction and label exactly once across three SIGKILLs and restarts', { timeout: 300_000 }, async () => {
    const started = Date.now();
    const start = (): ServiceProcess => {
      const running = startServiceProcess('performance', serviceEnv);
      processes.push(running);
      return running;
    };
    let service = start();
    const publishing = publishScenario();
    // A publish failure must fail the test, not surface as an unhandled rejection later.
    publishing.catch(() => undefined);

    const countedAtKill: number[] = [];
    const redeliveredAfterKill: number[] = [];
    for (const share of KILL_AT) {
      const counted = await until(`${share * 100}% of the predictions counted`, coverage, (c) => (c.n ?? 0) >= share * PREDICTIONS, 150_000, service);
      redeliveredAfterKill.push(await killAtWorstMoment(service));
      countedAtKill.push(counted.n ?? 0);
      service = start();
    }
    const produced = await publishing;
    const publishedAfter = Date.now() - started;
    expect(produced.predictions).toBe(PREDICTIONS);

    await waitForGroupCaughtUp(clients.admin, group, [topics.predictions, topics.labels], 150_000);
    const caughtUpAfter = Date.now() - started;

    // Each kill landed mid-stream: work was counted before it and remained after it.
    for (const counted of countedAtKill) expect(counted).toBeLessThan(PREDICTIONS);
    // Some kill left applied work uncommitted, so a restart had to fence a redelivery.
    expect(redeliveredAfterKill.some((partitions) => partitions > 0), `partitions redelivered: ${redeliveredAfterKill.join(', ')}`).toBe(true);
    expect(service.child.exitCode).toBeNull();

    const final = await coverage();
    expect(final.n).toBe(produced.predictions);
    expect(final.l).toBe(produced.labels);

    const perf = await clients.state.readBuckets(model, perfFamily(VERSION), firstBucket, bucketsEnd, bucketMs);
    const confusionCells = Object.entries(perf).filter(([field]) => splitField(field)[0] === 'c');
    expect(confusionCells.length).toBeGreaterThan(0);
    expect(confusionCells.reduce((sum, [, count]) => sum + count, 0)).toBe(produced.labels);

    expect(await service.stop()).toBe(0);
    console.info(
      `crash test: ${produced.predictions} predictions + ${produced.labels} labels; killed at n=${countedAtKill.join(', ')} ` +
        `with ${redeliveredAfterKill.join(', ')} partitions applied but uncommitted; ` +
        `published after ${publishedAfter} ms, caught up after ${caughtUpAfter} ms`,
    );
  });
});
