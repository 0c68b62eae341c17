// The event bus contract. KafkaBus (kafkajs) and MemoryBus (embedded mode) both
// implement it and both pass test/contract/bus.contract.ts.
//
// Delivery is at-least-once per consumer group: a batch's offsets are committed only after
// its handler resolved, so a crash before that redelivers the batch to whichever member
// owns the partition next. Exactly-once *effects* come from the store's idempotent batch
// primitive, which records the last applied offset beside the state it changed.

export interface TopicSpec {
  topic: string;
  partitions: number;
  /** `compact` for topics keyed by an entity whose latest value is all that matters (models). */
  cleanupPolicy?: 'delete' | 'compact';
  retentionMs?: number;
}

export interface OutgoingMessage {
  /** Partitioning key; messages with the same key land in the same partition, in order. */
  key: string | null;
  value: Buffer;
  headers?: Record<string, string | Buffer>;
  /** Event time in ms since epoch; defaults to now. */
  timestamp?: number;
}

export interface BusMessage {
  topic: string;
  partition: number;
  /** Kafka offsets are 64-bit; below 2^53 they are exact as numbers, which holds for any real topic. */
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | undefined>;
  timestamp: number;
}

export interface Batch {
  topic: string;
  partition: number;
  /** In offset order; never empty. */
  messages: BusMessage[];
  /** Offset of the last message, the value the store records for idempotence. */
  lastOffset: number;
  /**
   * Offset the partition's next message will get, as the broker reported it with this batch;
   * `highWatermark - (lastOffset + 1)` is the consumer lag once the batch is handled.
   */
  highWatermark?: number;
}

export interface BatchContext {
  /** Keeps group membership alive during a long handler. */
  heartbeat(): Promise<void>;
  /**
   * False once stop() was called. A handler that resolves has its batch committed, even during
   * stop(); to abandon a long batch instead (the next owner gets it again), throw.
   */
  isRunning(): boolean;
  /**
   * Present only for a co-partitioned subscription (SubscribeOptions.coPartitioned): flow control
   * between the topics of one partition number, for a subscriber that reads them aligned (the
   * performance service holds labels back while their predictions lag in event time).
   * Stops fetching the partition of `topic` (a subscribed topic; this batch's own is allowed)
   * with THIS batch's partition number, until resumeCoPartition or the next assignment:
   * - a batch of it already in the handler finishes (and commits) normally; one fetched but not
   *   yet handed over is held back and fetched again after the resume;
   * - nothing is skipped or lost: after the resume it goes on from the first offset not handled;
   * - every new assignment (a rebalance, a restart of the consumer) clears every pause, and a
   *   call from a batch handed over under an earlier assignment does nothing.
   * True when this call paused it; false when it was paused already or the batch's assignment is
   * over. A topic the subscription does not read throws a RangeError. Both controls are plain
   * functions (no `this`): a subscriber may keep one past its batch, e.g. to resume from a timer.
   */
  pauseCoPartition?(topic: string): boolean;
  /**
   * Undoes pauseCoPartition for `topic`'s partition with this batch's number. True when this call
   * resumed it; false when it was not paused or the batch's assignment is over.
   */
  resumeCoPartition?(topic: string): boolean;
}

/**
 * Called with one batch at a time per partition, and with up to `partitionsConcurrently`
 * batches of different partitions at once per subscription (default one at a time). Throwing leaves the batch uncommitted: it is
 * delivered again (after a backoff) to this member or, after a rebalance, to the next owner.
 */
export type BatchHandler = (batch: Batch, ctx: BatchContext) => Promise<void>;

export interface SubscribeOptions {
  groupId: string;
  topics: string[];
  handler: BatchHandler;
  /**
   * Start from the earliest offset when the group has no committed offset (default true). With
   * false, Kafka takes the partition's end when the member first fetches it, so a message
   * published right as subscribe() resolves may be skipped; use true when every event matters.
   */
  fromBeginning?: boolean;
  /**
   * The consumer's state as it changes, for readiness: `restarting` after a crash the client
   * recovers from by itself (back to `running` when it rejoins its group), `failed` after one
   * it never recovers from (nothing consumes until the subscription or process is recreated).
   * The in-memory bus never crashes and never calls it.
   */
  onStatus?: (status: ConsumerStatus) => void;
  /**
   * Where the subscriber's own record of progress says a partition must resume (the next offset
   * it still needs), for consumers whose state store, not the group's committed offset, is the
   * source of truth (the monitors: Redis). Asked before the first batch of a partition after
   * every assignment and again after any failed batch of it; `committed` is the group's
   * committed offset then (the next one to read), null when it has none. When the answer is
   * below where the member would resume, the bus rewinds the partition there (clamped to the
   * log's start, which is logged as a gap) and hands over nothing before it; otherwise, or with
   * null, consumption goes on from the committed position: the hook never makes a member skip.
   * Throwing counts as a failed batch (delivered again after a backoff, asking again), so a
   * store that is down, or that refuses because it lost its data, holds the partition.
   */
  startOffset?: (partition: PartitionStart) => Promise<number | null>;
  /**
   * How many of the member's partitions may have a batch in the handler at once (default 1).
   * A partition's own batches never overlap, whatever the value: the next comes only after the
   * previous one's handler settled, in offset order. Each batch commits on its own, so a failure
   * or a stop() affects only what its partition had in flight. The handler must be safe to run
   * for different partitions side by side (the monitors serialize per model, keyed-serializer.ts).
   */
  partitionsConcurrently?: number;
  /**
   * Gives every member the same partition NUMBERS of every subscribed topic (default false):
   * partition k of each topic goes to one member, so a member that owns predictions/3 owns
   * labels/3 too. With keys that route both sides of a join to the same partition number (a
   * label keyed by its prediction's id), each member then holds both sides of its keys and can
   * join them in its own memory. Partition k goes to the (k mod n)-th of the group's n members
   * ordered by member id, at every rebalance (deterministic; a member past the partition count
   * gets nothing). Requirements, checked at subscribe() where the bus can:
   * - the topics have the same partition count, else subscribe() rejects with
   *   PartitionCountMismatchError (both buses);
   * - every member of the group sets the option alike: subscribe() of a member that differs
   *   from the group's current members rejects with GroupOptionsMismatchError (both buses; on
   *   Kafka the broker refuses the join, INCONSISTENT_GROUP_PROTOCOL);
   * - co-partitioned members subscribe the same topics: MemoryBus rejects one that does not
   *   (GroupOptionsMismatchError); Kafka cannot tell, and assigns the group leader's topics.
   * Without it, partitions are spread round-robin over topic-partitions (kafkajs's default),
   * which lines numbers up only when the partitions divide evenly among the members.
   */
  coPartitioned?: boolean;
  /**
   * Called at every assignment (a rebalance, a restart) with this member's partitions by topic,
   * before any of them is asked about or delivered: state a subscriber keeps per partition can
   * be let go for the partitions it no longer owns (a revoked partition sends nothing more).
   */
  onAssigned?: (assignment: Readonly<Record<string, readonly number[]>>) => void;
}

export interface PartitionStart {
  topic: string;
  partition: number;
  committed: number | null;
  /**
   * Moves the partition with the same number of another subscribed topic of this member back to
   * `offset`, even one with nothing new to fetch; its next batch starts there. For a subscriber
   * whose state spans co-partitioned topics (the performance service's join), which must read
   * both again when it rebuilds that state after a failed batch.
   */
  rewindCoPartition?(topic: string, offset: number): void;
}

export type ConsumerStatus = { state: 'running' } | { state: 'restarting' | 'failed'; error: Error };

export interface Subscription {
  /** Graceful: lets the in-flight batches finish and commit, then leaves the group. */
  stop(): Promise<void>;
}

export interface EventBus {
  ensureTopics(specs: TopicSpec[]): Promise<void>;
  /** Resolves once every message is durably accepted (acks=all on Kafka). */
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Stops every subscription gracefully and releases connections. */
  close(): Promise<void>;
}

export interface ReadFromOptions {
  /** Aborts the read: it rejects with the signal's reason and releases what it opened. */
  signal?: AbortSignal;
}

/**
 * Reads a topic's log by time, outside any consumer group: the retrainer builds its training
 * set from the predictions and labels already in Kafka instead of adding work to the monitors'
 * hot path. Nothing is committed, so reading never moves a service's offsets.
 */
export interface LogReader {
  /**
   * Reads every partition of `topic` from the first offset whose Kafka timestamp ≥ `fromTime`
   * to the partition's end offset as of the call; each partition in offset order (partitions
   * interleave arbitrarily); resolves when all are read. Messages published after the call
   * are not waited for. `onMessages` is awaited before more are handed over.
   */
  readFrom(
    topic: string,
    fromTime: number,
    onMessages: (messages: BusMessage[]) => void | Promise<void>,
    options?: ReadFromOptions,
  ): Promise<{ messages: number }>;

  /**
   * Reads ONE partition: from the first offset whose Kafka timestamp ≥ `fromTime` up to
   * `endOffset` (exclusive; clamped to the partition's end offset as of the call), in offset
   * order. Like Kafka's ListOffsets by time, the start is the first such offset; messages after
   * it are handed over whatever their timestamps (CreateTime need not grow with the offset), so a
   * caller that wants only timestamps ≥ `fromTime` filters them. Resolves with nothing when the
   * range is empty. A partition the topic does not have rejects with a RangeError. The drift
   * service looks back with it for the original of a re-sent prediction (resent-duplicates.ts).
   */
  readPartition(
    topic: string,
    partition: number,
    fromTime: number,
    endOffset: number,
    onMessages: (messages: BusMessage[]) => void | Promise<void>,
    options?: ReadFromOptions,
  ): Promise<{ messages: number }>;
}
