// Typed failures of the bus, so callers (service startup, CLI) can tell "Kafka is not there"
// from a bug and print something an operator can act on.

/**
 * Connecting failed. At the deadline the message says so and adds the last failure kafkajs
 * reported (a TLS or socket error) as its cause; a refused login (`beforeDeadline`: SASL
 * authentication failed, which kafkajs does not retry) is named as such, not as a timeout.
 */
export class BusUnavailableError extends Error {
  override readonly name = 'BusUnavailableError';
  constructor(
    readonly brokers: readonly string[],
    readonly deadlineMs: number,
    options?: { cause?: unknown; beforeDeadline?: boolean },
  ) {
    const cause = options?.cause;
    const reason = cause instanceof Error ? cause.message : cause === undefined ? '' : String(cause);
    const where = `Kafka brokers ${brokers.join(', ')}`;
    super(
      options?.beforeDeadline
        ? `${where}: connection failed: ${reason || 'unknown error'}`
        : `${where} unreachable within ${deadlineMs} ms${reason ? `: ${reason}` : ''}`,
      cause === undefined ? undefined : { cause },
    );
  }
}

/** An existing topic disagrees with the spec asked for; repartitioning would move keys, so we refuse. */
export class TopicMismatchError extends Error {
  override readonly name = 'TopicMismatchError';
  constructor(
    readonly topic: string,
    readonly expectedPartitions: number,
    readonly actualPartitions: number,
  ) {
    super(
      `topic ${topic} exists with ${actualPartitions} partitions but ${expectedPartitions} were asked for; ` +
        'changing the count would move keys between partitions, so do it deliberately',
    );
  }
}

/**
 * A co-partitioned subscription (SubscribeOptions.coPartitioned) over topics whose partition
 * counts differ: partition k of one would hold other keys than partition k of the other, so
 * owning the same numbers would not bring the two sides of a key together.
 */
export class PartitionCountMismatchError extends Error {
  override readonly name = 'PartitionCountMismatchError';
  constructor(readonly partitionsByTopic: Readonly<Record<string, number>>) {
    const counts = Object.entries(partitionsByTopic).map(([topic, count]) => `${topic}: ${count}`).join(', ');
    super(`coPartitioned needs topics with the same partition count, got ${counts}`);
  }
}

/**
 * A member joining a consumer group whose members disagree with it on
 * SubscribeOptions.coPartitioned (or, on MemoryBus, co-partitioned, on the topics): one group
 * has one assignment rule. On Kafka the broker refuses such a join (INCONSISTENT_GROUP_PROTOCOL).
 */
export class GroupOptionsMismatchError extends Error {
  override readonly name = 'GroupOptionsMismatchError';
  constructor(readonly groupId: string, detail: string) {
    super(`consumer group ${groupId}: ${detail}; every member of a group must subscribe alike`);
  }
}

export class UnknownTopicError extends Error {
  override readonly name = 'UnknownTopicError';
  constructor(readonly topic: string) {
    super(`topic ${topic} does not exist; create it with ensureTopics first`);
  }
}

export class BusClosedError extends Error {
  override readonly name = 'BusClosedError';
  constructor() {
    super('the bus is closed');
  }
}

/**
 * A batch handler failed. kafkajs treats a TypeError, RangeError, ReferenceError or SyntaxError
 * (and any error with `retriable: false`) as unrecoverable: the consumer crashes and never
 * restarts, so one bug on one message would stop every partition for good. KafkaBus wraps
 * every handler error that is not kafkajs's own in this one, retriable by name and flag: the
 * batch is fetched and handled again with kafkajs's backoff, and after its retries the
 * consumer restarts. The original error is the cause.
 */
export class HandlerError extends Error {
  override readonly name = 'HandlerError';
  readonly retriable = true;
  constructor(where: string, cause: unknown) {
    const detail = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(`batch handler failed on ${where}: ${detail}`, { cause });
  }
}

/**
 * A publish that Kafka did not fully confirm (issue 9): some partitions' messages got no
 * successful result after the bus's bounded attempts. Messages of the partitions that were
 * confirmed are durably in the topic; `unconfirmed` lists the indices (into the array given to
 * publish()) of those that are not known to be. Re-sending exactly those is the safe retry:
 * the rest would be written twice. A message listed may still have been written (its response
 * was lost), so a re-send can duplicate it; consumers that must count once deduplicate by id.
 */
export class PublishIncompleteError extends Error {
  override readonly name = 'PublishIncompleteError';
  readonly retriable = true;
  constructor(
    readonly topic: string,
    /** Partitions without a confirmed result, ascending. */
    readonly partitions: readonly number[],
    /** Indices of the messages not confirmed, ascending. */
    readonly unconfirmed: readonly number[],
    readonly total: number,
    readonly attempts: number,
    cause?: unknown,
  ) {
    const reason = cause instanceof Error ? `: ${cause.name}: ${cause.message}` : cause === undefined ? '' : `: ${String(cause)}`;
    super(
      `publish to ${topic}: partition${partitions.length === 1 ? '' : 's'} ${partitions.join(', ')} not confirmed after ${attempts} attempt${attempts === 1 ? '' : 's'} ` +
        `(${unconfirmed.length} of ${total} messages; re-send only those)${reason}`,
      cause === undefined ? undefined : { cause },
    );
  }
}
