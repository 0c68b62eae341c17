// Alerts for upstream apps, as an async iterator:
//
//   const alerts = new AlertSubscriber({ bus, filter: { model: 'churn', minSeverity: 'WARNING' } });
//   for await (const alert of alerts) page(alert);
//
// Built on EventBus.subscribe. Each batch's alerts go through a bounded queue; the batch
// handler waits while the queue is full (so nothing is dropped) and resolves — which commits
// the batch's offsets — only once the app has taken every alert of it and asked for the next
// one. With a fixed groupId that makes delivery at-least-once: a batch the app had not
// finished when the subscriber closed (or the process died) is delivered again to the next
// subscriber of the group. Alert ids are unique per transition, so consumers deduplicate on
// `id`. A message that does not decode as an alert is skipped with a warning; it never ends
// the iteration.
import { randomUUID } from 'node:crypto';
import type { Batch, BatchContext, BusMessage, EventBus, Subscription } from '../bus/types.js';
import { Codec } from '../codec/codec.js';
import type { Alert, AlertKind, AlertStatus, Severity } from '../codec/events.generated.js';
import { createLogger, type Logger } from '../log/logger.js';
import { topicNames, type TopicNames } from '../topics.js';

export interface AlertFilter {
  /** Only these models' alerts. */
  model?: string | readonly string[];
  kind?: AlertKind | readonly AlertKind[];
  /** Alerts at least this severe (INFO < WARNING < CRITICAL). */
  minSeverity?: Severity;
  /** FIRING and/or RESOLVED transitions; both by default. */
  status?: AlertStatus | readonly AlertStatus[];
}

export interface AlertSubscriberOptions {
  bus: EventBus;
  topics?: TopicNames;
  codec?: Codec;
  /**
   * Consumer group. Default: a fresh group per subscriber, so every subscriber sees every
   * alert (from now on, unless fromBeginning). Give a fixed one to share the alerts among
   * instances of an app and to resume where the group left off.
   */
  groupId?: string;
  /** Start from the oldest retained alert when the group has no committed offset (default false: new alerts only). */
  fromBeginning?: boolean;
  /**
   * Only alerts whose Kafka message timestamp is at or after this time (ms since the epoch);
   * the retained log is read from its beginning to find them. "Every alert published since I
   * started", exactly: a fresh group without fromBeginning starts wherever the partition ends
   * when it first fetches, which may be after alerts published while it was joining.
   */
  fromTime?: number;
  filter?: AlertFilter;
  /** Alerts held between the bus and the app before the bus waits (default 1,000). */
  maxQueued?: number;
  /** Where skipped messages are reported; default a pino logger named alert-subscriber. */
  logger?: Logger;
}

export interface AlertSubscriberStats {
  /** Alerts handed to the app. */
  delivered: number;
  /** Alerts that did not pass the filter. */
  filtered: number;
  /** Messages that did not decode as alerts. */
  skipped: number;
}

/** Thrown inside the batch handler to leave a batch uncommitted when the subscriber closes mid-batch. */
class SubscriberClosedError extends Error {
  override readonly name = 'SubscriberClosedError';
  constructor() {
    super('alert subscriber closed before the batch was consumed; it will be delivered again');
  }
}

const SEVERITY_RANK: Record<Severity, number> = { INFO: 0, WARNING: 1, CRITICAL: 2 };
/** How often a waiting batch handler heartbeats, so a slow app does not cost the group membership. */
const HEARTBEAT_EVERY_MS = 1_000;
const DEFAULT_MAX_QUEUED = 1_000;

const asSet = <T>(value: T | readonly T[] | undefined): ReadonlySet<T> | null =>
  value === undefined ? null : new Set<T>(Array.isArray(value) ? (value as readonly T[]) : [value as T]);

/** A predicate over alerts from a filter; an empty filter passes everything. */
export function alertFilter(filter: AlertFilter = {}): (alert: Alert) => boolean {
  const models = asSet(filter.model);
  const kinds = asSet(filter.kind);
  const statuses = asSet(filter.status);
  const minRank = filter.minSeverity === undefined ? 0 : SEVERITY_RANK[filter.minSeverity];
  return (alert) =>
    (models === null || models.has(alert.model)) &&
    (kinds === null || kinds.has(alert.kind)) &&
    (statuses === null || statuses.has(alert.status)) &&
    SEVERITY_RANK[alert.severity] >= minRank;
}

interface Queued {
  alert: Alert;
  seq: number;
}

export class AlertSubscriber implements AsyncIterable<Alert> {
  private readonly bus: EventBus;
  private readonly topic: string;
  private readonly codec: Codec;
  private readonly groupId: string;
  private readonly fromBeginning: boolean;
  private readonly fromTime: number | undefined;
  private readonly accepts: (alert: Alert) => boolean;
  private readonly maxQueued: number;
  private readonly logger: Logger;

  private readonly queue: Queued[] = [];
  /** Sequence number of the last alert queued, of the last handed to the app, of the last the app is done with. */
  private queuedSeq = 0;
  private handedSeq = 0;
  private doneSeq = 0;
  private changed = deferred();
  private starting: Promise<Subscription> | null = null;
  private closing: Promise<void> | null = null;
  private closed = false;
  private readonly counters: AlertSubscriberStats = { delivered: 0, filtered: 0, skipped: 0 };

  constructor(options: AlertSubscriberOptions) {
    this.bus = options.bus;
    this.topic = (options.topics ?? topicNames()).alerts;
    this.codec = options.codec ?? new Codec();
    this.groupId = options.groupId ?? `driftwatch-alert-subscriber-${randomUUID()}`;
    this.fromTime = options.fromTime;
    this.fromBeginning = (options.fromBeginning ?? false) || options.fromTime !== undefined;
    this.accepts = alertFilter(options.filter);
    this.maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED;
    if (!Number.isInteger(this.maxQueued) || this.maxQueued < 1) {
      throw new RangeError(`maxQueued must be a positive integer, got ${options.maxQueued}`);
    }
    this.logger = (options.logger ?? createLogger('alert-subscriber')).child({ component: 'alert-subscriber', group: this.groupId });
  }

  /** The consumer group this subscriber reads with. */
  get group(): string {
    return this.groupId;
  }

  get stats(): Readonly<AlertSubscriberStats> {
    return { ...this.counters };
  }

  /**
   * Joins the consumer group; iteration does this by itself. Await it before publishing when
   * the alerts that follow must be seen (with fromBeginning false, only alerts published
   * after the subscription started are delivered). Rejects when the bus cannot subscribe,
   * e.g. the alerts topic does not exist.
   */
  async start(): Promise<void> {
    if (this.closed) return;
    this.starting ??= this.bus.subscribe({
      groupId: this.groupId,
      topics: [this.topic],
      fromBeginning: this.fromBeginning,
      handler: (batch, ctx) => this.handle(batch, ctx),
    });
    await this.starting;
  }

  [Symbol.asyncIterator](): AsyncIterator<Alert> {
    return {
      next: () => this.next(),
      return: async () => {
        // Leaving the loop (break, or the body threw) means the app is done with what it got.
        this.doneSeq = this.handedSeq;
        await this.close();
        return { done: true, value: undefined };
      },
    };
  }

  /** The next matching alert; done once closed. */
  async next(): Promise<IteratorResult<Alert, undefined>> {
    // Asking for the next alert means the app is done with the previous one.
    this.acknowledge();
    if (this.closed) return { done: true, value: undefined };
    await this.start();
    for (;;) {
      if (this.closed) return { done: true, value: undefined };
      const item = this.queue.shift();
      if (item !== undefined) {
        this.handedSeq = item.seq;
        this.counters.delivered++;
        this.notify();
        return { done: false, value: item.alert };
      }
      await this.changed.promise;
    }
  }

  /**
   * Stops the subscription and ends every iteration. Alerts queued but not yet taken are
   * dropped here; their batch stays uncommitted, so the group gets them again later.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      // An alert the app took but did not ask past may not be handled yet: its batch stays
      // uncommitted (leaving a for-await loop acknowledges it first, see return()).
      this.closed = true;
      this.queue.length = 0;
      this.notify();
      const subscription = await this.starting?.catch(() => null);
      await subscription?.stop();
    })();
    return this.closing;
  }

  private acknowledge(): void {
    if (this.doneSeq === this.handedSeq) return;
    this.doneSeq = this.handedSeq;
    this.notify();
  }

  private async handle(batch: Batch, ctx: BatchContext): Promise<void> {
    let last = 0;
    for (const message of batch.messages) {
      if (this.fromTime !== undefined && message.timestamp < this.fromTime) continue;
      const alert = this.decode(message);
      if (alert === null) continue;
      if (!this.accepts(alert)) {
        this.counters.filtered++;
        continue;
      }
      await this.waitUntil(() => this.queue.length < this.maxQueued, ctx);
      last = ++this.queuedSeq;
      this.queue.push({ alert, seq: last });
      this.notify();
    }
    // Resolving commits the batch: only once the app is done with every alert of it.
    if (last > 0) await this.waitUntil(() => this.doneSeq >= last, ctx);
  }

  private decode(message: BusMessage): Alert | null {
    try {
      return this.codec.decode('alert', message.value, message.headers);
    } catch (error) {
      this.counters.skipped++;
      this.logger.warn(
        {
          topic: message.topic,
          partition: message.partition,
          offset: message.offset,
          reason: (error as { reason?: string }).reason,
          err: error,
        },
        'skipping a message that is not a readable alert',
      );
      return null;
    }
  }

  /** Waits (heartbeating) until the condition holds; throws when the subscriber or the bus stops first. */
  private async waitUntil(condition: () => boolean, ctx: BatchContext): Promise<void> {
    while (!condition()) {
      if (this.closed || !ctx.isRunning()) throw new SubscriberClosedError();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.changed.promise,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, HEARTBEAT_EVERY_MS);
        }),
      ]);
      clearTimeout(timer);
      await ctx.heartbeat();
    }
  }

  private notify(): void {
    const current = this.changed;
    this.changed = deferred();
    current.resolve();
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
