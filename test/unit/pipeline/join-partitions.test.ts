// Where the join's partitions resume: the recorded cut on assignment, and after a batch failed
// half-way both streams again, the idle one too (the bus would not ask about it by itself).
import { describe, expect, it } from 'vitest';
import type { Batch, BusMessage } from '../../../shared/bus/types.js';
import { createLogger } from '../../../shared/log/logger.js';
import { JoinPartitions, RewindNeededError } from '../../../shared/pipeline/join-partitions.js';

const TOPICS = { predictions: 'dw.predictions', labels: 'dw.labels' };
const WINDOW = { labelHorizonMs: 60_000, latenessMs: 1_000 };
const logger = createLogger('join-partitions-test', { level: 'silent' });

function batch(topic: string, first: number, count: number): Batch {
  const messages = Array.from({ length: count }, (_, i): BusMessage => ({ topic, partition: 0, offset: first + i, key: null, value: Buffer.alloc(1), headers: {}, timestamp: 0 }));
  return { topic, partition: 0, messages, lastOffset: first + count - 1 };
}

describe('JoinPartitions', () => {
  it('starts each stream at the recorded cut (never past the progress) and keeps a sound state on a second ask', () => {
    const parts = new JoinPartitions<{ offset: number }>(TOPICS, logger);
    expect(parts.startOffset({ topic: TOPICS.predictions, partition: 0, committed: 500 }, { next: 480, from: 120 })).toBe(120);
    expect(parts.startOffset({ topic: TOPICS.labels, partition: 0, committed: 300 }, { next: 250, from: 400 })).toBe(250);
    const part = parts.forBatch(batch(TOPICS.predictions, 120, 10));
    part.streams.predictions.readThrough = 129;
    // Asked again (a rebalance that kept the partition): nothing moves.
    expect(parts.startOffset({ topic: TOPICS.predictions, partition: 0, committed: 130 }, { next: 480, from: 120 })).toBeNull();
    expect(parts.forBatch(batch(TOPICS.predictions, 130, 1))).toBe(part);
  });

  it('after a batch failed half-way, rebuilds both streams: the other one is moved back to its cut', () => {
    const parts = new JoinPartitions<{ offset: number }>(TOPICS, logger);
    parts.startOffset({ topic: TOPICS.predictions, partition: 0, committed: null }, { next: null, from: null });
    parts.startOffset({ topic: TOPICS.labels, partition: 0, committed: null }, { next: null, from: null });
    const part = parts.forBatch(batch(TOPICS.predictions, 0, 20));
    parts.forBatch(batch(TOPICS.labels, 0, 5));
    const join = part.model('m', WINDOW).join;
    for (let offset = 0; offset < 20; offset++) join.readPrediction({ offset, id: `p${offset}`, eventTime: 1_000 * offset, version: 0, predictedClass: 0, predictedValue: 0, probabilities: null }, { counted: [], joined: [], dead: [], duplicatePredictions: 0, latePredictions: 0 });
    for (let offset = 0; offset < 5; offset++) join.readLabel({ offset, predictionId: `p${offset}`, eventTime: 1_000 * offset, trueClass: '0', trueValue: null, raw: { topic: TOPICS.labels, partition: 0, offset, value: Buffer.alloc(1), headers: {} } }, { counted: [], joined: [], dead: [], duplicatePredictions: 0, latePredictions: 0 });
    part.healthy = false;

    const rewound: [string, number][] = [];
    const from = parts.startOffset(
      { topic: TOPICS.predictions, partition: 0, committed: 20, rewindCoPartition: (topic, offset) => rewound.push([topic, offset]) },
      { next: 20, from: 0 },
    );
    expect(from).toBe(0);
    // The labels partition may have nothing new: only this rewind reads it again.
    expect(rewound).toEqual([[TOPICS.labels, 0]]);
    expect(() => parts.forBatch(batch(TOPICS.labels, 5, 1))).toThrow(RewindNeededError);
    // Its next ask lands where the rewind put it, and asks for no other rewind.
    expect(parts.startOffset({ topic: TOPICS.labels, partition: 0, committed: 6, rewindCoPartition: () => rewound.push(['again', -1]) }, { next: 5, from: 3 })).toBe(0);
    expect(rewound).toHaveLength(1);
    expect(parts.forBatch(batch(TOPICS.labels, 0, 6))).not.toBe(part);
  });
});
