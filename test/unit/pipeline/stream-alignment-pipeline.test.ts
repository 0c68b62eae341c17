// The performance pipeline on a co-partitioned MemoryBus reading a catch-up whose labels run
// ahead of their predictions in event time (stream-alignment.ts): holding the labels back changes
// no outcome, keeps the labels waiting for their prediction few, and reads both streams to their end.
import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../../../shared/bus/memory-bus.js';
import type { Batch, BatchContext } from '../../../shared/bus/types.js';
import { Codec, type Label, type Prediction } from '../../../shared/codec/index.js';
import { parseMonitoringConfig } from '../../../shared/config/monitoring-config.js';
import { loadRuntimeConfig } from '../../../shared/config/runtime-config.js';
import { createLogger } from '../../../shared/log/logger.js';
import { covFamily, perfFamily } from '../../../shared/monitor/performance.js';
import { MemoryMonitorState } from '../../../shared/monitor-state/memory-monitor-state.js';
import type { PerfDeltaBatch } from '../../../shared/monitor-state/types.js';
import { PerformancePipeline } from '../../../shared/pipeline/performance-pipeline.js';
import { createServiceMetrics } from '../../../shared/runtime/metrics.js';
import type { DeadLetterFailure } from '../../../shared/runtime/dead-letters.js';
import type { ServiceContext } from '../../../shared/runtime/run-service.js';
import { topicNames } from '../../../shared/topics.js';

const NOW = Date.UTC(2026, 11, 1);
const MODEL = 'churn';
const PARTITIONS = 2;
const PREDICTIONS = 6_000;
const STEP_MS = 100;
const START = NOW - 3_600_000;
const BUCKET_MS = 10_000;
const topics = topicNames('dw.');

function prediction(i: number): Prediction {
  return {
    id: `p-${i}`, model: MODEL, modelVersion: '1', eventTime: START + i * STEP_MS,
    numericFeatures: {}, categoricalFeatures: {}, booleanFeatures: {}, missingFeatures: [],
    predictedClass: i % 3 ? 'yes' : 'no', predictedValue: null, classProbabilities: {}, segments: {},
  };
}

/** Every other prediction gets a label, a second after it: a labels batch spans twice the event time of a predictions batch. */
function labelOf(p: Prediction, i: number, delayMs = 1_000): Label {
  return { predictionId: p.id, model: p.model, eventTime: p.eventTime + delayMs, trueClass: i % 5 ? 'yes' : 'no', trueValue: null };
}

/** A state whose `failAt`-th apply of a predictions batch throws once: that partition's join is rebuilt from the log. */
class FailingState extends MemoryMonitorState {
  private predictionApplies = 0;
  failed = false;
  constructor(private readonly failAt: number) {
    super();
  }
  override async applyPerfDeltas(batch: PerfDeltaBatch) {
    if (batch.expected !== null && batch.source.topic === topics.predictions && ++this.predictionApplies === this.failAt) {
      this.failed = true;
      throw new Error('Connection is closed.');
    }
    return super.applyPerfDeltas(batch);
  }
}

interface Run {
  buckets: Record<string, number>[];
  letters: number;
  pauses: number;
  peakWaiting: number;
  read: { predictions: number; labels: number };
}

/**
 * `markerAfterPredictions`: every predictions batch reports one more offset to come than it holds,
 * as a partition whose log ends in a transaction marker does (the consumer never gets it).
 */
async function run(labelsLeadMs: number, failAt = Infinity, options: { markerAfterPredictions?: boolean; labelsReleaseAfterMs?: number; labelDelayMs?: number } = {}): Promise<Run & { failed: boolean; heldAtFailure: number | undefined }> {
  const state = new FailingState(failAt);
  const letters: DeadLetterFailure[] = [];
  const metrics = createServiceMetrics('alignment-test');
  const service = {
    name: 'performance',
    config: loadRuntimeConfig({ DW_TOPIC_PARTITIONS: String(PARTITIONS) }),
    logger: createLogger('alignment-test', { level: 'silent' }),
    bus: { publish: async () => undefined },
    store: { mode: 'embedded', keyspace: state.keyspace },
    codec: new Codec({ validation: { now: () => NOW } }),
    topics,
    metrics,
    deadLetters: { publish: async (failures: readonly DeadLetterFailure[]) => void letters.push(...failures) },
    // Decoding is not under test: the messages carry their events as JSON.
    decodeOrDeadLetter: async (batch: Batch) => batch.messages.map((message) => ({ message, event: JSON.parse(message.value!.toString()) })),
  } as unknown as ServiceContext;
  const pipeline = new PerformancePipeline({
    service,
    state,
    config: parseMonitoringConfig({}),
    groupId: 'g',
    labelsLeadMs,
    ...(options.labelsReleaseAfterMs !== undefined ? { labelsReleaseAfterMs: options.labelsReleaseAfterMs } : {}),
  });

  const bus = new MemoryBus({ maxBatchMessages: 100, retryInitialMs: 5 });
  await bus.ensureTopics([
    { topic: topics.predictions, partitions: PARTITIONS },
    { topic: topics.labels, partitions: PARTITIONS },
  ]);
  const predictions = Array.from({ length: PREDICTIONS }, (_, i) => prediction(i));
  const labels = predictions.filter((_, i) => i % 2 === 0).map((p, i) => labelOf(p, i, options.labelDelayMs));
  // A catch-up: everything is in the log before the service starts.
  await bus.publish(topics.predictions, predictions.map((p) => ({ key: p.id, value: Buffer.from(JSON.stringify(p)), timestamp: p.eventTime })));
  await bus.publish(topics.labels, labels.map((l) => ({ key: l.predictionId, value: Buffer.from(JSON.stringify(l)), timestamp: l.eventTime })));

  // What run-service records in Redis beside each batch (redis-progress.ts), for startOffset.
  const progress = new Map<string, { recorded?: number; from?: number }>();
  const progressOf = (topic: string, partition: number) => {
    const key = `${topic}|${partition}`;
    if (!progress.has(key)) progress.set(key, {});
    return progress.get(key)!;
  };
  /** Read through these offsets, per topic-partition (a rebuild reads some again). */
  const readThrough = new Map<string, number>();
  const read = { predictions: 0, labels: 0 };
  let peakWaiting = 0;
  let failure: unknown = null;
  let heldAtFailure: number | undefined;
  const subscription = await bus.subscribe({
    groupId: 'g',
    topics: [topics.predictions, topics.labels],
    coPartitioned: true,
    onAssigned: (assignment) => pipeline.rebuild.assigned!(assignment),
    startOffset: async (start) => {
      const { recorded, from } = progressOf(start.topic, start.partition);
      return pipeline.rebuild.startOffset(start, { next: recorded === undefined ? null : recorded + 1, from: from ?? null });
    },
    handler: async (batch: Batch, ctx: BatchContext) => {
      try {
        const marked = options.markerAfterPredictions && batch.topic === topics.predictions;
        await pipeline.handleBatch(marked ? { ...batch, highWatermark: batch.lastOffset + 2 } : batch, ctx);
      } catch (error) {
        failure = error;
        heldAtFailure ??= (await metrics.registry.getSingleMetric('driftwatch_stream_paused_partitions')!.get()).values[0]?.value ?? 0;
        throw error;
      }
      progressOf(batch.topic, batch.partition).recorded = pipeline.rebuild.appliedThrough(batch);
      for (const [topic, from] of Object.entries(pipeline.rebuild.rebuildFrom(batch))) progressOf(topic, batch.partition).from = from;
      const key = `${batch.topic}|${batch.partition}`;
      const fresh = batch.messages.filter((m) => m.offset > (readThrough.get(key) ?? -1)).length;
      readThrough.set(key, Math.max(readThrough.get(key) ?? -1, batch.lastOffset));
      read[batch.topic === topics.labels ? 'labels' : 'predictions'] += fresh;
      for (let partition = 0; partition < PARTITIONS; partition++) {
        const waiting = pipeline.joinOf(partition)?.models.get(MODEL)?.join.view().waiting.length ?? 0;
        peakWaiting = Math.max(peakWaiting, waiting);
      }
    },
  });
  const deadline = Date.now() + 20_000;
  while (read.predictions < predictions.length || read.labels < labels.length) {
    if (failure !== null && !state.failed) throw failure;
    if (Date.now() > deadline) throw new Error(`not read to the end: ${JSON.stringify(read)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await subscription.stop();
  await bus.close();
  await pipeline.background.idle();

  const buckets: Record<string, number>[] = [];
  for (let start = START; start < START + PREDICTIONS * STEP_MS + 10_000; start += BUCKET_MS) {
    buckets.push(await state.readBuckets(MODEL, covFamily('1'), start, start + BUCKET_MS, BUCKET_MS));
    buckets.push(await state.readBuckets(MODEL, perfFamily('1'), start, start + BUCKET_MS, BUCKET_MS));
  }
  const pauses = (await metrics.registry.getSingleMetric('driftwatch_stream_paused_total')!.get()).values[0]?.value ?? 0;
  return { buckets, letters: letters.length, pauses, peakWaiting, read, failed: state.failed, heldAtFailure };
}

describe('PerformancePipeline reading predictions and labels aligned', () => {
  it('counts what it counts without alignment, holds the labels back, keeps few labels waiting, and reads both streams to their end', async () => {
    const unaligned = await run(Infinity);
    const aligned = await run(0);
    expect(aligned.read).toEqual({ predictions: PREDICTIONS, labels: PREDICTIONS / 2 });
    expect(unaligned.pauses).toBe(0);
    expect(aligned.pauses).toBeGreaterThan(10);
    // The same outcomes, bucket by bucket, and something was counted.
    expect(aligned.buckets).toEqual(unaligned.buckets);
    expect(aligned.letters).toBe(unaligned.letters);
    const labelled = aligned.buckets.reduce((n, bucket) => n + (bucket.l ?? 0), 0);
    expect(labelled).toBe(PREDICTIONS / 2);
    // Without alignment the labels run ahead until they end, half of a partition's waiting at
    // once (751 measured); aligned, at most the one batch read before the pause (95 measured).
    expect(unaligned.peakWaiting).toBeGreaterThan(500);
    expect(aligned.peakWaiting).toBeLessThanOrEqual(100);
  }, 60_000);

  it('lets held labels go when the predictions report a backlog that never comes (a log ending in a transaction marker)', async () => {
    // Labels a minute after their prediction: the last few batches of labels lie beyond every prediction.
    const unaligned = await run(Infinity, Infinity, { labelDelayMs: 60_000 });
    // Without the release those labels would stay held: not read to the end.
    const marked = await run(0, Infinity, { markerAfterPredictions: true, labelsReleaseAfterMs: 50, labelDelayMs: 60_000 });
    expect(marked.pauses).toBeGreaterThan(10);
    expect(marked.read).toEqual({ predictions: PREDICTIONS, labels: PREDICTIONS / 2 });
    expect(marked.buckets).toEqual(unaligned.buckets);
  }, 60_000);

  it('rebuilds a partition whose labels are held back (a failed apply) and still counts exactly what it counts without alignment', async () => {
    const unaligned = await run(Infinity);
    // The 20th predictions apply: well into the catch-up, with the labels held back by then.
    const rebuilt = await run(0, 20);
    expect(rebuilt.failed).toBe(true);
    expect(rebuilt.heldAtFailure).toBeGreaterThanOrEqual(1);
    expect(rebuilt.pauses).toBeGreaterThan(10);
    expect(rebuilt.read).toEqual({ predictions: PREDICTIONS, labels: PREDICTIONS / 2 });
    expect(rebuilt.buckets).toEqual(unaligned.buckets);
    expect(rebuilt.letters).toBe(unaligned.letters);
  }, 60_000);
});
