// Partitions consumed concurrently (DW_PARTITIONS_CONCURRENTLY): a model's events are spread
// over every partition, so batches of different partitions may carry the same model. One
// model's apply + evaluation must never run concurrently (KeyedSerializer), while another
// model's work goes on beside it; every prediction is still counted once.
import { describe, expect, it } from 'vitest';
import type { Batch, BusMessage } from '../../../shared/bus/types.js';
import { Codec, type Prediction } from '../../../shared/codec/index.js';
import { parseMonitoringConfig } from '../../../shared/config/monitoring-config.js';
import { loadRuntimeConfig } from '../../../shared/config/runtime-config.js';
import { createLogger } from '../../../shared/log/logger.js';
import { covFamily } from '../../../shared/monitor/performance.js';
import { MemoryMonitorState } from '../../../shared/monitor-state/memory-monitor-state.js';
import type { AdvanceRequest, PerfDeltaBatch } from '../../../shared/monitor-state/types.js';
import { PerformancePipeline } from '../../../shared/pipeline/performance-pipeline.js';
import { createServiceMetrics } from '../../../shared/runtime/metrics.js';
import type { ServiceContext } from '../../../shared/runtime/run-service.js';
import { topicNames } from '../../../shared/topics.js';

const NOW = Date.UTC(2026, 11, 1);
const TOPIC = 'dw.predictions';
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A MemoryMonitorState whose applies and advances take a while and record how many of each model overlap. */
class OverlapState extends MemoryMonitorState {
  private readonly active = new Map<string, number>();
  private all = 0;
  maxPerModel = 0;
  maxOverall = 0;

  private async busy<T>(model: string, work: () => Promise<T>): Promise<T> {
    this.active.set(model, (this.active.get(model) ?? 0) + 1);
    this.all += 1;
    this.maxPerModel = Math.max(this.maxPerModel, this.active.get(model)!);
    this.maxOverall = Math.max(this.maxOverall, this.all);
    try {
      await pause(5);
      return await work();
    } finally {
      this.active.set(model, this.active.get(model)! - 1);
      this.all -= 1;
    }
  }
  override applyPerfDeltas(batch: PerfDeltaBatch) {
    return this.busy(batch.model, () => super.applyPerfDeltas(batch));
  }
  override advance(request: AdvanceRequest) {
    return this.busy(request.model, () => super.advance(request));
  }
}

function prediction(model: string, i: number): Prediction {
  return {
    id: `${model}-${i}`, model, modelVersion: '1', eventTime: NOW - 600_000 + i * 1_000,
    numericFeatures: {}, categoricalFeatures: {}, booleanFeatures: {}, missingFeatures: [],
    predictedClass: i % 2 ? 'yes' : 'no', predictedValue: null, classProbabilities: {}, segments: {},
  };
}

/** Decoding is not under test: each batch's messages map back to the predictions they stand for. */
function harness(state: MemoryMonitorState) {
  const events = new Map<BusMessage, Prediction>();
  const service = {
    name: 'performance',
    config: loadRuntimeConfig({ DW_TOPIC_PARTITIONS: '4' }),
    logger: createLogger('per-model-test', { level: 'silent' }),
    bus: { publish: async () => undefined },
    store: { mode: 'embedded', keyspace: state.keyspace },
    codec: new Codec({ validation: { now: () => NOW } }),
    topics: topicNames('dw.'),
    metrics: createServiceMetrics('per-model-test'),
    deadLetters: { publish: async () => undefined },
    decodeOrDeadLetter: async (batch: Batch) => batch.messages.map((message) => ({ message, event: events.get(message)! })),
  } as unknown as ServiceContext;
  const pipeline = new PerformancePipeline({ service, state, config: parseMonitoringConfig({}), groupId: 'g' });
  const batchOf = (partition: number, offset: number, predictions: Prediction[]): Batch => {
    const messages = predictions.map((p, i) => {
      const message: BusMessage = { topic: TOPIC, partition, offset: offset + i, key: null, value: Buffer.alloc(1), headers: {}, timestamp: NOW };
      events.set(message, p);
      return message;
    });
    const lastOffset = offset + predictions.length - 1;
    return { topic: TOPIC, partition, messages, lastOffset, highWatermark: lastOffset + 1 };
  };
  return { pipeline, batchOf };
}

async function counted(state: MemoryMonitorState, model: string): Promise<number> {
  const cov = await state.readBuckets(model, covFamily('1'), NOW - 3_600_000, NOW + 10_000, 10_000);
  return cov.n ?? 0;
}

describe('PerformancePipeline with partitions consumed concurrently', () => {
  it('never overlaps one model\'s applies and evaluations, overlaps different models, and counts every prediction once', async () => {
    const state = new OverlapState();
    const { pipeline, batchOf } = harness(state);
    const perPartition = 4;
    const rounds = 5;
    // Model a on partitions 0-2, model b on partition 3: each round, the four partitions' batches at once.
    for (let round = 0; round < rounds; round++) {
      const batches = [0, 1, 2, 3].map((partition) => {
        const model = partition === 3 ? 'b' : 'a';
        const first = (round * 4 + partition) * perPartition;
        return batchOf(partition, round * perPartition, Array.from({ length: perPartition }, (_, i) => prediction(model, first + i)));
      });
      await Promise.all(batches.map((batch) => pipeline.handleBatch(batch)));
    }
    expect(state.maxPerModel).toBe(1);
    expect(state.maxOverall).toBe(2);
    expect(await counted(state, 'a')).toBe(3 * perPartition * rounds);
    expect(await counted(state, 'b')).toBe(perPartition * rounds);
  });
});
