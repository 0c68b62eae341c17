// The rule that holds a partition's labels back while its predictions lag in event time
// (stream-alignment.ts): when it holds, when it lets go, and that a held stream is never left
// waiting for something only it could bring.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PartitionAlignment, RELEASE_AFTER_MS, StreamAlignments } from '../../../shared/pipeline/stream-alignment.js';

describe('PartitionAlignment', () => {
  it('holds the labels only while they are ahead by more than the lead and the predictions have more to read', () => {
    const alignment = new PartitionAlignment(1_000);
    alignment.saw({ kind: 'predictions', maxEventTime: 10_000, backlog: true });
    alignment.saw({ kind: 'labels', maxEventTime: 11_000 });
    // Ahead by exactly the lead: not held.
    expect(alignment.holdLabels(false)).toBe(false);
    alignment.saw({ kind: 'labels', maxEventTime: 11_001 });
    expect(alignment.holdLabels(false)).toBe(true);
    // The same lead without a predictions backlog: nothing to wait for.
    alignment.saw({ kind: 'predictions', maxEventTime: 10_000, backlog: false });
    expect(alignment.holdLabels(false)).toBe(false);
  });

  it('never holds the labels before a predictions batch said there is more to read', () => {
    const alignment = new PartitionAlignment(0);
    alignment.saw({ kind: 'labels', maxEventTime: 50_000 });
    expect(alignment.holdLabels(false)).toBe(false);
    // A predictions batch without a backlog (unknown counts as none).
    alignment.saw({ kind: 'predictions', maxEventTime: 1_000 });
    expect(alignment.holdLabels(false)).toBe(false);
    alignment.saw({ kind: 'predictions', maxEventTime: 2_000, backlog: true });
    expect(alignment.holdLabels(false)).toBe(true);
  });

  it('keeps held labels held until the predictions caught up, not merely back within the lead', () => {
    const alignment = new PartitionAlignment(1_000);
    alignment.saw({ kind: 'predictions', maxEventTime: 10_000, backlog: true });
    alignment.saw({ kind: 'labels', maxEventTime: 12_000 });
    expect(alignment.holdLabels(false)).toBe(true);
    alignment.labelsHeld = true;
    alignment.saw({ kind: 'predictions', maxEventTime: 11_500, backlog: true });
    expect(alignment.holdLabels(false)).toBe(true);
    alignment.saw({ kind: 'predictions', maxEventTime: 12_000, backlog: true });
    expect(alignment.holdLabels(false)).toBe(false);
  });

  it('lets the labels go once the predictions reached their end, however far ahead the labels are', () => {
    const alignment = new PartitionAlignment(0);
    alignment.saw({ kind: 'predictions', maxEventTime: 1_000, backlog: true });
    alignment.saw({ kind: 'labels', maxEventTime: 1_000_000 });
    expect(alignment.holdLabels(false)).toBe(true);
    alignment.labelsHeld = true;
    alignment.saw({ kind: 'predictions', maxEventTime: 2_000, backlog: false });
    expect(alignment.holdLabels(false)).toBe(false);
  });

  it('never holds the labels while a rebuild still replays them: new predictions wait for that replay', () => {
    const alignment = new PartitionAlignment(0);
    alignment.saw({ kind: 'predictions', maxEventTime: 1_000, backlog: true });
    alignment.saw({ kind: 'labels', maxEventTime: 9_000 });
    expect(alignment.holdLabels(true)).toBe(false);
    alignment.labelsHeld = true;
    expect(alignment.holdLabels(true)).toBe(false);
  });

  it('keeps the latest event time of each stream: an older batch (a replay) moves no watermark back', () => {
    const alignment = new PartitionAlignment(0);
    alignment.saw({ kind: 'predictions', maxEventTime: 5_000, backlog: true });
    alignment.saw({ kind: 'predictions', maxEventTime: 3_000, backlog: true });
    alignment.saw({ kind: 'labels', maxEventTime: 4_000 });
    alignment.saw({ kind: 'labels', maxEventTime: -Infinity });
    expect(alignment.watermarks).toEqual({ predictions: 5_000, labels: 4_000 });
  });
});

describe('StreamAlignments', () => {
  it('keeps one alignment per partition number, counts the held ones, and forgets them all at an assignment', () => {
    const alignments = new StreamAlignments(0);
    alignments.of(0).labelsHeld = true;
    alignments.of(3).labelsHeld = true;
    alignments.of(1).saw({ kind: 'labels', maxEventTime: 1 });
    expect(alignments.of(0)).toBe(alignments.of(0));
    expect(alignments.held).toBe(2);
    alignments.assigned();
    expect(alignments.held).toBe(0);
    expect(alignments.of(1).watermarks).toEqual({ predictions: -Infinity, labels: -Infinity });
  });
});

/**
 * Two streams of one partition read as a bus would hand them over: one batch of each stream that
 * is not held per round, `labelsPerBatch` labels (smaller messages, more per fetch) against
 * `predictionsPerBatch` predictions; the alignment decides after each batch, as the pipeline does.
 */
function simulate(options: { predictions: number[]; labels: number[]; predictionsPerBatch: number; labelsPerBatch: number; leadMs: number; replayUntilLabel?: number }) {
  const alignment = new PartitionAlignment(options.leadMs);
  let p = 0;
  let l = 0;
  let rounds = 0;
  let maxLead = -Infinity;
  /** Labels read by the time the predictions were read through each batch. */
  const labelsWhenPredictionsAt = new Map<number, number>();
  const after = (): void => {
    // The pipeline's labelsReplaying: new predictions wait for labels up to this offset.
    const replaying = options.replayUntilLabel !== undefined && l <= options.replayUntilLabel;
    alignment.labelsHeld = alignment.holdLabels(replaying);
  };
  while (p < options.predictions.length || l < options.labels.length) {
    rounds += 1;
    if (rounds > 100_000) throw new Error('no progress: a stream waits for itself');
    if (p < options.predictions.length) {
      const batch = options.predictions.slice(p, p + options.predictionsPerBatch);
      p += batch.length;
      alignment.saw({ kind: 'predictions', maxEventTime: Math.max(...batch), backlog: p < options.predictions.length });
      after();
      labelsWhenPredictionsAt.set(p, l);
    }
    if (l < options.labels.length && !alignment.labelsHeld) {
      const batch = options.labels.slice(l, l + options.labelsPerBatch);
      // How far the labels are ahead when this batch is handed over.
      maxLead = Math.max(maxLead, Math.min(...batch) - alignment.watermarks.predictions);
      l += batch.length;
      alignment.saw({ kind: 'labels', maxEventTime: Math.max(...batch) });
      after();
    }
  }
  return { rounds, maxLead, labelsWhenPredictionsAt, read: { predictions: p, labels: l } };
}

describe('the rule over whole streams', () => {
  const times = (count: number, stepMs: number, offsetMs = 0): number[] => Array.from({ length: count }, (_, i) => offsetMs + i * stepMs);

  it('reads both streams to their end, labels never handed over ahead of the predictions while these lag', () => {
    // A catch-up: twice as many labels per batch as predictions, labels a second after their prediction.
    const result = simulate({ predictions: times(20_000, 10), labels: times(20_000, 10, 1_000), predictionsPerBatch: 390, labelsPerBatch: 770, leadMs: 0 });
    expect(result.read).toEqual({ predictions: 20_000, labels: 20_000 });
    // Each labels batch starts within one label step of what the predictions reached.
    expect(result.maxLead).toBeLessThanOrEqual(1_000);
    const unaligned = simulate({ predictions: times(20_000, 10), labels: times(20_000, 10, 1_000), predictionsPerBatch: 390, labelsPerBatch: 770, leadMs: Infinity });
    expect(unaligned.maxLead).toBeGreaterThan(50_000);
  });

  it('reads the labels to their end when they are far ahead of every prediction (the predictions end first)', () => {
    const result = simulate({ predictions: times(1_000, 10), labels: times(5_000, 10, 1_000_000), predictionsPerBatch: 100, labelsPerBatch: 200, leadMs: 0 });
    expect(result.read).toEqual({ predictions: 1_000, labels: 5_000 });
  });

  it('reads the labels a rebuild replays even while they are ahead', () => {
    const result = simulate({ predictions: times(5_000, 10), labels: times(5_000, 10, 100_000), predictionsPerBatch: 100, labelsPerBatch: 200, leadMs: 0, replayUntilLabel: 1_000 });
    expect(result.read).toEqual({ predictions: 5_000, labels: 5_000 });
    // The replay (labels 0..1000) went on at full speed, then the labels were held: 100 s ahead.
    expect(result.labelsWhenPredictionsAt.get(700)).toBeGreaterThan(1_000);
    expect(result.labelsWhenPredictionsAt.get(4_000)).toBeLessThan(1_400);
  });
});

describe('held labels and a predictions backlog that never comes', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a release lets the labels go until a predictions batch reports a backlog again', () => {
    const alignment = new PartitionAlignment(0);
    alignment.saw({ kind: 'predictions', maxEventTime: 1_000, backlog: true });
    alignment.saw({ kind: 'labels', maxEventTime: 9_000 });
    alignment.labelsHeld = true;
    expect(alignment.holdLabels(false)).toBe(true);
    // A partition ending in transaction markers: its last batch says "behind", nothing follows.
    alignment.release();
    expect(alignment.holdLabels(false)).toBe(false);
    alignment.saw({ kind: 'predictions', maxEventTime: 2_000, backlog: true });
    expect(alignment.holdLabels(false)).toBe(true);
  });

  it('releases held labels RELEASE_AFTER_MS after the last batch, unless a batch comes first or the labels are let go', () => {
    vi.useFakeTimers();
    const alignments = new StreamAlignments(0);
    const released: number[] = [];
    alignments.awaitPredictions(0, () => released.push(0));
    alignments.awaitPredictions(1, () => released.push(1));
    vi.advanceTimersByTime(RELEASE_AFTER_MS - 1);
    // A batch of partition 0 came: its wait starts again; partition 1's labels were let go meanwhile.
    alignments.awaitPredictions(0, () => released.push(0));
    alignments.awaitPredictions(1, null);
    vi.advanceTimersByTime(RELEASE_AFTER_MS - 1);
    expect(released).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(released).toEqual([0]);
    // A new assignment forgets every wait.
    alignments.awaitPredictions(2, () => released.push(2));
    alignments.assigned();
    vi.advanceTimersByTime(2 * RELEASE_AFTER_MS);
    expect(released).toEqual([0]);
  });
});
