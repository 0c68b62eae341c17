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
// And a backlog that never comes does not hold them: a partition whose log ends in transaction
// markers (a transactional producer) looks behind its high watermark forever, and no batch says
// otherwise; after RELEASE_AFTER_MS without a predictions batch the labels go on (release()).

/** How long held labels wait for the next predictions batch before the backlog is taken as not coming. */
export const RELEASE_AFTER_MS = 5_000;

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

  /**
   * No predictions batch came for RELEASE_AFTER_MS while the labels were held: the backlog the
   * last one reported is not coming (or not yet), so the labels are not held for it any more;
   * the next predictions batch says again.
   */
  release(): void {
    this.predictionsBacklog = false;
  }

  get watermarks(): { predictions: number; labels: number } {
    return { predictions: this.predictionWatermark, labels: this.labelWatermark };
  }
}

/** The alignments of a member's partition numbers; forgotten at every assignment (the bus lifts its pauses then). */
export class StreamAlignments {
  private readonly partitions = new Map<number, PartitionAlignment>();
  /** By partition: the release of its held labels if no predictions batch comes first. */
  private readonly releases = new Map<number, NodeJS.Timeout>();

  constructor(
    private readonly leadMs: number,
    private readonly releaseAfterMs = RELEASE_AFTER_MS,
  ) {}

  /**
   * After each batch of a partition whose labels are held: (re)starts the wait for its next
   * predictions batch, after which `release` lets the labels go (PartitionAlignment.release);
   * with the labels not held, the wait is cancelled.
   */
  awaitPredictions(partition: number, release: (() => void) | null): void {
    clearTimeout(this.releases.get(partition));
    this.releases.delete(partition);
    if (release === null) return;
    const timer = setTimeout(() => {
      this.releases.delete(partition);
      release();
    }, this.releaseAfterMs);
    // A held stream must not keep a stopping process alive.
    timer.unref();
    this.releases.set(partition, timer);
  }

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
    for (const timer of this.releases.values()) clearTimeout(timer);
    this.releases.clear();
  }

  /** Partition numbers whose labels are held back now. */
  get held(): number {
    let count = 0;
    for (const alignment of this.partitions.values()) if (alignment.labelsHeld) count += 1;
    return count;
  }
}
