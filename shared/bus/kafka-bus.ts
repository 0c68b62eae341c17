// The distributed mode's bus on kafkajs. Choices that carry the at-least-once contract:
// - consumers run eachBatch with auto-resolve and auto-commit off; a batch's offset is resolved
//   and committed (lastOffset + 1) only after the handler resolved, so a throw or a crash leaves
//   nothing committed and the batch comes again (kafkajs re-fetches from the last resolved offset);
// - the producer is idempotent (acks=all, one request in flight) so its retries never duplicate
//   or reorder messages within a partition;
// - connecting has a deadline: kafkajs would otherwise retry for minutes, and an operator wants
//   "brokers X unreachable" at startup instead.
import { randomUUID } from 'node:crypto';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import type { Admin, Consumer, EachBatchPayload, IHeaders, KafkaConfig, KafkaMessage, Producer, RetryOptions, SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import { BusClosedError, BusUnavailableError, GroupOptionsMismatchError, HandlerError, PublishIncompleteError, TopicMismatchError, UnknownTopicError } from './errors.js';
import { partitionForKey } from './partitioner.js';
import { partitionsConcurrentlyOf } from './partitions-concurrently.js';
import { assertSamePartitionCount } from './co-partitioned.js';
import { coPartitionedAssigner } from './co-partitioned-assigner.js';
import { CoPartitionPauses } from './co-partition-pauses.js';
import { ConnectFailures, KafkaConnectionError, recordingLogCreator } from './connect-failure.js';
import { kafkajsLevelFor, pinoLogCreator } from './kafka-log.js';
import type {
  BusMessage,
  EventBus,
  LogReader,
  OutgoingMessage,
  ReadFromOptions,
  SubscribeOptions,
  Subscription,
  TopicSpec,
} from './types.js';

/** TLS and SASL as kafkajs takes them; from KAFKA_SSL(_*) / KAFKA_SASL_* in services. */
export interface KafkaSecurity {
  /** true: TLS with the system CAs; an object: a private CA, a client certificate, rejectUnauthorized. */
  ssl?: boolean | KafkaTlsOptions;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
}

export interface KafkaBusOptions {
  brokers: string[];
  clientId?: string;
  security?: KafkaSecurity;
  logger: Logger;
  /** How long connecting (admin, producer, each consumer) may take before BusUnavailableError. */
  connectTimeoutMs?: number;
  /** kafkajs retry policy (exponential backoff) for requests after connecting. */
  retry?: RetryOptions;
  /** Replication of topics this bus creates; defaults to min(3, brokers in the cluster). */
  replicationFactor?: number;
  /**
   * min.insync.replicas of topics this bus creates; default 2 when their replication is 3 or
   * more (one broker may fail without an acks=all write being refused or held by one copy),
   * else the broker's default (1).
   */
  minInsyncReplicas?: number;
  /**
   * How long ensureTopics waits for every broker's metadata to show each topic with all its
   * partitions led (default 30 s). A topic just created is not yet known everywhere: a client
   * asking another broker gets UNKNOWN_TOPIC_OR_PARTITION for a moment.
   */
  topicsReadyTimeoutMs?: number;
  consumer?: {
    /** Time without heartbeat after which the broker declares a member dead and rebalances. */
    sessionTimeoutMs?: number;
    heartbeatIntervalMs?: number;
    /** How long the coordinator waits for members to rejoin during a rebalance. */
    rebalanceTimeoutMs?: number;
    /** Longest a fetch waits on an idle partition; bounds stop() and rejoin latency. */
    maxWaitTimeMs?: number;
    maxBytesPerPartition?: number;
  };
  /**
   * readFrom() fails when no batch arrived for this long while partitions were still unread
   * (default 60 s): a read that cannot progress (a partition without a leader, a group that
   * never gets its assignment) must end with an error, not hang a retrain forever.
   */
  readStallTimeoutMs?: number;
  /**
   * How many times publish() sends a partition's messages before it rejects with
   * PublishIncompleteError (default 3; each send has kafkajs's own retries inside).
   */
  publishAttempts?: number;
}

const DEFAULT_RETRY: RetryOptions = {
  initialRetryTime: 300,
  multiplier: 2,
  factor: 0.2,
  maxRetryTime: 30_000,
  retries: 8,
};

export class KafkaBus implements EventBus, LogReader {
  private readonly subscriptions = new Set<Subscription>();
  /** Reads in progress; close() aborts them and waits, so no throwaway consumer outlives the bus. */
  private readonly reads = new Map<AbortController, Promise<unknown>>();
  private readonly knownTopics = new Set<string>();
  private readonly partitionCounts = new Map<string, number>();
  /** The publish in progress; the next waits for it (see publish). */
  private sending: Promise<unknown> = Promise.resolve();
  private roundRobin = Math.floor(Math.random() * 1_000);
  private closed = false;

  private constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly producer: Producer,
    private readonly options: KafkaBusOptions,
    private readonly logger: Logger,
    private readonly connectFailures: ConnectFailures,
  ) {}

  /** Connects admin and producer, or fails with BusUnavailableError within `connectTimeoutMs`. */
  static async connect(options: KafkaBusOptions): Promise<KafkaBus> {
    const logger = options.logger.child({ component: 'kafka-bus' });
    const connectFailures = new ConnectFailures();
    const printedLevel = kafkajsLevelFor(options.logger);
    const kafka = new Kafka({
      clientId: options.clientId ?? 'driftwatch',
      brokers: options.brokers,
      ...securityOptions(options.security),
      retry: { ...DEFAULT_RETRY, ...options.retry },
      // ERROR at least, so connection failures reach connectFailures even when not printed.
      logLevel: Math.max(printedLevel, logLevel.ERROR),
      logCreator: recordingLogCreator(pinoLogCreator(options.logger), connectFailures, printedLevel),
    });
    const admin = kafka.admin();
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    const bus = new KafkaBus(kafka, admin, producer, options, logger, connectFailures);
    await bus.withConnectDeadline(Promise.all([admin.connect(), producer.connect()]), async () => {
      await Promise.allSettled([admin.disconnect(), producer.disconnect()]);
    });
    return bus;
  }

  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    this.assertOpen();
    if (specs.length === 0) return;
    const existing = new Set(await this.admin.listTopics());
    const missing = specs.filter((spec) => !existing.has(spec.topic));
    if (missing.length > 0) {
      const replicationFactor = this.options.replicationFactor ?? (await this.defaultReplication());
      const minInsync = this.options.minInsyncReplicas ?? (replicationFactor >= 3 ? 2 : undefined);
      // kafkajs's waitForLeaders asks one broker once; waitForTopics below asks every broker.
      // A topic another instance created meanwhile is not an error (kafkajs skips it).
      await this.admin.createTopics({
        waitForLeaders: false,
        topics: missing.map((spec) => ({
          topic: spec.topic,
          numPartitions: spec.partitions,
          replicationFactor,
          configEntries: topicConfig(spec, minInsync),
        })),
      });
      this.logger.info(
        { topics: missing.map((spec) => spec.topic), replicationFactor, minInsyncReplicas: minInsync ?? 'broker default' },
        'created topics',
      );
    }
    await this.waitForTopics(specs);
    for (const spec of specs) this.knownTopics.add(spec.topic);
  }

  /**
   * Resolves only when Kafka confirmed every message (issue 9). kafkajs 2.2.4's producer.send()
   * can resolve without a result for some partitions: when a broker dies mid-send, its retry
   * re-routes the dead leader's partitions to a broker that already answered and never sends
   * them (issue 9 lost 172–649 acknowledged messages that way; test/integration/broker-loss.test.ts
   * lost 166 of 60,000 with one send per publish, none since). So the bus routes
   * each message itself (murmur2 on the key, as kafkajs would; round-robin without a key),
   * sends each partition's messages in a send of their own, and counts a partition as written
   * only when the result names it without an error code. A partition that failed (a throw or
   * no result) is sent again, alone, up to `publishAttempts` times; then publish rejects with
   * PublishIncompleteError naming the partitions and the unconfirmed messages' indices.
   * Publishes run one at a time: a failed send gives its sequence numbers back to the
   * idempotent producer, so the re-send reuses them and the broker discards a copy it already
   * has; a concurrent send to the same partition would take those numbers instead.
   */
  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    this.assertOpen();
    if (messages.length === 0) return;
    // The idempotent producer retries an unknown topic without end; fail fast instead.
    await this.assertTopicsExist([topic]);
    const count = await this.partitionCount(topic);
    const byPartition = new Map<number, number[]>();
    messages.forEach((message, index) => {
      const partition = message.key === null ? (this.roundRobin = (this.roundRobin + 1) % count) : partitionForKey(message.key, count);
      const list = byPartition.get(partition);
      if (list) list.push(index);
      else byPartition.set(partition, [index]);
    });
    const turn = this.sending.then(() => this.sendConfirmed(topic, messages, byPartition));
    this.sending = turn.catch(() => undefined);
    await turn;
  }

  private async sendConfirmed(topic: string, messages: OutgoingMessage[], byPartition: Map<number, number[]>): Promise<void> {
    const attempts = Math.max(1, this.options.publishAttempts ?? 3);
    let pending = byPartition;
    for (let attempt = 1; ; attempt += 1) {
      const failed = (
        await Promise.all(
          [...pending].map(async ([partition, indices]) => ({ partition, error: await this.sendPartition(topic, partition, indices.map((i) => messages[i]!)) })),
        )
      ).filter((outcome): outcome is { partition: number; error: unknown } => outcome.error !== undefined);
      if (failed.length === 0) return;
      pending = new Map(failed.map(({ partition }) => [partition, pending.get(partition)!]));
      const partitions = [...pending.keys()].sort((a, b) => a - b);
      const cause = failed[0]!.error;
      // kafkajs "bails" (KafkaJSNonRetriableError) on what no re-send cures, e.g. a record too large.
      const refused = failed.every(({ error }) => error instanceof Error && error.name === 'KafkaJSNonRetriableError');
      if (attempt >= attempts || this.closed || refused) {
        const unconfirmed = [...pending.values()].flat().sort((a, b) => a - b);
        throw new PublishIncompleteError(topic, partitions, unconfirmed, messages.length, attempt, cause);
      }
      this.logger.warn(
        { topic, partitions, attempt, err: cause instanceof Error ? cause : new Error(String(cause)) },
        `publish to ${topic}: partitions ${partitions.join(', ')} not confirmed; sending them again`,
      );
      await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 250 * 2 ** (attempt - 1))));
    }
  }

  /** One partition's messages in one send; undefined when Kafka confirmed them, else why not. */
  private async sendPartition(topic: string, partition: number, messages: OutgoingMessage[]): Promise<unknown> {
    try {
      const results = await this.producer.send({
        topic,
        acks: -1,
        messages: messages.map((message) => ({
          partition,
          key: message.key,
          value: message.value,
          headers: message.headers,
          timestamp: message.timestamp === undefined ? undefined : String(message.timestamp),
        })),
      });
      const mine = results.find((result) => result.topicName === topic && result.partition === partition);
      if (!mine) return new Error(`kafkajs resolved the send without a result for ${topic}/${partition}`);
      if (mine.errorCode !== 0) return new Error(`${topic}/${partition}: error code ${mine.errorCode}`);
      return undefined;
    } catch (error) {
      return error ?? new Error('send failed');
    }
  }

  /** Partition count of a topic; it never changes under a running bus (TopicMismatchError). */
  private async partitionCount(topic: string): Promise<number> {
    const known = this.partitionCounts.get(topic);
    if (known !== undefined) return known;
    const { topics } = await this.admin.fetchTopicMetadata({ topics: [topic] });
    const count = topics.find((t) => t.name === topic)?.partitions.length ?? 0;
    if (count === 0) throw new UnknownTopicError(topic);
    this.partitionCounts.set(topic, count);
    return count;
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.assertOpen();
    const concurrency = partitionsConcurrentlyOf(options);
    await this.assertTopicsExist(options.topics);
    if (options.coPartitioned) {
      const counts = await Promise.all(options.topics.map(async (topic) => [topic, await this.partitionCount(topic)] as const));
      assertSamePartitionCount(Object.fromEntries(counts));
    }
    const tuning = this.options.consumer ?? {};
    const consumer = this.kafka.consumer({
      groupId: options.groupId,
      // Only co-partitioned groups leave kafkajs's default (round-robin over topic-partitions).
      ...(options.coPartitioned ? { partitionAssigners: [coPartitionedAssigner] } : {}),
      allowAutoTopicCreation: false,
      sessionTimeout: tuning.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: tuning.heartbeatIntervalMs ?? 3_000,
      rebalanceTimeout: tuning.rebalanceTimeoutMs ?? 60_000,
      maxWaitTimeInMs: tuning.maxWaitTimeMs ?? 1_000,
      maxBytesPerPartition: tuning.maxBytesPerPartition ?? 1_048_576,
    });
    watchConsumer(consumer, options, this.logger);
    const refusal = watchJoinRefusal(consumer);
    // BatchContext.pauseCoPartition. kafkajs keeps pauses across rebalances (its subscription
    // state outlives a rejoin), so every assignment lifts them here; a consumer kafkajs restarts
    // after a crash starts with none, and its join lifts this record of them.
    const pauses = options.coPartitioned ? new CoPartitionPauses(options.topics) : null;
    if (pauses) {
      consumer.on(consumer.events.GROUP_JOIN, () => {
        const lifted = pauses.reset();
        if (lifted.length > 0) consumer.resume(lifted.map(({ topic, partition }) => ({ topic, partitions: [partition] })));
      });
    }
    // Every assignment (a rebalance or a restart after a crash) asks startOffset again.
    const gate = options.startOffset ? new StartGate() : null;
    if (gate || options.onAssigned) {
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        options.onAssigned?.(payload.memberAssignment);
        if (!gate) return;
        gate.reset();
        // Asked at once for every assigned partition, not only at its first batch: a partition
        // with nothing new to fetch must still be rewound when the subscriber needs it read
        // again (the performance service rebuilds both sides of its join).
        for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
          for (const partition of partitions) gate.asking(topic, partition, this.askEagerly(topic, partition, options, { gate, consumer }));
        }
      });
    }
    await this.withConnectDeadline(consumer.connect(), async () => {
      await consumer.disconnect().catch(() => {});
    });
    let stopRequested = false;
    try {
      await consumer.subscribe({ topics: options.topics, fromBeginning: options.fromBeginning ?? true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        // kafkajs hands each fetch's batches to this many workers and fetches again only once all
        // settled, so a partition never has two batches in the handler (SubscribeOptions).
        partitionsConsumedConcurrently: concurrency,
        eachBatch: (payload) => this.handleBatch(payload, options, () => !stopRequested, gate && { gate, consumer }, pauses && { pauses, client: kafkaPauses(consumer) }),
      });
      // run() resolves even when the first join failed (kafkajs reports it as a crash, after
      // disconnecting); a refusal no retry cures is the caller's mistake, so say it here.
      if (refusal.refused) {
        throw new GroupOptionsMismatchError(
          options.groupId,
          `the broker refused this member's join: the group's members split it ${options.coPartitioned ? 'without' : 'with'} coPartitioned`,
        );
      }
    } catch (error) {
      await consumer.disconnect().catch(() => {});
      throw error;
    }
    let stopping: Promise<void> | null = null;
    const subscription: Subscription = {
      stop: () =>
        (stopping ??= (async () => {
          stopRequested = true;
          // kafkajs's stop waits for the batches in the handler, which then commit (see handleBatch).
          await consumer.disconnect();
          this.subscriptions.delete(subscription);
        })()),
    };
    this.subscriptions.add(subscription);
    this.logger.info({ group: options.groupId, topics: options.topics }, 'subscribed');
    return subscription;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const read of this.reads.keys()) read.abort(new BusClosedError());
    await Promise.allSettled([...this.reads.values()]);
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    await Promise.allSettled([this.producer.disconnect(), this.admin.disconnect()]);
  }

  /**
   * LogReader on Kafka. The range is fixed before any message is read: end offsets first, then
   * the first offset per partition whose timestamp ≥ fromTime (kafkajs gives the end offset
   * when there is none), so a partition whose start is at or past its end is skipped. kafkajs
   * cannot assign partitions without a group, so the read joins a fresh group of its own that
   * never commits (autoCommit off, nothing resolved to the coordinator) and seeks each
   * partition after run(). Offsets below the seek can still arrive in a batch fetched before
   * the seek took effect; they are dropped by tracking the next expected offset per partition.
   */
  async readFrom(
    topic: string,
    fromTime: number,
    onMessages: (messages: BusMessage[]) => void | Promise<void>,
    options: ReadFromOptions = {},
  ): Promise<{ messages: number }> {
    const pending = new Map<number, { next: bigint; end: bigint }>();
    for (const [partition, range] of await this.rangesFrom(topic, fromTime, options)) {
      if (range.next < range.end) pending.set(partition, range);
    }
    if (pending.size === 0) return { messages: 0 };
    return this.readTracked(topic, pending, onMessages, options);
  }

  /**
   * LogReader.readPartition on Kafka: readFrom's range for one partition, its end the smaller of
   * `endOffset` and the partition's end offset as of the call. The same throwaway group reads it
   * (a group join per read: with the broker's default `group.initial.rebalance.delay.ms`, 3 s,
   * a read takes at least that long), so callers keep it off any hot path.
   */
  async readPartition(
    topic: string,
    partition: number,
    fromTime: number,
    endOffset: number,
    onMessages: (messages: BusMessage[]) => void | Promise<void>,
    options: ReadFromOptions = {},
  ): Promise<{ messages: number }> {
    const ranges = await this.rangesFrom(topic, fromTime, options);
    const range = ranges.get(partition);
    if (!Number.isInteger(partition) || range === undefined) {
      throw new RangeError(`topic ${topic} has no partition ${partition} (it has ${ranges.size})`);
    }
    const end = range.end < BigInt(Math.max(0, endOffset)) ? range.end : BigInt(Math.max(0, endOffset));
    if (range.next >= end) return { messages: 0 };
    return this.readTracked(topic, new Map([[partition, { next: range.next, end }]]), onMessages, options);
  }

  /**
   * Per partition of `topic`: the first offset whose timestamp ≥ fromTime (kafkajs gives the end
   * offset when there is none) and the end offset, both as of the call.
   */
  private async rangesFrom(topic: string, fromTime: number, options: ReadFromOptions): Promise<Map<number, { next: bigint; end: bigint }>> {
    this.assertOpen();
    await this.assertTopicsExist([topic]);
    options.signal?.throwIfAborted();
    // Right after a topic is created its leader may not serve ListOffsets yet (NOT_LEADER), though
    // metadata already names it; kafkajs's admin does not retry that, so this does, briefly.
    const ends = await retryWhileLeaderMoves(() => this.admin.fetchTopicOffsets(topic));
    const starts = await retryWhileLeaderMoves(() => this.admin.fetchTopicOffsetsByTimestamp(topic, fromTime));
    const ranges = new Map<number, { next: bigint; end: bigint }>();
    for (const { partition, offset } of ends) {
      ranges.set(partition, { next: BigInt(starts.find((s) => s.partition === partition)?.offset ?? offset), end: BigInt(offset) });
    }
    return ranges;
  }

  /** readRange under the bus's list of reads (close() aborts them) and the caller's signal. */
  private async readTracked(
    topic: string,
    pending: Map<number, { next: bigint; end: bigint }>,
    onMessages: (messages: BusMessage[]) => void | Promise<void>,
    options: ReadFromOptions,
  ): Promise<{ messages: number }> {
    // The offset look-ups before this may have outlasted the caller's patience.
    options.signal?.throwIfAborted();
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const reading = this.readRange(topic, pending, onMessages, controller.signal);
    this.reads.set(controller, reading);
    try {
      return await reading;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      this.reads.delete(controller);
    }
  }

  private async readRange(
    topic: string,
    pending: Map<number, { next: bigint; end: bigint }>,
    onMessages: (messages: BusMessage[]) => void | Promise<void>,
    signal: AbortSignal,
  ): Promise<{ messages: number }> {
    const tuning = this.options.consumer ?? {};
    const groupId = `${this.options.clientId ?? 'driftwatch'}-log-reader-${randomUUID()}`;
    const consumer = this.kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: tuning.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: tuning.heartbeatIntervalMs ?? 3_000,
      rebalanceTimeout: tuning.rebalanceTimeoutMs ?? 60_000,
      maxWaitTimeInMs: tuning.maxWaitTimeMs ?? 1_000,
      maxBytesPerPartition: tuning.maxBytesPerPartition ?? 1_048_576,
      // One member that leaves when done: no rebalance to wait for, no retries after a crash.
      retry: { ...DEFAULT_RETRY, ...this.options.retry, restartOnFailure: async () => false },
    });
    const stallMs = this.options.readStallTimeoutMs ?? 60_000;
    let count = 0;
    let settle!: { resolve: () => void; reject: (error: unknown) => void };
    const finished = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    // It may settle (abort, crash) before it is awaited; the await below still sees the error.
    finished.catch(() => {});
    let stallTimer: NodeJS.Timeout | undefined;
    const armStall = (): void => {
      clearTimeout(stallTimer);
      stallTimer = setTimeout(
        () => settle.reject(new Error(`reading ${topic}: no progress for ${stallMs} ms with ${pending.size} partitions unread`)),
        stallMs,
      );
    };
    const onAbort = (): void => settle.reject(signal.reason ?? new Error('read aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    consumer.on(consumer.events.CRASH, ({ payload }) => settle.reject(payload.error));

    const pauseDone = (partition: number): void => {
      pending.delete(partition);
      // Stops fetching it, so the remaining partitions' fetches never wait on this one.
      consumer.pause([{ topic, partitions: [partition] }]);
      if (pending.size === 0) settle.resolve();
    };

    try {
      await this.withConnectDeadline(consumer.connect(), async () => {
        await consumer.disconnect().catch(() => {});
      });
      signal.throwIfAborted();
      armStall();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        // Never commits (the group is thrown away), but resolves each batch's offsets so the
        // next fetch moves on: an unresolved batch is fetched again and again.
        autoCommit: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: async ({ batch, heartbeat, isStale }) => {
          const range = pending.get(batch.partition);
          if (!range || isStale() || signal.aborted) return;
          const messages: BusMessage[] = [];
          for (const message of batch.messages) {
            const offset = BigInt(message.offset);
            if (offset >= range.next && offset < range.end) messages.push(toBusMessage(batch.topic, batch.partition, message));
          }
          if (messages.length > 0) {
            await onMessages(messages);
            count += messages.length;
            range.next = BigInt(messages.at(-1)!.offset) + 1n;
            // Only progress defers the stall deadline: a batch that brings nothing new must not.
            armStall();
          }
          // lastOffset() covers trailing control records and compacted gaps that never reach us.
          if (range.next >= range.end || BigInt(batch.lastOffset()) + 1n >= range.end) pauseDone(batch.partition);
          else await heartbeat();
        },
      });
      for (const [partition, range] of pending) consumer.seek({ topic, partition, offset: range.next.toString() });
      const others = (await this.admin.fetchTopicOffsets(topic)).map((p) => p.partition).filter((p) => !pending.has(p));
      if (others.length > 0) consumer.pause([{ topic, partitions: others }]);
      await finished;
      return { messages: count };
    } finally {
      clearTimeout(stallTimer);
      signal.removeEventListener('abort', onAbort);
      // Not from inside eachBatch: kafkajs's disconnect waits for the batch in the handler.
      await consumer.disconnect().catch(() => {});
      // The group never committed, so the broker would drop it eventually; deleting it now keeps
      // group listings clean. Best effort: a failure here must not fail a read that succeeded.
      await this.admin.deleteGroups([groupId]).catch(() => {});
    }
  }

  private async handleBatch(
    payload: EachBatchPayload,
    options: SubscribeOptions,
    notStopped: () => boolean,
    starts: { gate: StartGate; consumer: Consumer } | null,
    coPartitions: { pauses: CoPartitionPauses; client: ReturnType<typeof kafkaPauses> } | null,
  ): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    const last = batch.messages.at(-1);
    // A seek made the batch stale: its offsets must not be committed over the new position.
    if (!last || isStale()) return;
    // Fetched before its partition was paused: unresolved, it is fetched again after the resume.
    if (coPartitions?.pauses.has(batch.topic, batch.partition)) return;
    const messages = batch.messages.map((message) => toBusMessage(batch.topic, batch.partition, message));
    try {
      // Rewound to where the subscriber's own progress says: nothing of this batch is handled.
      if (starts) {
        await starts.gate.asked(batch.topic, batch.partition);
        // The answer sought the partition elsewhere: this batch was fetched before.
        if (isStale()) return;
        if (!(await this.passesStartGate(batch.topic, batch.partition, messages[0]!.offset, options, starts))) return;
      }
      await options.handler(
        {
          topic: batch.topic,
          partition: batch.partition,
          messages,
          lastOffset: Number(last.offset),
          highWatermark: Number(batch.highWatermark),
        },
        coPartitions
          ? { heartbeat, isRunning: () => isRunning() && notStopped(), ...coPartitions.pauses.controlsFor(batch.partition, coPartitions.client) }
          : { heartbeat, isRunning: () => isRunning() && notStopped() },
      );
    } catch (error) {
      // After a failure the subscriber's progress may have moved back (its store restarted): ask again.
      starts?.gate.forget(batch.topic, batch.partition);
      // kafkajs's own errors (a rebalance during heartbeat, …) drive its group protocol; any
      // other must stay retriable, or a TypeError/RangeError would kill the consumer for good.
      if (error instanceof Error && error.name.startsWith('KafkaJS')) throw error;
      throw new HandlerError(`${batch.topic}/${batch.partition} from offset ${batch.messages[0]!.offset}`, error);
    }
    resolveOffset(last.offset);
    // batch.lastOffset() also covers trailing control records that never reach the handler.
    // The payload's commit goes straight to the coordinator, unlike consumer.commitOffsets,
    // which kafkajs skips once stop() began: the in-flight batch of a graceful stop must commit.
    const next = (BigInt(batch.lastOffset()) + 1n).toString();
    await commitOffsetsIfNecessary({
      topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }],
    });
  }

  /**
   * SubscribeOptions.startOffset on Kafka: before the first batch of a partition since the last
   * assignment (or failure), ask where the subscriber needs it from; below this batch's first
   * offset, seek there and drop the batch (kafkajs fetches again from the seek). The batch after
   * a seek passes whatever its first offset: one starting later means the log no longer holds
   * what was asked for (retention), which is logged rather than sought again forever.
   */
  private async passesStartGate(
    topic: string,
    partition: number,
    first: number,
    options: SubscribeOptions,
    { gate, consumer }: { gate: StartGate; consumer: Consumer },
  ): Promise<boolean> {
    const sought = gate.takeSought(topic, partition);
    if (sought !== undefined) {
      if (first > sought) {
        this.logger.error(
          { group: options.groupId, topic, partition, from: sought, logStart: first },
          `rewound ${topic}/${partition} to offset ${sought} as the subscriber's progress asked, but the log starts at ${first}: offsets ${sought}..${first - 1} are gone (retention) and are not counted`,
        );
      }
      gate.pass(topic, partition);
      return true;
    }
    if (gate.passed(topic, partition)) return true;
    const committed = await this.committedOffset(options.groupId, topic, partition);
    return !(await this.rewindToStartOffset(topic, partition, { committed, position: first }, options, { gate, consumer }));
  }

  /**
   * SubscribeOptions.startOffset right after an assignment: seeks the partition back when the
   * subscriber needs it from before the group's committed offset, else lets its batches pass.
   * A partition the group never committed is left to its first batch, and so is one whose ask
   * failed (asked again there, where a failure counts as a failed batch).
   */
  private async askEagerly(topic: string, partition: number, options: SubscribeOptions, { gate, consumer }: { gate: StartGate; consumer: Consumer }): Promise<void> {
    const generation = gate.generation;
    try {
      const committed = await this.committedOffset(options.groupId, topic, partition);
      if (committed === null) return;
      await this.rewindToStartOffset(topic, partition, { committed, position: committed }, options, { gate, consumer }, () => gate.generation === generation);
    } catch (error) {
      this.logger.warn({ err: error, group: options.groupId, topic, partition }, 'asking where a partition starts failed; asked again at its first batch');
    }
  }

  /**
   * Asks the subscriber where the partition must resume: before `position` (where the member
   * would go on from), seeks it back there; otherwise the partition passes the gate. Resolves
   * with whether it was sought. An answer `stillWanted` turns down (the assignment it was asked
   * for is over) changes nothing.
   */
  private async rewindToStartOffset(
    topic: string,
    partition: number,
    { committed, position }: { committed: number | null; position: number },
    options: SubscribeOptions,
    { gate, consumer }: { gate: StartGate; consumer: Consumer },
    stillWanted: () => boolean = () => true,
  ): Promise<boolean> {
    const start = await options.startOffset!({
      topic,
      partition,
      committed,
      rewindCoPartition: (other, offset) => this.rewindCoPartition(options, { gate, consumer }, other, partition, offset),
    });
    if (!stillWanted()) return false;
    if (start !== null && start < position) {
      this.logger.warn(
        { group: options.groupId, topic, partition, from: start, position },
        `rewinding ${topic}/${partition} from ${position} to ${start}: the subscriber's progress is behind the group's committed offset`,
      );
      gate.seek(topic, partition, start);
      consumer.seek({ topic, partition, offset: String(start) });
      return true;
    }
    gate.pass(topic, partition);
    return false;
  }

  /** PartitionStart.rewindCoPartition on Kafka: a seek, whose first batch then passes the gate. */
  private rewindCoPartition(options: SubscribeOptions, { gate, consumer }: { gate: StartGate; consumer: Consumer }, topic: string, partition: number, offset: number): void {
    this.logger.warn({ group: options.groupId, topic, partition, from: offset }, `rewinding ${topic}/${partition} to ${offset}: the subscriber rebuilds state it shares with another topic's partition ${partition}`);
    gate.forget(topic, partition);
    gate.seek(topic, partition, offset);
    consumer.seek({ topic, partition, offset: String(offset) });
  }

  /** The group's committed offset of a partition (the next to read), or null when it has none. */
  private async committedOffset(groupId: string, topic: string, partition: number): Promise<number | null> {
    const [entry] = await this.admin.fetchOffsets({ groupId, topics: [topic] });
    const offset = entry?.partitions.find((p) => p.partition === partition)?.offset;
    return offset === undefined || Number(offset) < 0 ? null : Number(offset);
  }

  private async assertTopicsExist(topics: string[]): Promise<void> {
    if (topics.every((topic) => this.knownTopics.has(topic))) return;
    const existing = await this.admin.listTopics();
    for (const topic of existing) this.knownTopics.add(topic);
    const missing = topics.find((topic) => !this.knownTopics.has(topic));
    if (missing !== undefined) throw new UnknownTopicError(missing);
  }

  /**
   * Polls metadata until the topics have their partitions, each with a leader, as seen by the
   * bus's admin and then by every broker directly (clients ask whichever broker they like, and
   * a fresh KRaft cluster propagates a new topic to the brokers one by one). Fails with the
   * last thing seen after `topicsReadyTimeoutMs`; a topic whose partition count differs from
   * its spec (a concurrent creator chose another) fails at once with TopicMismatchError.
   */
  private async waitForTopics(specs: TopicSpec[]): Promise<void> {
    const timeoutMs = this.options.topicsReadyTimeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    const names = specs.map((spec) => spec.topic);
    let last = 'no metadata yet';
    const check = (topics: { name: string; partitions: { partitionId: number; leader: number }[] }[], from: string): boolean => {
      for (const spec of specs) {
        const partitions = topics.find((t) => t.name === spec.topic)?.partitions ?? [];
        if (partitions.length === 0) {
          last = `${from}: ${spec.topic} not in metadata`;
          return false;
        }
        if (partitions.length !== spec.partitions) throw new TopicMismatchError(spec.topic, spec.partitions, partitions.length);
        const leaderless = partitions.find((p) => p.leader < 0);
        if (leaderless) {
          last = `${from}: ${spec.topic}/${leaderless.partitionId} has no leader`;
          return false;
        }
      }
      return true;
    };
    const poll = async (ask: () => Promise<boolean>): Promise<void> => {
      for (;;) {
        try {
          if (await ask()) return;
        } catch (error) {
          if (error instanceof TopicMismatchError) throw error;
          last = error instanceof Error ? error.message : String(error);
        }
        if (Date.now() >= deadline) {
          throw new Error(`topics ${names.join(', ')} not ready on every broker within ${timeoutMs} ms (last: ${last})`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    await poll(async () => check((await this.admin.fetchTopicMetadata({ topics: names })).topics, 'admin'));
    const { brokers } = await this.admin.describeCluster();
    if (brokers.length <= 1) return;
    await Promise.all(
      brokers.map(async ({ host, port, nodeId }) => {
        // One broker as the only seed, no retries: each poll is one metadata request to it.
        const kafka = new Kafka({
          clientId: `${this.options.clientId ?? 'driftwatch'}-topics-check`,
          brokers: [`${host}:${port}`],
          ...securityOptions(this.options.security),
          connectionTimeout: 2_000,
          requestTimeout: 5_000,
          retry: { retries: 0 },
          logLevel: logLevel.NOTHING,
        });
        const admin = kafka.admin();
        try {
          await poll(async () => {
            await admin.connect();
            return check((await admin.fetchTopicMetadata({ topics: names })).topics, `broker ${nodeId}`);
          });
        } finally {
          await admin.disconnect().catch(() => {});
        }
      }),
    );
  }

  private async defaultReplication(): Promise<number> {
    const { brokers } = await this.admin.describeCluster();
    return Math.min(3, brokers.length);
  }

  private async withConnectDeadline<T>(work: Promise<T>, abandon: () => Promise<void>): Promise<T> {
    const deadlineMs = this.options.connectTimeoutMs ?? 15_000;
    const mark = this.connectFailures.mark();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // kafkajs is still retrying: the last failure it reported says why (TLS, refused, …).
        const last = this.connectFailures.since(mark);
        reject(new BusUnavailableError(this.options.brokers, deadlineMs, last === undefined ? {} : { cause: new KafkaConnectionError(last) }));
      }, deadlineMs);
    });
    try {
      return await Promise.race([work, deadline]);
    } catch (error) {
      // kafkajs keeps retrying in the background after we give up; disconnecting ends that.
      work.catch(() => {});
      await abandon();
      if (error instanceof BusUnavailableError) throw error;
      // A refused login is not "unreachable": say what it is. (Exhausted retries keep the old wording.)
      throw new BusUnavailableError(this.options.brokers, deadlineMs, { cause: error, beforeDeadline: isAuthenticationFailure(error) });
    } finally {
      clearTimeout(timer);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new BusClosedError();
  }
}

/** CoPartitionPauses' client on kafkajs: fetching of a paused partition stops at the next fetch. */
function kafkaPauses(consumer: Consumer): { pause(topic: string, partition: number): void; resume(topic: string, partition: number): void } {
  return {
    pause: (topic, partition) => consumer.pause([{ topic, partitions: [partition] }]),
    resume: (topic, partition) => consumer.resume([{ topic, partitions: [partition] }]),
  };
}

/** Retries `work` for up to 10 s while Kafka answers with a retriable leadership error. */
async function retryWhileLeaderMoves<T>(work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await work();
    } catch (error) {
      const leadership = error instanceof Error && error.name === 'KafkaJSProtocolError' && (error as { retriable?: boolean }).retriable === true;
      if (!leadership || Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function topicConfig(spec: TopicSpec, minInsyncReplicas: number | undefined): { name: string; value: string }[] {
  const entries: { name: string; value: string }[] = [{ name: 'cleanup.policy', value: spec.cleanupPolicy ?? 'delete' }];
  if (spec.retentionMs !== undefined) entries.push({ name: 'retention.ms', value: String(spec.retentionMs) });
  if (minInsyncReplicas !== undefined) entries.push({ name: 'min.insync.replicas', value: String(minInsyncReplicas) });
  return entries;
}

/**
 * Reports the consumer's life to `options.onStatus` (readiness): kafkajs's CRASH event says
 * whether it will restart the consumer (a retriable error, after a backoff) or never (then the
 * consumer is disconnected for good and only a new process or subscription consumes again);
 * GROUP_JOIN says it is a member again.
 */
/** Which partitions passed SubscribeOptions.startOffset since the last assignment, and which were sought. */
class StartGate {
  private readonly passedKeys = new Set<string>();
  private readonly soughtKeys = new Map<string, number>();
  private readonly asks = new Map<string, Promise<void>>();
  /** Moves with every assignment: an answer for an earlier one is dropped. */
  generation = 0;

  reset(): void {
    this.passedKeys.clear();
    this.soughtKeys.clear();
    this.asks.clear();
    this.generation += 1;
  }
  asking(topic: string, partition: number, ask: Promise<void>): void {
    this.asks.set(`${topic}\u0000${partition}`, ask);
  }
  /** Waits for the assignment's ask of the partition, if one is under way. */
  async asked(topic: string, partition: number): Promise<void> {
    await this.asks.get(`${topic}\u0000${partition}`);
  }
  passed(topic: string, partition: number): boolean {
    return this.passedKeys.has(`${topic}\u0000${partition}`);
  }
  pass(topic: string, partition: number): void {
    this.passedKeys.add(`${topic}\u0000${partition}`);
  }
  forget(topic: string, partition: number): void {
    this.passedKeys.delete(`${topic}\u0000${partition}`);
    this.soughtKeys.delete(`${topic}\u0000${partition}`);
  }
  seek(topic: string, partition: number, offset: number): void {
    this.soughtKeys.set(`${topic}\u0000${partition}`, offset);
  }
  takeSought(topic: string, partition: number): number | undefined {
    const key = `${topic}\u0000${partition}`;
    const offset = this.soughtKeys.get(key);
    this.soughtKeys.delete(key);
    return offset;
  }
}

/**
 * Whether the broker refused the member's join because no partition assigner it offers is one
 * every member offers (INCONSISTENT_GROUP_PROTOCOL): coPartitioned differs from the group's.
 */
function watchJoinRefusal(consumer: Consumer): { refused: boolean } {
  const seen = { refused: false };
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    for (let e: unknown = payload.error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth += 1) {
      if ((e as { type?: string }).type === 'INCONSISTENT_GROUP_PROTOCOL') seen.refused = true;
    }
  });
  return seen;
}

function watchConsumer(consumer: Consumer, options: SubscribeOptions, logger: Logger): void {
  const onStatus = options.onStatus;
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    const error = payload.error instanceof Error ? payload.error : new Error(String(payload.error));
    logger.error({ err: error, group: options.groupId, restart: payload.restart }, payload.restart ? 'consumer crashed; kafkajs restarts it' : 'consumer crashed and will not restart');
    onStatus?.({ state: payload.restart ? 'restarting' : 'failed', error });
  });
  consumer.on(consumer.events.GROUP_JOIN, () => onStatus?.({ state: 'running' }));
}

function toBusMessage(topic: string, partition: number, message: KafkaMessage): BusMessage {
  return {
    topic,
    partition,
    offset: Number(message.offset),
    key: message.key ?? null,
    value: message.value ?? null,
    headers: toBufferHeaders(message.headers),
    timestamp: Number(message.timestamp),
  };
}

const NO_HEADERS: Record<string, Buffer | undefined> = Object.freeze({});

function toBufferHeaders(headers: IHeaders | undefined): Record<string, Buffer | undefined> {
  if (!headers) return NO_HEADERS;
  // Mostly every value is one Buffer already (kafkajs decodes them so): no copy per message then.
  let plain = true;
  for (const name in headers) {
    if (!Buffer.isBuffer(headers[name])) {
      plain = false;
      break;
    }
  }
  if (plain) return headers as Record<string, Buffer | undefined>;
  const result: Record<string, Buffer | undefined> = {};
  // for..in: no entries array per message on the consume path.
  for (const name in headers) {
    const raw = headers[name];
    // Kafka allows a header name to repeat; the last value wins, as in most clients' lastHeader().
    const value = Array.isArray(raw) ? raw.at(-1) : raw;
    result[name] = value === undefined ? undefined : typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  }
  return result;
}

/** TLS material for the brokers' connections (PEM contents, as node:tls takes them). */
export interface KafkaTlsOptions {
  ca?: string | Buffer | Array<string | Buffer>;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Default true; false accepts any certificate (development only). */
  rejectUnauthorized?: boolean;
  servername?: string;
}

/** kafkajs's SASL failure, possibly wrapped (KafkaJSNonRetriableError keeps it as `cause`). */
function isAuthenticationFailure(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth += 1) {
    if (e.name === 'KafkaJSSASLAuthenticationError') return true;
  }
  return false;
}

/** kafkajs' ssl/sasl fields, present only when asked for (kafkajs treats `ssl: false` and absent alike). */
export function securityOptions(security: KafkaSecurity | undefined): Partial<Pick<KafkaConfig, 'ssl' | 'sasl'>> {
  if (!security) return {};
  const { ssl, sasl } = security;
  let tls: KafkaConfig['ssl'];
  if (ssl === true) tls = true;
  else if (typeof ssl === 'object') {
    // Only the fields given: an absent rejectUnauthorized keeps node's default (true).
    tls = Object.fromEntries(Object.entries(ssl).filter(([, value]) => value !== undefined));
  }
  return {
    ...(tls !== undefined ? { ssl: tls } : {}),
    ...(sasl ? { sasl: sasl as SASLOptions } : {}),
  };
}
