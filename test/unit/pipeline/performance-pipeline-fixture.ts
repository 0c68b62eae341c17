// The performance pipeline over an in-memory state and a stand-in service context: events are
// handed over as decoded, dead letters collected (isolate.test.ts, evaluation-after-restart.test.ts).
import { Codec, type Label, type Prediction } from '../../../shared/codec/index.js';
import { parseMonitoringConfig } from '../../../shared/config/monitoring-config.js';
import { loadRuntimeConfig } from '../../../shared/config/runtime-config.js';
import { createLogger } from '../../../shared/log/logger.js';
import { covFamily } from '../../../shared/monitor/performance.js';
import { MemoryMonitorState } from '../../../shared/monitor-state/memory-monitor-state.js';
import type { PerfDeltaBatch } from '../../../shared/monitor-state/types.js';
import { PerformancePipeline } from '../../../shared/pipeline/performance-pipeline.js';
import type { DeadLetterFailure } from '../../../shared/runtime/dead-letters.js';
import { createServiceMetrics } from '../../../shared/runtime/metrics.js';
import type { ServiceContext } from '../../../shared/runtime/run-service.js';
import type { Batch, BusMessage } from '../../../shared/bus/types.js';
import { topicNames } from '../../../shared/topics.js';

export const NOW = Date.UTC(2026, 11, 1);
export const MODEL = 'churn';
export const TOPIC = 'dw.predictions';
export const LABELS_TOPIC = 'dw.labels';

export function prediction(i: number, overrides: Partial<Prediction> = {}): Prediction {
  return {
    id: `p-${i}`, model: MODEL, modelVersion: '1', eventTime: NOW - 60_000 + i,
    numericFeatures: { x: i }, categoricalFeatures: {}, booleanFeatures: {}, missingFeatures: [],
    predictedClass: i % 2 ? 'yes' : 'no', predictedValue: null, classProbabilities: {}, segments: {},
    ...overrides,
  };
}

/** A MemoryMonitorState whose perf apply throws while `outage` is set, and records every call. */
export class FakeState extends MemoryMonitorState {
  readonly calls: { expected: PerfDeltaBatch['expected']; offset: number; applied: boolean }[] = [];
  outage = false;
  override async applyPerfDeltas(batch: PerfDeltaBatch) {
    if (this.outage) throw new Error('Connection is closed.');
    const reply = await super.applyPerfDeltas(batch);
    this.calls.push({ expected: batch.expected, offset: batch.source.offset, applied: reply.applied });
    return reply;
  }
}

/** The label of prediction `i`, read a second after it. */
export function labelOf(p: Prediction): Label {
  return { predictionId: p.id, model: p.model, eventTime: p.eventTime + 1_000, trueClass: p.predictedClass, trueValue: null };
}

/** A pipeline over `state`, with a predictions batch of `events` (and a labels batch of `labels`, partition 0 of both). */
export function setup(events: Prediction[], state: MemoryMonitorState, labels: Label[] = []) {
  const letters: DeadLetterFailure[] = [];
  const messagesOf = (topic: string, count: number): BusMessage[] =>
    Array.from({ length: count }, (_, i) => ({ topic, partition: 0, offset: 100 + i, key: null, value: Buffer.from([i % 256]), headers: {}, timestamp: NOW }));
  const messages = messagesOf(TOPIC, events.length);
  const labelMessages = messagesOf(LABELS_TOPIC, labels.length);
  const service = {
    name: 'performance',
    config: loadRuntimeConfig({ DW_TOPIC_PARTITIONS: '1' }),
    logger: createLogger('isolate-test', { level: 'silent' }),
    bus: { publish: async () => undefined },
    store: { mode: 'embedded', keyspace: state.keyspace },
    codec: new Codec({ validation: { now: () => NOW } }),
    topics: topicNames('dw.'),
    metrics: createServiceMetrics('isolate-test'),
    deadLetters: { publish: async (failures: readonly DeadLetterFailure[]) => void letters.push(...failures) },
    // Decoding is not under test: every event is handed over as if the codec had let it through.
    decodeOrDeadLetter: async (_batch: Batch, type: string) =>
      type === 'label' ? labels.map((event, i) => ({ event, message: labelMessages[i]! })) : events.map((event, i) => ({ event, message: messages[i]! })),
  } as unknown as ServiceContext;
  const pipeline = new PerformancePipeline({ service, state, config: parseMonitoringConfig({}), groupId: 'g' });
  const batch: Batch = { topic: TOPIC, partition: 0, messages, lastOffset: 100 + events.length - 1, highWatermark: 100 + events.length };
  const labelsBatch: Batch = { topic: LABELS_TOPIC, partition: 0, messages: labelMessages, lastOffset: 100 + labels.length - 1, highWatermark: 100 + labels.length };
  return { pipeline, batch, labelsBatch, letters };
}

export async function predictionsCounted(state: MemoryMonitorState): Promise<number> {
  const cov = await state.readBuckets(MODEL, covFamily('1'), NOW - 120_000, NOW + 10_000, 10_000);
  return cov.n ?? 0;
}
