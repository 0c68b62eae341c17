// The embedded mode's bus: Kafka's consumer-group semantics in one process, so services run
// unchanged without a broker. What it keeps from Kafka, because the services rely on it:
// - partitions chosen by the same murmur2 partitioner (co-partitioned predictions and labels);
// - per consumer group, committed offsets, and partitions split among the group's members
//   (re-split whenever a member joins or leaves), round-robin like kafkajs's default assigner
//   or, with SubscribeOptions.coPartitioned, by partition number like KafkaBus's assigner;
// - one batch in flight per partition, in offset order, and up to `partitionsConcurrently` of a
//   member's partitions at once (kafkajs's workers), each committed only after its handler
//   resolved; a failed or abandoned batch is delivered again from the committed offset;
// - co-partitioned members may hold a co-partition back (BatchContext.pauseCoPartition) until
//   they resume it or the next rebalance;
// - delivery always on a later tick, never inside publish(), like a network hop.
import type { Logger } from 'pino';
import { BusClosedError, GroupOptionsMismatchError, TopicMismatchError, UnknownTopicError } from './errors.js';
import { assertSamePartitionCount, coPartitionedAssignment } from './co-partitioned.js';
import { CoPartitionPauses } from './co-partition-pauses.js';
import { partitionForKey } from './partitioner.js';
import { partitionsConcurrentlyOf } from './partitions-concurrently.js';
import type {
  Batch,
  BatchContext,
  BatchHandler,
  BusMessage,
  EventBus,
  PartitionStart,
  LogReader,
  OutgoingMessage,
  ReadFromOptions,
  SubscribeOptions,
  Subscription,
  TopicSpec,
} from './types.js';

export interface MemoryBusOptions {
  /** Most messages handed to a handler at once, per partition. */
  maxBatchMessages?: number;
  /** Messages kept per partition of a delete-policy topic; older ones are dropped like Kafka retention. */
  retainPerPartition?: number;
  /** Backoff after a handler failure before the member retries, doubling up to `retryMaxMs`. */
  retryInitialMs?: number;
  retryMaxMs?: number;
  logger?: Logger;
}

const DEFAULTS = {
  maxBatchMessages: 500,
  retainPerPartition: 200_000,
  retryInitialMs: 100,
  retryMaxMs: 5_000,
};

class PartitionLog {
  private messages: BusMessage[] = [];
  private compactedUpTo = 0;
  nextOffset = 0;

  get startOffset(): number {
    return this.messages[0]?.offset ?? this.nextOffset;
  }

  append(message: BusMessage): void {
    this.messages.push(message);
    this.nextOffset = message.offset + 1;
  }

  /** Messages with offset >= `from`, at most `max`; offsets may have gaps after compaction. */
  read(from: number, max: number): BusMessage[] {
    let lo = 0;
    let hi = this.messages.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.messages[mid]!.offset < from) lo = mid + 1;
      else hi = mid;
    }
    return this.messages.slice(lo, lo + max);
  }

  /**
   * Offset of the first message with timestamp ≥ `time`, or the end offset when there is none:
   * what Kafka's ListOffsets by timestamp answers (and kafkajs maps "none" to the end).
   */
  offsetForTime(time: number): number {
    const first = this.messages.find((message) => message.timestamp >= time);
    return first === undefined ? this.nextOffset : first.offset;
  }

  enforceRetention(spec: TopicSpec, retainPerPartition: number, now: number): void {
    if (spec.cleanupPolicy === 'compact') {
      this.compactIfGrown();
      return;
    }
    let drop = Math.max(0, this.messages.length - retainPerPartition);
    // -1 keeps messages forever, as retention.ms=-1 does on Kafka.
    if (spec.retentionMs !== undefined && spec.retentionMs >= 0) {
      const oldest = now - spec.retentionMs;
      while (drop < this.messages.length && this.messages[drop]!.timestamp < oldest) drop++;
    }
    // Splicing for every message over the cap would make each publish O(n); over-count drops
    // wait for a chunk. Expired messages go at once: retention time is a promise to readers.
    const expired = drop > Math.max(0, this.messages.length - retainPerPartition);
    if (drop >= Math.min(1024, retainPerPartition) || (drop > 0 && expired)) this.messages.splice(0, drop);
  }

  /** Keeps the latest message per key (and drops tombstones' predecessors), as Kafka's log cleaner does eventually. */
  private compactIfGrown(): void {
    if (this.messages.length < Math.max(1024, this.compactedUpTo * 2)) return;
    const latest = new Map<string, number>();
    for (const message of this.messages) {
      if (message.key) latest.set(message.key.toString('base64'), message.offset);
    }
    this.messages = this.messages.filter(
      (message) => message.key !== null && latest.get(message.key.toString('base64')) === message.offset,
    );
    this.compactedUpTo = this.messages.length;
  }
}

class Topic {
  readonly logs: PartitionLog[];
  private roundRobin = 0;

  constructor(readonly spec: TopicSpec) {
    this.logs = Array.from({ length: spec.partitions }, () => new PartitionLog());
  }

  partitionFor(key: string | null): number {
    if (key !== null) return partitionForKey(key, this.logs.length);
    return this.roundRobin++ % this.logs.length;
  }
}

interface TopicPartition {
  topic: string;
  partition: number;
}

const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

class Member {
  running = true;
  assigned: TopicPartition[] = [];
  /** Batches in the handler, by topic-partition key; at most `concurrency`. */
  readonly inflight = new Map<string, Promise<void>>();
  retryTimer: NodeJS.Timeout | null = null;
  failures = 0;
  /** Partitions that passed `startOffset` since the last rebalance (or failure), and where one was rewound to. */
  readonly started = new Set<string>();
  readonly sought = new Map<string, number>();
  /** Partitions whose assignment-time ask (askEagerly) is under way; `generation` moves with every rebalance. */
  readonly asking = new Set<string>();
  readonly askedEagerly = new Set<string>();
  generation = 0;
  /** BatchContext.pauseCoPartition: partitions not delivered until resumed or reassigned (co-partitioned members only). */
  readonly pauses: CoPartitionPauses | null;
  private cursor = 0;

  constructor(
    readonly id: number,
    readonly topics: readonly string[],
    readonly handler: BatchHandler,
    readonly fromBeginning: boolean,
    readonly concurrency: number,
    readonly coPartitioned: boolean,
    readonly startOffset?: (partition: PartitionStart) => Promise<number | null>,
    readonly onAssigned?: SubscribeOptions['onAssigned'],
  ) {
    this.pauses = coPartitioned ? new CoPartitionPauses(topics) : null;
  }

  /** Assigned partitions starting after the last one served, so one busy partition cannot starve the others. */
  *rotation(): Generator<TopicPartition> {
    const count = this.assigned.length;
    const start = this.cursor;
    for (let i = 0; i < count; i++) {
      const index = (start + i) % count;
      this.cursor = (index + 1) % count;
      yield this.assigned[index]!;
    }
  }
}

class Group {
  members: Member[] = [];
  /** Next offset to consume per partition: Kafka's committed offset. */
  readonly committed = new Map<string, number>();
  /** Partitions with a batch in a handler; a new owner waits until it is settled. */
  readonly inflight = new Set<string>();
  scheduled = false;

  constructor(readonly id: string) {}
}

export class MemoryBus implements EventBus, LogReader {
  private readonly topics = new Map<string, Topic>();
  private readonly groups = new Map<string, Group>();
  private readonly options: typeof DEFAULTS;
  private readonly logger: Logger | undefined;
  private nextMemberId = 1;
  private closed = false;

  constructor(options: MemoryBusOptions = {}) {
    const { logger, ...rest } = options;
    this.options = { ...DEFAULTS, ...stripUndefined(rest) };
    this.logger = logger?.child({ component: 'memory-bus' });
  }

  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    this.assertOpen();
    for (const spec of specs) {
      const existing = this.topics.get(spec.topic);
      if (existing) {
        if (existing.logs.length !== spec.partitions) {
          throw new TopicMismatchError(spec.topic, spec.partitions, existing.logs.length);
        }
        continue;
      }
      if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
        throw new RangeError(`topic ${spec.topic}: partitions must be a positive integer`);
      }
      this.topics.set(spec.topic, new Topic({ ...spec }));
    }
  }

  async publish(topicName: string, messages: OutgoingMessage[]): Promise<void> {
    this.assertOpen();
    const topic = this.topics.get(topicName);
    if (!topic) throw new UnknownTopicError(topicName);
    const now = Date.now();
    const touched = new Set<PartitionLog>();
    for (const message of messages) {
      const partition = topic.partitionFor(message.key);
      const log = topic.logs[partition]!;
      log.append({
        topic: topicName,
        partition,
        offset: log.nextOffset,
        key: message.key === null ? null : Buffer.from(message.key, 'utf8'),
        value: message.value,
        headers: toBufferHeaders(message.headers),
        timestamp: message.timestamp ?? now,
      });
      touched.add(log);
    }
    for (const log of touched) log.enforceRetention(topic.spec, this.options.retainPerPartition, now);
    for (const group of this.groups.values()) {
      if (group.members.some((member) => member.topics.includes(topicName))) this.schedule(group);
    }
  }

  /**
   * LogReader over the in-memory log: the same range Kafka's would be (first offset whose
   * timestamp ≥ fromTime, to the end offset at the call), handed over in chunks of at most
   * `maxBatchMessages` on later ticks, one partition after another. Nothing of any group moves.
   */
  async readFrom(
    topicName: string,
    fromTime: number,
    onMessages: (messages: BusMessage[]) => void | Promise<void>,
    options: ReadFromOptions = {},
  ): Promise<{ messages: number }> {
    this.assertOpen();
    const topic = this.topics.get(topicName);
    if (!topic) throw new UnknownTopicError(topicName);
    options.signal?.throwIfAborted();
    // Fixed before anything is read, so messages published meanwhile are not waited for.
    return this.readRanges(
      topic.logs.map((log) => ({ log, next: log.offsetForTime(fromTime), end: log.nextOffset })),
      onMessages,
      options,
    );
  }

  /** LogReader.readPartition over the in-memory log: one partition, the end clamped to its end offset. */
  async readPartition(
    topicName: string,
    partition: number,
    fromTime: number,
    endOffset: number,
    onMessages: (messages: BusMessage[]) => void | Promise<void>,
    options: ReadFromOptions = {},
  ): Promise<{ messages: number }> {
    this.assertOpen();
    const topic = this.topics.get(topicName);
    if (!topic) throw new UnknownTopicError(topicName);
    const log = topic.logs[partition];
    if (!Number.isInteger(partition) || log === undefined) {
      throw new RangeError(`topic ${topicName} has no partition ${partition} (it has ${topic.logs.length})`);
    }
    options.signal?.throwIfAborted();
    return this.readRanges([{ log, next: log.offsetForTime(fromTime), end: Math.min(endOffset, log.nextOffset) }], onMessages, options);
  }

  /** Hands over each range's messages, `[next, end)`, in chunks on later ticks, one range after another. */
  private async readRanges(
    ranges: { log: PartitionLog; next: number; end: number }[],
    onMessages: (messages: BusMessage[]) => void | Promise<void>,
    options: ReadFromOptions,
  ): Promise<{ messages: number }> {
    let count = 0;
    for (const range of ranges) {
      while (range.next < range.end) {
        // A later tick, as a fetch would be: never inside the caller's synchronous code.
        await new Promise<void>((resolve) => setImmediate(resolve));
        options.signal?.throwIfAborted();
        this.assertOpen();
        const messages = range.log.read(range.next, this.options.maxBatchMessages).filter((m) => m.offset < range.end);
        // Retention may have dropped the rest of the range meanwhile; Kafka would skip it too.
        if (messages.length === 0) break;
        await onMessages(messages);
        count += messages.length;
        range.next = messages.at(-1)!.offset + 1;
      }
    }
    // An abort during the last hand-over still fails the read, as it does on Kafka.
    options.signal?.throwIfAborted();
    return { messages: count };
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.assertOpen();
    for (const topic of options.topics) {
      if (!this.topics.has(topic)) throw new UnknownTopicError(topic);
    }
    const concurrency = partitionsConcurrentlyOf(options);
    const coPartitioned = options.coPartitioned ?? false;
    if (coPartitioned) {
      assertSamePartitionCount(Object.fromEntries(options.topics.map((topic) => [topic, this.topics.get(topic)!.logs.length])));
    }
    let group = this.groups.get(options.groupId);
    if (!group) {
      group = new Group(options.groupId);
      this.groups.set(options.groupId, group);
    }
    assertJoinsAlike(group, options.topics, coPartitioned);
    const member = new Member(
      this.nextMemberId++,
      [...options.topics],
      options.handler,
      options.fromBeginning ?? true,
      concurrency,
      coPartitioned,
      options.startOffset,
      options.onAssigned,
    );
    group.members.push(member);
    this.rebalance(group);
    const joined = group;
    let stopping: Promise<void> | null = null;
    return {
      stop: () => (stopping ??= this.leave(joined, member)),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const leaving: Promise<void>[] = [];
    for (const group of this.groups.values()) {
      for (const member of [...group.members]) leaving.push(this.leave(group, member));
    }
    await Promise.all(leaving);
    this.groups.clear();
    this.topics.clear();
  }

  private assertOpen(): void {
    if (this.closed) throw new BusClosedError();
  }

  private async leave(group: Group, member: Member): Promise<void> {
    member.running = false;
    if (member.retryTimer) {
      clearTimeout(member.retryTimer);
      member.retryTimer = null;
    }
    // Graceful: the batches in the handler finish (and commit if they succeed) before the partitions move.
    await Promise.all(member.inflight.values());
    group.members = group.members.filter((m) => m !== member);
    this.rebalance(group);
  }

  /** Splits the group's partitions among its members, each time one joins or leaves. */
  private rebalance(group: Group): void {
    for (const member of group.members) {
      member.assigned = [];
      // A new assignment asks startOffset again, as a Kafka rebalance does.
      member.started.clear();
      member.sought.clear();
      member.askedEagerly.clear();
      member.generation += 1;
      member.pauses?.reset();
    }
    const members = [...group.members].sort((a, b) => a.id - b.id);
    const assign = members[0]?.coPartitioned ? this.assignCoPartitioned : this.assignRoundRobin;
    for (const { owner, topic, partition } of assign.call(this, members)) {
      owner.assigned.push({ topic, partition });
      // A group without a committed offset that starts at the end starts at the end *now*, so
      // whatever is published after subscribe() resolved is seen.
      const key = tpKey(topic, partition);
      if (!owner.fromBeginning && !group.committed.has(key)) group.committed.set(key, this.topics.get(topic)!.logs[partition]!.nextOffset);
    }
    for (const member of members) member.onAssigned?.(byTopic(member.assigned));
    this.logger?.debug(
      { group: group.id, assignment: members.map((m) => ({ member: m.id, partitions: m.assigned.length })) },
      'rebalanced',
    );
    this.schedule(group);
  }

  /** Round-robin over the sorted topic-partitions, like kafkajs's default assigner. */
  private *assignRoundRobin(members: readonly Member[]): Generator<TopicPartition & { owner: Member }> {
    const topicNames = [...new Set(members.flatMap((member) => member.topics))].sort();
    let turn = 0;
    for (const topicName of topicNames) {
      const eligible = members.filter((member) => member.topics.includes(topicName));
      const topic = this.topics.get(topicName);
      if (!topic || eligible.length === 0) continue;
      for (let partition = 0; partition < topic.logs.length; partition++) {
        yield { owner: eligible[turn++ % eligible.length]!, topic: topicName, partition };
      }
    }
  }

  /** SubscribeOptions.coPartitioned: partition k of every topic to one member (co-partitioned.ts). */
  private *assignCoPartitioned(members: readonly Member[]): Generator<TopicPartition & { owner: Member }> {
    // Members join alike (assertJoinsAlike), so the first one's topics are everyone's.
    const topicNames = [...(members[0]?.topics ?? [])];
    const counts = Object.fromEntries(topicNames.map((topic) => [topic, this.topics.get(topic)?.logs.length ?? 0]));
    for (const [owner, byTopic] of coPartitionedAssignment(members, counts)) {
      for (const [topic, partitions] of Object.entries(byTopic)) {
        for (const partition of partitions) yield { owner, topic, partition };
      }
    }
  }

  private schedule(group: Group): void {
    if (group.scheduled) return;
    group.scheduled = true;
    setImmediate(() => {
      group.scheduled = false;
      for (const member of group.members) this.pump(group, member);
    });
  }

  private pump(group: Group, member: Member): void {
    if (!member.running || member.retryTimer || this.closed || member.inflight.size >= member.concurrency) return;
    for (const { topic: topicName, partition } of member.rotation()) {
      const key = tpKey(topicName, partition);
      if (group.inflight.has(key) || member.pauses?.has(topicName, partition)) continue;
      const log = this.topics.get(topicName)?.logs[partition];
      if (!log) continue;
      // Asked right after the assignment, as KafkaBus does, even with nothing new to deliver.
      if (member.startOffset && !member.askedEagerly.has(key) && group.committed.has(key)) {
        if (!member.asking.has(key)) this.askEagerly(group, member, topicName, partition);
        continue;
      }
      const from = group.committed.get(key) ?? log.startOffset;
      const messages = log.read(from, this.options.maxBatchMessages);
      if (messages.length === 0) continue;
      this.deliver(group, member, {
        topic: topicName,
        partition,
        messages,
        lastOffset: messages.at(-1)!.offset,
        highWatermark: log.nextOffset,
      });
      if (member.inflight.size >= member.concurrency) return;
    }
  }

  /** PartitionStart.rewindCoPartition in memory: the group's position moves, the next batch passes. */
  private rewindCoPartition(group: Group, member: Member, topic: string, partition: number, offset: number): void {
    const key = tpKey(topic, partition);
    this.logger?.warn({ group: group.id, topic, partition, from: offset }, 'rewinding a co-partition for the subscriber');
    member.started.delete(key);
    member.askedEagerly.add(key);
    member.sought.set(key, offset);
    group.committed.set(key, Math.max(0, offset));
    this.schedule(group);
  }

  /**
   * SubscribeOptions.startOffset right after an assignment, for a partition the group committed:
   * rewinds the group's position when the subscriber needs it from before. A failed ask is left
   * to the partition's first batch (passesStartGate), where it counts as a failed batch.
   */
  private askEagerly(group: Group, member: Member, topic: string, partition: number): void {
    const key = tpKey(topic, partition);
    const generation = member.generation;
    member.asking.add(key);
    void (async () => {
      try {
        const committed = group.committed.get(key) ?? null;
        await this.rewindToStartOffset(group, member, { topic, partition }, { committed, position: committed }, () => member.generation === generation);
      } catch {
        // Asked again before the partition's first batch.
      } finally {
        member.asking.delete(key);
        if (member.generation === generation) member.askedEagerly.add(key);
        this.schedule(group);
      }
    })();
  }

  /**
   * SubscribeOptions.startOffset, as KafkaBus does it: before the first batch of a partition since
   * the last rebalance (or failure), ask; below the batch's first offset, move the group's position
   * there and drop the batch. The batch after a rewind passes; one starting later than asked means
   * retention dropped the rest, which is logged.
   */
  private async passesStartGate(group: Group, member: Member, batch: Batch): Promise<boolean> {
    if (!member.startOffset) return true;
    const key = tpKey(batch.topic, batch.partition);
    const first = batch.messages[0]!.offset;
    const sought = member.sought.get(key);
    if (sought !== undefined) {
      member.sought.delete(key);
      member.started.add(key);
      if (first > sought) {
        this.logger?.error(
          { group: group.id, topic: batch.topic, partition: batch.partition, from: sought, logStart: first },
          `rewound ${batch.topic}/${batch.partition} to offset ${sought}, but the log starts at ${first}: offsets ${sought}..${first - 1} are gone (retention)`,
        );
      }
      return true;
    }
    if (member.started.has(key)) return true;
    const committed = group.committed.get(key) ?? null;
    return !(await this.rewindToStartOffset(group, member, batch, { committed, position: first }));
  }

  /**
   * Asks the subscriber where the partition must resume: before `position` (where the group
   * would go on from; none, nothing to rewind), moves the group's position back there;
   * otherwise the partition passes. Resolves with whether it was rewound. An answer
   * `stillWanted` turns down (the assignment it was asked for is over) changes nothing.
   */
  private async rewindToStartOffset(
    group: Group,
    member: Member,
    { topic, partition }: TopicPartition,
    { committed, position }: { committed: number | null; position: number | null },
    stillWanted: () => boolean = () => true,
  ): Promise<boolean> {
    const key = tpKey(topic, partition);
    const start = await member.startOffset!({ topic, partition, committed, rewindCoPartition: (other, offset) => this.rewindCoPartition(group, member, other, partition, offset) });
    if (!stillWanted()) return false;
    if (start !== null && position !== null && start < position) {
      this.logger?.warn({ group: group.id, topic, partition, from: start, position }, "rewinding to the subscriber's progress");
      member.sought.set(key, start);
      group.committed.set(key, Math.max(0, start));
      return true;
    }
    member.started.add(key);
    return false;
  }

  private deliver(group: Group, member: Member, batch: Batch): void {
    const key = tpKey(batch.topic, batch.partition);
    group.inflight.add(key);
    const ctx: BatchContext = {
      heartbeat: async () => {},
      isRunning: () => member.running && !this.closed,
      ...member.pauses?.controlsFor(batch.partition, {
        pause: () => {},
        // The partition was skipped while paused: look again.
        resume: () => this.schedule(group),
      }),
    };
    const handled = (async () => {
      try {
        if (!(await this.passesStartGate(group, member, batch))) return;
        await member.handler(batch, ctx);
        const next = batch.lastOffset + 1;
        // A rewind asked while this batch was in the handler keeps the position it set.
        if (!member.sought.has(key) && (group.committed.get(key) ?? -1) < next) group.committed.set(key, next);
        member.failures = 0;
      } catch (error) {
        member.started.delete(key);
        member.failures++;
        const delay = Math.min(this.options.retryMaxMs, this.options.retryInitialMs * 2 ** (member.failures - 1));
        this.logger?.error(
          { err: error, group: group.id, topic: batch.topic, partition: batch.partition, retryInMs: delay },
          'batch handler failed; the batch will be delivered again',
        );
        // One backoff for the member, as kafkajs retries after a failed fetch round.
        if (member.running && !member.retryTimer) {
          member.retryTimer = setTimeout(() => {
            member.retryTimer = null;
            this.schedule(group);
          }, delay);
        }
      } finally {
        group.inflight.delete(key);
        member.inflight.delete(key);
        this.schedule(group);
      }
    })();
    member.inflight.set(key, handled);
  }
}

/**
 * One group, one assignment rule: a member joining a group whose members split it otherwise is
 * refused, as the broker refuses a join whose assigners match none of the group's.
 */
function assertJoinsAlike(group: Group, topics: readonly string[], coPartitioned: boolean): void {
  const existing = group.members[0];
  if (!existing) return;
  if (existing.coPartitioned !== coPartitioned) {
    throw new GroupOptionsMismatchError(
      group.id,
      `its members subscribe with coPartitioned ${existing.coPartitioned}, this one with ${coPartitioned}`,
    );
  }
  const topicSet = (names: readonly string[]): string => [...new Set(names)].sort().join('\u0000');
  if (coPartitioned && topicSet(existing.topics) !== topicSet(topics)) {
    throw new GroupOptionsMismatchError(
      group.id,
      `co-partitioned members subscribe to ${existing.topics.join(', ')}, this one to ${topics.join(', ')}`,
    );
  }
}

function toBufferHeaders(headers: OutgoingMessage['headers']): Record<string, Buffer | undefined> {
  const result: Record<string, Buffer | undefined> = {};
  if (!headers) return result;
  for (const [name, value] of Object.entries(headers)) {
    result[name] = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  }
  return result;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A member's assignment as SubscribeOptions.onAssigned gives it: partitions by topic. */
function byTopic(assigned: readonly TopicPartition[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const { topic, partition } of assigned) (out[topic] ??= []).push(partition);
  return out;
}
