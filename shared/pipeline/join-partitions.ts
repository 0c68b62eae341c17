// The performance service's join state per partition number: for each model a PartitionJoin
// (shared/join) and the offsets Redis recorded for it, and for each of the two streams whether
// this instance started reading it since its state was (re)built. It decides where a partition
// resumes on assignment (`startOffset`): from the cut its last progress record named, so the
// pending predictions and waiting labels are rebuilt from the log; and it throws away a
// partition's state whenever it can no longer be trusted (a rebalance gave the partition to
// another instance in between, Redis moved under it, an apply failed half-way).
import type { Logger } from 'pino';
import type { Batch, PartitionStart } from '../bus/types.js';
import { PartitionJoin, type JoinWindow } from '../join/partition-join.js';
import type { RecordedProgress } from '../runtime/redis-progress.js';

export type StreamKind = 'predictions' | 'labels';

export const otherStream = (kind: StreamKind): StreamKind => (kind === 'predictions' ? 'labels' : 'predictions');

interface StreamProgress {
  /** The stream was (re)started by startOffset since the partition's state was built. */
  started: boolean;
  /**
   * Last offset of a batch whose events Redis recorded were read into every model's join; -1
   * before the first. New events of the other stream wait until it passed their model's record.
   */
  readThrough: number;
}

/** New events of one batch of a model, waiting until the other stream's replay passed Redis's record. */
export interface DeferredBatch<Item> {
  kind: StreamKind;
  batch: Pick<Batch, 'topic' | 'partition' | 'lastOffset' | 'highWatermark'>;
  items: Item[];
  /** When it was deferred (ms since the epoch). */
  since: number;
}

export interface ModelJoin<Item> {
  join: PartitionJoin;
  /** The model's recorded offsets of both streams in Redis (-1: none); null until asked. */
  recorded: Record<StreamKind, number> | null;
  /** What Redis had recorded when this state was built: the replay of each stream ends there. */
  replayTo: Record<StreamKind, number> | null;
  /** In arrival order; applied once the other stream's replay passed `replayTo`. */
  deferred: DeferredBatch<Item>[];
}

export class JoinPartition<Item> {
  readonly streams: Record<StreamKind, StreamProgress> = {
    predictions: { started: false, readThrough: -1 },
    labels: { started: false, readThrough: -1 },
  };
  readonly models = new Map<string, ModelJoin<Item>>();
  /** False once a batch failed after reading into the state: the next startOffset rebuilds it. */
  healthy = true;
  /** Where this state asked the bus to move a stream back (rewindCoPartition), until it is asked about it. */
  readonly pendingRewind: Partial<Record<StreamKind, number>> = {};
  /** The first offset of each stream this state read. */
  readonly firstRead: Partial<Record<StreamKind, number>> = {};

  /** `rebuilt`: created by startOffset, which rewinds the streams to rebuild it (else fed as it comes). */
  constructor(
    readonly partition: number,
    readonly rebuilt = true,
  ) {}

  model(model: string, window: JoinWindow): ModelJoin<Item> {
    let entry = this.models.get(model);
    if (entry === undefined) {
      entry = { join: new PartitionJoin(window), recorded: null, replayTo: null, deferred: [] };
      this.models.set(model, entry);
    }
    return entry;
  }

  get bytes(): number {
    let total = 0;
    for (const { join } of this.models.values()) total += join.bytes;
    return total;
  }

  /** The first offset of the stream some model has not applied yet (deferred), or null. */
  firstDeferred(kind: StreamKind): number | null {
    let first: number | null = null;
    for (const { deferred } of this.models.values()) {
      for (const entry of deferred) {
        const offset = (entry.items[0] as { offset: number } | undefined)?.offset;
        if (entry.kind === kind && offset !== undefined && (first === null || offset < first)) first = offset;
      }
    }
    return first;
  }
}

/** Where a rebuild of a stream must start to reproduce every model's state (undefined: nothing read). */
function cutOf<Item>(part: JoinPartition<Item>, kind: StreamKind): number | undefined {
  let from: number | undefined;
  for (const { join } of part.models.values()) {
    const cut = join.rebuildFrom()[kind];
    if (cut !== null && (from === undefined || cut < from)) from = cut;
  }
  return from;
}

/** A batch came for a stream whose start was not decided since the partition's state was rebuilt: the bus asks startOffset again. */
export class RewindNeededError extends Error {
  override readonly name = 'RewindNeededError';
}

export class JoinPartitions<Item extends { offset: number }> {
  private readonly partitions = new Map<number, JoinPartition<Item>>();

  constructor(
    private readonly topics: Record<StreamKind, string>,
    private readonly logger: Logger,
  ) {}

  private kindOf(topic: string): StreamKind {
    return topic === this.topics.labels ? 'labels' : 'predictions';
  }

  /** SubscribeOptions.startOffset through PartitionRebuild: keep a sound state, else rebuild from the recorded cut. */
  startOffset(start: PartitionStart, recorded: RecordedProgress): number | null {
    const kind = this.kindOf(start.topic);
    const current = this.partitions.get(start.partition);
    const rewound = current?.pendingRewind[kind];
    if (current !== undefined && current.healthy && rewound !== undefined) {
      // This state moved the stream back itself (below): it starts where that put it.
      delete current.pendingRewind[kind];
      current.streams[kind].started = true;
      return rewound;
    }
    const stream = current?.streams[kind];
    // Asked again for a stream this state already reads (a failed batch, a rebalance that kept
    // the partition): keep it unless another member committed past what this one read.
    const overtaken = start.committed !== null && stream !== undefined && start.committed > stream.readThrough + 1;
    if (current !== undefined && stream!.started && current.healthy && !overtaken) return null;
    let part = current;
    if (part === undefined || stream!.started || !part.healthy) {
      part = new JoinPartition(start.partition);
      this.partitions.set(start.partition, part);
      if (current !== undefined) this.rewindOther(current, part, kind, start);
    }
    part.streams[kind].started = true;
    // The cut is never past Redis's progress: everything before it was applied.
    const candidates = [recorded.from, recorded.next].filter((n): n is number => n !== null);
    const from = candidates.length === 0 ? null : Math.min(...candidates);
    this.logger.info(
      { topic: start.topic, partition: start.partition, from, progress: recorded.next, committed: start.committed },
      from === null ? 'join: reading the partition from where the group resumes' : 'join: rebuilding the partition from the log',
    );
    return from;
  }

  /**
   * A rebuild reads both streams again: the other one, which the bus will not ask about unless a
   * batch of it fails or the partition is assigned again (it may have nothing new to fetch), is
   * moved back to the cut its previous state had reached.
   */
  private rewindOther(previous: JoinPartition<Item>, part: JoinPartition<Item>, kind: StreamKind, start: PartitionStart): void {
    const other = otherStream(kind);
    if (!previous.streams[other].started || start.rewindCoPartition === undefined) return;
    const cut = cutOf(previous, other) ?? previous.firstRead[other];
    // Nothing read from it: its first batch asks where it starts.
    if (cut === undefined) return;
    part.pendingRewind[other] = cut;
    start.rewindCoPartition(this.topics[other], cut);
  }

  /**
   * The state a batch reads into; throws RewindNeededError for a stream not (re)started since a
   * reset. A partition never asked about (a bus without startOffset) starts where it is fed.
   */
  forBatch(batch: Batch): JoinPartition<Item> {
    let part = this.partitions.get(batch.partition);
    // Without startOffset nothing can be read again for it: a state in doubt starts over.
    if (part === undefined || (!part.rebuilt && !part.healthy)) {
      part = new JoinPartition(batch.partition, false);
      part.streams.predictions.started = true;
      part.streams.labels.started = true;
      this.partitions.set(batch.partition, part);
    }
    if (!part.streams[this.kindOf(batch.topic)].started || !part.healthy) {
      throw new RewindNeededError(`${batch.topic} partition ${batch.partition}: the join's state was rebuilt, this stream must be read again from its cut`);
    }
    part.firstRead[this.kindOf(batch.topic)] ??= batch.messages[0]?.offset ?? batch.lastOffset;
    return part;
  }

  /** Whether `part` is still the state of its partition (a rebuild replaces it). */
  isCurrent(part: JoinPartition<Item>): boolean {
    return this.partitions.get(part.partition) === part;
  }

  /**
   * The offset through which Redis holds everything of the batch's stream: the batch's last, or
   * less while new events of it wait for the other stream's replay (deferred). The progress
   * record says this, so a restart reads deferred events again.
   */
  appliedThrough(batch: Batch): number {
    const deferred = this.partitions.get(batch.partition)?.firstDeferred(this.kindOf(batch.topic)) ?? null;
    return deferred === null ? batch.lastOffset : Math.min(batch.lastOffset, deferred - 1);
  }

  /**
   * Where a rebuild of each stream of the batch's partition must start to reproduce every model's
   * state, by topic (a stream not read yet is left out). Both streams' cuts go with every batch:
   * one stream's cut moves as the other stream's watermark does, and a stream whose own batches
   * ended (predictions all read before their labels) would otherwise keep its first cut, and a
   * rebuild would read it from its start.
   */
  rebuildFrom(batch: Batch): Record<string, number> {
    const part = this.partitions.get(batch.partition);
    const cuts: Record<string, number> = {};
    if (part === undefined) return cuts;
    for (const kind of ['predictions', 'labels'] as const) {
      const cut = cutOf(part, kind);
      if (cut !== undefined) cuts[this.topics[kind]] = cut;
    }
    return cuts;
  }

  /**
   * A new assignment: the state of partitions this member no longer owns goes (its pending
   * predictions and deferred events with it; a later assignment rebuilds it from the log).
   */
  assigned(assignment: Readonly<Record<string, readonly number[]>>): void {
    const owned = new Set([...(assignment[this.topics.predictions] ?? []), ...(assignment[this.topics.labels] ?? [])]);
    for (const partition of [...this.partitions.keys()]) {
      if (!owned.has(partition)) this.partitions.delete(partition);
    }
  }

  forgetModel(model: string): void {
    for (const part of this.partitions.values()) part.models.delete(model);
  }

  /** Every partition's state, for the memory budget. */
  all(): IterableIterator<JoinPartition<Item>> {
    return this.partitions.values();
  }

  get bytes(): number {
    let total = 0;
    for (const part of this.partitions.values()) total += part.bytes;
    return total;
  }

  /** When the longest-waiting deferred batch was deferred, or null when none waits. */
  get oldestDeferral(): number | null {
    let oldest: number | null = null;
    for (const part of this.partitions.values()) {
      for (const { deferred } of part.models.values()) {
        // In arrival order: the first waited longest.
        const since = deferred[0]?.since;
        if (since !== undefined && (oldest === null || since < oldest)) oldest = since;
      }
    }
    return oldest;
  }

  /** Events read but waiting for the other stream's replay (DeferredBatch), over every partition. */
  get deferredEvents(): number {
    let total = 0;
    for (const part of this.partitions.values()) {
      for (const { deferred } of part.models.values()) for (const entry of deferred) total += entry.items.length;
    }
    return total;
  }
}
