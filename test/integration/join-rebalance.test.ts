// Issue 8's rebalance test: the prediction/label join lives in the performance service's
// memory, so every change of membership moves join state between processes. Three performance
// service processes join and leave one consumer group while a 200,000-prediction scenario
// (with its labels) flows: A from the start, B at ~20%, C at ~40% (SIGKILLed the moment it
// logs that it rebuilds a partition from the log, so its partitions move on mid-rebuild),
// B stopped gracefully at ~70%, C' at ~85%, then A stopped, so C' finishes the stream alone.
// Afterwards the windows in Redis must hold every prediction, every label and one outcome per
// label, exactly: a rebuild that started past the recorded cut loses pending predictions (labels
// then go unjoined), one that applies replayed events again counts them twice. And a member
// handed partitions must move them on, not only re-read them: B handles more events than all
// its rebuilds re-read, and the group catches up with C' as its only member.
//
// Membership changes only take effect once the new member is handed a batch, so while the
// test waits for one it keeps publishing in small chunks: events flow through every change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMonitoringConfig, resolveModelConfig } from '../../shared/config/monitoring-config.js';
import { covFamily, perfFamily } from '../../shared/monitor/performance.js';
import { defaultGroupId, PERFORMANCE_GROUP } from '../../shared/pipeline/services.js';
import { DriftwatchClient } from '../../shared/sdk/index.js';
import type { LabelRecord, PredictionRecord } from '../../shared/sdk/records.js';
import { predictionTime, resolveScenarioOptions, scenarioDeliveries, type Delivery } from '../../shared/sim/scenario.js';
import { splitField } from '../../shared/stats/window/counters.js';
import { topicNames } from '../../shared/topics.js';
import { kafkaBrokers, redisUrl, uniqueName } from '../setup/env.js';
import { groupLag, waitForGroupCaughtUp } from '../support/kafka-progress.js';
import { httpGet } from '../support/http-get.js';
import { connectKafkaAndRedis, type KafkaAndRedisClients } from '../support/kafka-redis-clients.js';
import { captureOutput, type CapturedOutput } from '../support/process-output.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';
import { until } from '../support/until.js';

const PREDICTIONS = 200_000;
const PARTITIONS = 6;
const VERSION = '1';
/** Deliveries per publish call while nothing waits: the producer must not bound the run. */
const PUBLISH_CHUNK = 10_000;
/** While a membership change is awaited: small chunks, so events keep flowing but few go by. */
const TRICKLE_CHUNK = 500;
const TRICKLE_PAUSE_MS = 100;
const MEMBERSHIP_TIMEOUT_MS = 60_000;
/** How long a member that was handed partitions may take to handle more than it re-read. */
const LIVENESS_TIMEOUT_MS = 30_000;
/** What the services log (join-partitions.ts) when a partition's state is re-read from its cut. */
const REBUILD_LINE = 'join: rebuilding the partition from the log';
/** Either join line: the member was handed a partition's first batch since its assignment. */
const JOIN_LINE = '"msg":"join: ';

const prefix = `${uniqueName('rebalance')}.`;
const topics = topicNames(prefix);
const model = uniqueName('rebalance-model');
const scenario = resolveScenarioOptions({
  model,
  modelVersion: VERSION,
  seed: 8,
  count: PREDICTIONS,
  // 1,000 s of event time; labels 5–60 s after their prediction, well within the horizon.
  eventsPerSecond: 200,
  unlabelledShare: 0.1,
});
// A small label horizon keeps each rebuild short (it re-reads one horizon before the progress).
const monitoringJson = JSON.stringify({ models: { [model]: { task: 'binary', positiveLabel: 'yes', labelHorizonMs: '90s' } } });
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
  // The join's rebuild lines are info.
  LOG_LEVEL: 'info',
  LOG_FORMAT: 'json',
  // A killed member's partitions move after its session expires: 6 s instead of 30 s.
  KAFKA_SESSION_TIMEOUT_MS: '6000',
};

interface Instance {
  name: string;
  process: ServiceProcess;
  output: CapturedOutput;
}

/** The scenario's deliveries handed out in chunks, published through the SDK; counts what was produced. */
class ChunkedPublisher {
  private readonly deliveries: Iterator<Delivery> = scenarioDeliveries(scenario);
  private done = false;
  produced = { predictions: 0, labels: 0 };

  constructor(private readonly client: DriftwatchClient) {}

  get finished(): boolean {
    return this.done;
  }

  get share(): number {
    return this.produced.predictions / PREDICTIONS;
  }

  async publishChunk(size: number): Promise<void> {
    const predictions: PredictionRecord[] = [];
    const labels: LabelRecord[] = [];
    while (predictions.length + labels.length < size) {
      const next = this.deliveries.next();
      if (next.done) {
        this.done = true;
        break;
      }
      if (next.value.kind === 'prediction') predictions.push(next.value.record);
      else labels.push(next.value.record);
    }
    await Promise.all([predictions.length > 0 && this.client.logPredictions(predictions), labels.length > 0 && this.client.logLabels(labels)]);
    this.produced = { predictions: this.produced.predictions + predictions.length, labels: this.produced.labels + labels.length };
  }

  /** Full speed until `share` of the predictions went out; 1: everything, with the labels after the last prediction. */
  async until(share: number): Promise<void> {
    while (!this.done && (share >= 1 || this.share < share)) await this.publishChunk(PUBLISH_CHUNK);
  }

  /** Keeps events flowing in small chunks until `awaited` settles (then returns its value). */
  async while<T>(what: string, awaited: Promise<T>): Promise<T> {
    let settled = false;
    const result = awaited.finally(() => (settled = true));
    // Rejected while this loop sleeps is not unhandled: it is returned below.
    result.catch(() => undefined);
    const deadline = Date.now() + MEMBERSHIP_TIMEOUT_MS;
    while (!settled) {
      if (Date.now() > deadline) throw new Error(`timed out publishing while waiting for ${what}`);
      if (!this.done) await this.publishChunk(TRICKLE_CHUNK);
      await new Promise((resolve) => setTimeout(resolve, TRICKLE_PAUSE_MS));
    }
    return result;
  }
}

/** Resolves once `instance` logged `text` on stdout; rejects if it exits first or after the timeout. */
function logged(instance: Instance, text: string): Promise<void> {
  return instance.output.waitFor(text, MEMBERSHIP_TIMEOUT_MS);
}

/**
 * SIGKILLs the process in the same data event that carries its first rebuild line: nothing of
 * the test's own scheduling lies between the line and the kill. Resolves with the line's fields.
 */
function killOnFirstRebuild(instance: Instance): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let pending = '';
    const onData = (chunk: Buffer): void => {
      pending += chunk.toString();
      const line = pending.split('\n').find((l) => l.includes(REBUILD_LINE));
      if (line === undefined) return;
      instance.process.child.kill('SIGKILL');
      instance.process.child.stdout!.off('data', onData);
      resolve(JSON.parse(line) as Record<string, unknown>);
    };
    instance.process.child.stdout!.on('data', onData);
    void instance.process.exited.then((code) => reject(new Error(`${instance.name} exited (${code}) before it rebuilt a partition:\n${instance.output.stdout()}`)));
  });
}

/** Messages the instance handled (driftwatch_events_consumed_total, both topics), read from its ops server. */
async function eventsHandled(instance: Instance): Promise<number> {
  const listening = instance.output.logLines().find((line) => typeof line.msg === 'string' && line.msg.startsWith('ops server listening'));
  if (listening === undefined) throw new Error(`${instance.name} logged no ops port:\n${instance.output.stdout()}`);
  const { body } = await httpGet(Number(listening.port), '/metrics');
  let total = 0;
  for (const match of body.matchAll(/^driftwatch_events_consumed_total\{[^}]*\} (\S+)$/gm)) total += Number(match[1]);
  return total;
}

/** At most what the instance's rebuilds re-read: per rebuild line, the recorded offsets from its cut up to the progress. */
function rebuildReadsAtMost(instance: Instance): number {
  let total = 0;
  for (const line of instance.output.logLines()) {
    if (line.msg === REBUILD_LINE && typeof line.from === 'number' && typeof line.progress === 'number') total += line.progress - line.from;
  }
  return total;
}

describe('performance service rebalance (three instances join and leave during a 200,000-prediction run)', () => {
  let clients: KafkaAndRedisClients;
  const instances: Instance[] = [];

  beforeAll(async () => {
    clients = await connectKafkaAndRedis('rebalance-test', topics, PARTITIONS);
  });

  afterAll(async () => {
    for (const { process } of instances) await process.kill();
    await clients?.close();
  });

  const start = (name: string): Instance => {
    const process = startServiceProcess('performance', serviceEnv);
    const instance = { name, process, output: captureOutput(process) };
    instances.push(instance);
    return instance;
  };
  const coverage = (): Promise<Record<string, number>> => clients.state.readBuckets(model, covFamily(VERSION), firstBucket, bucketsEnd, bucketMs);
  const counted = async (): Promise<number> => (await coverage()).n ?? 0;
  const rebuildsLogged = (): number => instances.reduce((sum, { output }) => sum + output.stdout().split(REBUILD_LINE).length - 1, 0);

  it('counts every prediction, label and outcome exactly once across joins, a kill mid-rebuild and a leave', { timeout: 300_000 }, async () => {
    const started = Date.now();
    const publisher = new ChunkedPublisher(new DriftwatchClient({ bus: clients.bus, topics }));
    const steps: string[] = [];
    const step = async (what: string): Promise<void> => {
      steps.push(`${what} at ${Math.round(publisher.share * 100)}% produced, ${await counted()} counted`);
    };

    const a = start('A');
    await publisher.until(0.2);
    await publisher.while('A to read its partitions', logged(a, JOIN_LINE));

    const b = start('B');
    await step('B starts');
    await publisher.while('B to be handed a partition', logged(b, JOIN_LINE));

    await publisher.until(0.4);
    const c = start('C');
    await step('C starts');
    const killedAt = await publisher.while('C to rebuild a partition', killOnFirstRebuild(c));
    await c.process.exited;
    await step(`C killed rebuilding ${String(killedAt.topic)}[${String(killedAt.partition)}] from ${String(killedAt.from)} (progress ${String(killedAt.progress)})`);
    expect(c.process.child.signalCode).toBe('SIGKILL');

    await publisher.until(0.7);
    await step('B stops');
    // B moves its partitions on, not only re-reads them: it handles more events than all its
    // rebuilds could have re-read (a member stuck rebuilding never gets past that).
    const bWork = await publisher.while(
      'B to move its partitions on',
      until(
        'B to handle more events than its rebuilds re-read',
        async () => ({ handled: await eventsHandled(b), rebuildReads: rebuildReadsAtMost(b) }),
        (work) => work.handled > work.rebuildReads,
        LIVENESS_TIMEOUT_MS,
        b.process,
      ),
    );
    expect(await publisher.while('B to leave', b.process.stop())).toBe(0);

    await publisher.until(0.85);
    const cAgain = start("C'");
    await step("C' starts");
    await publisher.while("C' to be handed a partition", logged(cAgain, JOIN_LINE));
    await step('A stops');
    expect(await publisher.while('A to leave', a.process.stop())).toBe(0);

    await publisher.until(1);
    const { produced } = publisher;
    const publishedAfter = Date.now() - started;
    expect(produced.predictions).toBe(PREDICTIONS);

    // C' alone: a member that took over partitions must be able to finish them.
    await waitForGroupCaughtUp(clients.admin, group, [topics.predictions, topics.labels], 120_000);
    // Caught up in Kafka means committed, and a commit follows its apply: the counts are final.
    // Two reads a second apart that agree show they settled.
    let final = await coverage();
    await until(
      'the coverage counts to settle',
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        const previous = final;
        final = await coverage();
        return JSON.stringify(previous) === JSON.stringify(final);
      },
      (settled) => settled,
      30_000,
    );
    const caughtUpAfter = Date.now() - started;

    expect(cAgain.process.child.exitCode).toBeNull();
    expect(await groupLag(clients.admin, group, [topics.predictions, topics.labels])).toBe(0);

    expect(final.n).toBe(produced.predictions);
    expect(final.l).toBe(produced.labels);

    const perf = await clients.state.readBuckets(model, perfFamily(VERSION), firstBucket, bucketsEnd, bucketMs);
    const confusionCells = Object.entries(perf).filter(([field]) => splitField(field)[0] === 'c');
    expect(confusionCells.length).toBeGreaterThan(0);
    expect(confusionCells.reduce((sum, [, count]) => sum + count, 0)).toBe(produced.labels);

    // Every label joined its prediction: nothing was dead-lettered.
    const dlqEnds = await clients.admin.fetchTopicOffsets(topics.dlq);
    expect(dlqEnds.reduce((sum, { high }) => sum + Number(high), 0)).toBe(0);

    const rebuilds = rebuildsLogged();
    // C's and the rebalances' rebuilds at least: each join and leave moved partitions.
    expect(rebuilds).toBeGreaterThan(PARTITIONS);
    expect(await cAgain.process.stop()).toBe(0);
    console.info(
      `rebalance test: ${produced.predictions} predictions + ${produced.labels} labels through 4 instance runs (A, B, C killed mid-rebuild, C'); ` +
        `${rebuilds} partition rebuilds logged; B handled ${bWork.handled} events (rebuilds re-read ≤ ${bWork.rebuildReads}); published after ${publishedAfter} ms, caught up after ${caughtUpAfter} ms; ${steps.join('; ')}`,
    );
  });
});
