// Reading a partition's predictions and labels aligned in event time (docs/design/monitoring.md,
// "Reading the two streams aligned"). In a catch-up kafkajs fetches the same bytes per partition
// from both topics; a label is half a prediction's size, so the labels run ahead in event time
// and every label waits in memory for its prediction. The join decides the same whatever the
// interleaving (partition-join.ts), so holding the labels back changes no result, only cost.
//
// The rule, per partition number: after a batch, the labels are held back (the bus pauses their
// partition) while their watermark is ahead of the predictions' by more than `leadMs` and there
// is more to read of the predictions; they go on once the predictions caught up with them, or
// reached their partition's end. Predictions are never held back, so every pause ends: either
// their watermark passes the labels' or they reach their end, and both come with their batches.
// Nor are labels held while a rebuild's labels replay is unfinished: new predictions wait for it
// (performance-pipeline.ts, replayDone), and they would then wait on a stream held back for them.

/** What the alignment of one partition number saw of a batch. */
export interface SeenBatch {
  kind: 'predictions' | 'labels';
  /** The latest event time among the batch's events (-Infinity: none). */
  maxEventTime: number;
  /** For predictions: whether their partition has more to read after this batch (unknown: false). */
  backlog?: boolean;
}

export class PartitionAlignment {
  private predictionWatermark = -Infinity;
  private labelWatermark = -Infinity;
  private predictionsBacklog = false;
  /** Whether this alignment holds the labels back (the bus's pause took effect). */
  labelsHeld = false;

  constructor(private readonly leadMs: number) {}

  /** Notes a batch's events. */
  saw(batch: SeenBatch): void {
    if (batch.kind === 'predictions') {
      if (batch.maxEventTime > this.predictionWatermark) this.predictionWatermark = batch.maxEventTime;
      this.predictionsBacklog = batch.backlog ?? false;
    } else if (batch.maxEventTime > this.labelWatermark) this.labelWatermark = batch.maxEventTime;
  }

  /**
   * Whether the labels should be held back now. `labelsReplaying`: some model's rebuild still
   * needs labels Redis recorded, which new predictions wait for. Held labels stay held until the
   * predictions caught up (not merely back within the lead), so the pause is not flipped every batch.
   */
  holdLabels(labelsReplaying: boolean): boolean {
    if (!this.predictionsBacklog || labelsReplaying) return false;
    return this.labelWatermark - this.predictionWatermark > (this.labelsHeld ? 0 : this.leadMs);
  }

  get watermarks(): { predictions: number; labels: number } {
    return { predictions: this.predictionWatermark, labels: this.labelWatermark };
  }
}

/** The alignments of a member's partition numbers; forgotten at every assignment (the bus lifts its pauses then). */
export class StreamAlignments {
  private readonly partitions = new Map<number, PartitionAlignment>();

  constructor(private readonly leadMs: number) {}

  of(partition: number): PartitionAlignment {
    let alignment = this.partitions.get(partition);
    if (alignment === undefined) {
      alignment = new PartitionAlignment(this.leadMs);
      this.partitions.set(partition, alignment);
    }
    return alignment;
  }

  /** A new assignment: every pause was lifted by the bus, what was seen belongs to the last one. */
  assigned(): void {
    this.partitions.clear();
  }

  /** Partition numbers whose labels are held back now. */
  get held(): number {
    let count = 0;
    for (const alignment of this.partitions.values()) if (alignment.labelsHeld) count += 1;
    return count;
  }
}
