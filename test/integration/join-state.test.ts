// The performance service's in-memory join on real Kafka and Redis (issue 8): a second instance
// rebuilds, from the cut recorded beside the progress, exactly the join state the first held, and
// a join that reaches its memory budget says so and keeps counting.
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import { parseMonitoringConfig } from '../../shared/config/monitoring-config.js';
import { loadRuntimeConfig } from '../../shared/config/runtime-config.js';
import type { JoinStateView } from '../../shared/join/partition-join.js';
import { createLogger } from '../../shared/log/logger.js';
import { covFamily } from '../../shared/monitor/performance.js';
import { RedisMonitorState } from '../../shared/monitor-state/redis-monitor-state.js';
import type { PerformancePipeline } from '../../shared/pipeline/performance-pipeline.js';
import { defaultGroupId, PERFORMANCE_GROUP, startPerformanceService } from '../../shared/pipeline/services.js';
import { progressKey } from '../../shared/runtime/redis-progress.js';
import type { ServiceHandle } from '../../shared/runtime/run-service.js';
import { DriftwatchClient } from '../../shared/sdk/index.js';
import { generateScenario } from '../../shared/sim/scenario.js';
import { topicNames, topicSpecs } from '../../shared/topics.js';
import { kafkaBrokerList, kafkaBrokers, redisUrl, uniqueName } from '../setup/env.js';
import { httpGet } from '../support/http-get.js';
import { waitForGroupCaughtUp } from '../support/kafka-progress.js';
import { FAST_CONSUMER } from '../support/monitor-fixtures.js';
import { until } from '../support/until.js';

const PARTITIONS = 2;
const VERSION = '1';
const logger = createLogger('join-state-test', { level: process.env.TEST_LOG_LEVEL ?? 'silent' });

interface Setup {
  prefix: string;
  model: string;
  monitoring: ReturnType<typeof parseMonitoringConfig>;
}

function setup(name: string, modelConfig: Record<string, unknown>): Setup {
  const prefix = `${uniqueName(name)}.`;
  const model = uniqueName(`${name}-model`);
  return { prefix, model, monitoring: parseMonitoringConfig({ models: { [model]: { task: 'binary', positiveLabel: 'yes', ...modelConfig } } }) };
}

async function start(s: Setup, env: Record<string, string> = {}): Promise<{ handle: ServiceHandle; pipeline: PerformancePipeline }> {
  const config = loadRuntimeConfig({
    DW_MODE: 'distributed', KAFKA_BROKERS: kafkaBrokers(), REDIS_URL: redisUrl(),
    DW_TOPIC_PREFIX: s.prefix, DW_TOPIC_PARTITIONS: String(PARTITIONS), LOG_LEVEL: 'silent', ...env,
  });
  let pipeline: PerformancePipeline | undefined;
  const handle = await startPerformanceService({
    config, monitoring: s.monitoring, logger, kafkaConsumer: FAST_CONSUMER, http: { port: 0, host: '127.0.0.1' },
    onPipeline: (p) => (pipeline = p as PerformancePipeline),
  });
  return { handle, pipeline: pipeline! };
}

/** In chunks: one publish of everything would exceed the broker's request size. */
async function inChunks<T>(records: readonly T[], publish: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < records.length; i += 5_000) await publish(records.slice(i, i + 5_000));
}

/** Every model's reachable join state per partition. */
function joinViews(pipeline: PerformancePipeline): Record<string, JoinStateView> {
  const views: Record<string, JoinStateView> = {};
  for (let partition = 0; partition < PARTITIONS; partition++) {
    for (const [model, entry] of pipeline.joinOf(partition)?.models ?? []) views[`${partition}/${model}`] = entry.join.view();
  }
  return views;
}

describe('the in-memory join on real Kafka and Redis', () => {
  let bus: KafkaBus;
  let admin: Admin;
  let state: RedisMonitorState;
  const stops: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    bus = await KafkaBus.connect({ brokers: kafkaBrokerList(), logger });
    admin = new Kafka({ brokers: kafkaBrokerList(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    state = await RedisMonitorState.connect(redisUrl());
  });

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await state?.close();
    await admin?.disconnect();
    await bus?.close();
  });

  it('rebuilds from the recorded cut exactly the state the previous instance held', { timeout: 120_000 }, async () => {
    // 400 s of event time against a 60 s label horizon: the cut lies well inside the log.
    const s = setup('join-rebuild', { labelHorizonMs: 60_000 });
    const topics = topicNames(s.prefix);
    await bus.ensureTopics(topicSpecs(topics, PARTITIONS));
    const scenario = generateScenario({ model: s.model, modelVersion: VERSION, seed: 12, count: 20_000, eventsPerSecond: 50, labelDelayMs: [1_000, 40_000], unlabelledShare: 0.2 });
    const group = defaultGroupId(s.prefix, PERFORMANCE_GROUP);
    const coverage = (): Promise<Record<string, number>> =>
      state.readBuckets(s.model, covFamily(VERSION), scenario.parameters.startTime - 10_000, scenario.parameters.startTime + 500_000, 10_000);

    const first = await start(s);
    stops.push(() => first.handle.stop());
    // Labels later than the last prediction stay unpublished: some predictions are still pending at the end.
    const lastPrediction = Number(scenario.predictions.at(-1)!.time);
    const client = new DriftwatchClient({ bus, topics });
    await inChunks(scenario.predictions, (chunk) => client.logPredictions(chunk));
    await inChunks(scenario.labels.filter((l) => Number(l.time) <= lastPrediction), (chunk) => client.logLabels(chunk));
    await waitForGroupCaughtUp(admin, group, [topics.predictions, topics.labels], 60_000);
    const before = joinViews(first.pipeline);
    const counted = await coverage();
    await first.handle.stop();

    const cuts = await state.client.hgetall(progressKey(group));
    const cutOffsets = Object.entries(cuts).filter(([field]) => field.startsWith('from|')).map(([, offset]) => Number(offset));
    expect(cutOffsets).toHaveLength(2 * PARTITIONS);
    // The rebuild reads a label horizon and more back, not the whole log.
    expect(Math.min(...cutOffsets)).toBeGreaterThan(0);

    const second = await start(s);
    stops.push(() => second.handle.stop());
    await until(
      'the rebuilt join at the same offsets',
      async () => joinViews(second.pipeline),
      (views) => Object.keys(before).every((key) => views[key]?.nextPrediction === before[key]!.nextPrediction && views[key]?.nextLabel === before[key]!.nextLabel),
      60_000,
    );
    const after = joinViews(second.pipeline);
    expect(after).toEqual(before);
    const pending = Object.values(before).reduce((sum, view) => sum + view.pending.filter((p) => !p.joined).length, 0);
    expect(pending).toBeGreaterThan(100);
    // Replaying counted nothing again, and nothing is left waiting for a replay.
    expect(await coverage()).toEqual(counted);
    const metrics = (await httpGet(second.handle.port!, '/metrics')).body;
    expect(/^driftwatch_join_deferred_events\{[^}]*\} (\d+)/m.exec(metrics)?.[1]).toBe('0');
    expect(counted.n).toBe(scenario.predictions.length);
  });

  it('past its memory budget, counts the oldest pending predictions as unlabelled, says so and keeps counting', { timeout: 120_000 }, async () => {
    const s = setup('join-budget', { labelHorizonMs: 3_600_000 });
    const topics = topicNames(s.prefix);
    await bus.ensureTopics(topicSpecs(topics, PARTITIONS));
    // 40,000 pending predictions need ~2.3 MiB; the budget is 1 MiB.
    const scenario = generateScenario({ model: s.model, modelVersion: VERSION, seed: 13, count: 40_000, eventsPerSecond: 100, unlabelledShare: 0 });
    const running = await start(s, { DW_PENDING_BUDGET_MB: '1' });
    stops.push(() => running.handle.stop());
    const client = new DriftwatchClient({ bus, topics });
    await inChunks(scenario.predictions, (chunk) => client.logPredictions(chunk));
    // Labels of the newest 500 predictions only: those are still held and join.
    const newest = new Set(scenario.predictions.slice(-500).map((p) => p.id));
    await client.logLabels(scenario.labels.filter((l) => newest.has(l.predictionId)));
    await waitForGroupCaughtUp(admin, defaultGroupId(s.prefix, PERFORMANCE_GROUP), [topics.predictions, topics.labels], 60_000);

    const cov = await until(
      'every prediction and the 500 labels counted',
      () => state.readBuckets(s.model, covFamily(VERSION), scenario.parameters.startTime - 10_000, scenario.parameters.startTime + 500_000, 10_000),
      (c) => c.n === 40_000 && c.l === 500,
      30_000,
    );
    expect(cov).toMatchObject({ n: 40_000, l: 500 });
    const metrics = (await httpGet(running.handle.port!, '/metrics')).body;
    const evicted = Number(/^driftwatch_join_budget_evicted_total\{[^}]*\} (\d+)/m.exec(metrics)?.[1]);
    expect(evicted).toBeGreaterThan(20_000);
    const held = Number(/^driftwatch_join_pending_bytes\{[^}]*\} (\d+)/m.exec(metrics)?.[1]);
    expect(held).toBeLessThanOrEqual(2 ** 20);
    const ready = await httpGet(running.handle.port!, '/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body).checks.joinMemory.detail).toMatch(/join memory budget of 1 MiB reached .*pending predictions counted as unlabelled/);
  });
});
