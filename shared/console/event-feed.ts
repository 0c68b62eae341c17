// Feeds the console history from the four topics it reads (metrics, alerts, models, incidents):
// first a rebuild from the log (LogReader.readFrom, outside any group: models from the start of
// the compacted topic, the others from now − history), then a live subscription in a consumer
// group of this instance's own, so every console instance sees every message.
//
// No gap and no double counting between the two: the feed keeps the last offset it applied per
// partition. The live group starts at the topics' end (fromBeginning false), and its startOffset
// hook rewinds each partition to just after what the rebuild applied (or, for a partition the
// rebuild found nothing in, to its first offset within the history), so what was published
// between the rebuild's end and the group's start is delivered; anything at or below the last
// applied offset is skipped.
//
// A message that does not decode (or does not apply) is counted, logged once per topic and
// reason, and skipped. The console never dead-letters: it is a read side, and the producers'
// own consumers are the ones that dead-letter their topics' bad input.
import type { Logger } from 'pino';
import type { BusMessage, ConsumerStatus, EventBus, LogReader, PartitionStart, Subscription } from '../bus/types.js';
import { CodecError, type Codec } from '../codec/index.js';
import type { TopicNames } from '../topics.js';
import type { ConsoleEvent, ConsoleHistory } from './console-history.js';
import type { ConsoleMetrics } from './console-metrics.js';

export const CONSOLE_TOPIC_KINDS = ['metrics', 'alerts', 'models', 'incidents'] as const;
export type ConsoleTopicKind = (typeof CONSOLE_TOPIC_KINDS)[number];

export interface EventFeedOptions {
  bus: EventBus & LogReader;
  topics: TopicNames;
  codec: Codec;
  history: ConsoleHistory;
  metrics: ConsoleMetrics;
  logger: Logger;
  /** This instance's own consumer group. */
  groupId: string;
  /** Every change applied after the rebuild (what the SSE stream sends). */
  onEvent: (event: ConsoleEvent) => void;
  /** The live consumer crashed and will not restart by itself. */
  onFailed?: (error: Error) => void;
  now?: () => number;
}

export class EventFeed {
  private readonly applied = new Map<string, number>();
  private readonly kindOf = new Map<string, ConsoleTopicKind>();
  private readonly reported = new Set<string>();
  private subscription: Subscription | undefined;
  private live = false;
  private status: ConsumerStatus = { state: 'running' };
  /** Event time the rebuild started from (metrics, alerts, incidents). */
  startedFrom = Number.NaN;

  constructor(private readonly options: EventFeedOptions) {
    for (const kind of CONSOLE_TOPIC_KINDS) this.kindOf.set(options.topics[kind], kind);
  }

  /** Where a topic's history starts: models from the beginning (the champion may be old). */
  private fromTime(kind: ConsoleTopicKind): number {
    return kind === 'models' ? 0 : this.startedFrom;
  }

  /** Rebuilds from the log, then subscribes; resolves once the history is rebuilt and the group joined. */
  async start(signal?: AbortSignal): Promise<{ messages: number }> {
    const { bus, topics, history } = this.options;
    this.startedFrom = (this.options.now ?? Date.now)() - history.limits.historyMs;
    const reads = await Promise.all(
      CONSOLE_TOPIC_KINDS.map((kind) =>
        bus.readFrom(topics[kind], this.fromTime(kind), (messages) => this.apply(messages), signal ? { signal } : {}),
      ),
    );
    this.live = true;
    this.subscription = await bus.subscribe({
      groupId: this.options.groupId,
      topics: CONSOLE_TOPIC_KINDS.map((kind) => topics[kind]),
      fromBeginning: false,
      startOffset: (partition) => this.resumeAt(partition),
      onStatus: (status) => {
        this.status = status;
        if (status.state === 'failed') this.options.onFailed?.(status.error);
      },
      handler: async (batch) => this.apply(batch.messages),
    });
    return { messages: reads.reduce((sum, read) => sum + read.messages, 0) };
  }

  /** Null while the live consumer runs; else why it does not. */
  problem(): string | null {
    if (this.status.state === 'running') return null;
    return `live consumer ${this.status.state}: ${this.status.error.message}`;
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }

  private async resumeAt({ topic, partition }: PartitionStart): Promise<number | null> {
    const last = this.applied.get(`${topic}\u0000${partition}`);
    if (last !== undefined) return last + 1;
    const kind = this.kindOf.get(topic);
    if (kind === undefined) return null;
    // Nothing applied from this partition yet: its first offset within the history, if any.
    const found = new AbortController();
    let first: number | null = null;
    await this.options.bus
      .readPartition(topic, partition, this.fromTime(kind), Number.MAX_SAFE_INTEGER, (messages) => {
        first = messages[0]?.offset ?? null;
        found.abort(new Error('first offset found'));
      }, { signal: found.signal })
      .catch((error: unknown) => {
        if (!found.signal.aborted) throw error;
      });
    return first;
  }

  private apply(messages: BusMessage[]): void {
    for (const message of messages) {
      const key = `${message.topic}\u0000${message.partition}`;
      const last = this.applied.get(key);
      if (last !== undefined && message.offset <= last) continue;
      this.applied.set(key, message.offset);
      const kind = this.kindOf.get(message.topic);
      if (kind === undefined) continue;
      let event: ConsoleEvent | null;
      try {
        event = this.applyOne(kind, message);
      } catch (error) {
        this.skip(message, error);
        continue;
      }
      this.options.metrics.eventsApplied.inc({ topic: message.topic });
      if (event && this.live) this.options.onEvent(event);
    }
  }

  private applyOne(kind: ConsoleTopicKind, message: BusMessage): ConsoleEvent | null {
    const { codec, history } = this.options;
    switch (kind) {
      case 'metrics':
        return history.applySnapshot(codec.decode('metricsSnapshot', message.value, message.headers));
      case 'alerts':
        return history.applyAlert(codec.decode('alert', message.value, message.headers));
      case 'models':
        return history.applyModel(codec.decode('model', message.value, message.headers), message.offset);
      case 'incidents':
        return history.applyIncident(codec.decode('incident', message.value, message.headers));
    }
  }

  private skip(message: BusMessage, error: unknown): void {
    const reason = error instanceof CodecError ? error.reason : 'APPLY_FAILED';
    this.options.metrics.malformed.inc({ topic: message.topic, reason });
    const once = `${message.topic}\u0000${reason}`;
    if (this.reported.has(once)) return;
    this.reported.add(once);
    this.options.logger.warn(
      { topic: message.topic, partition: message.partition, offset: message.offset, reason, err: error },
      `skipped a message of ${message.topic} the console cannot use (${reason}); further ones of this reason are only counted (driftwatch_console_malformed_total)`,
    );
  }
}
