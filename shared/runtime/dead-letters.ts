// Dead letters: a message a service cannot use goes to the DLQ topic with where it came
// from, its original bytes and why, so it can be inspected and replayed; the service goes on.
//
// The publisher is awaited inside the batch handler, i.e. before the batch's offsets are
// committed. A failed send is retried without bound (with backoff, logged) until Kafka confirmed
// every letter; should it still throw (the bus closed), the handler throws and the whole batch comes again
// (its valid events are applied idempotently), so a message is never dropped unrecorded.
// A redelivery can therefore repeat a dead letter; its key `topic/partition/offset` lets a
// consumer of the DLQ deduplicate.
import type { Logger } from 'pino';
import { publishUntilAccepted } from '../bus/publish-until-accepted.js';
import type { BusMessage, EventBus, OutgoingMessage } from '../bus/types.js';
import type { Codec } from '../codec/codec.js';
import type { DeadLetter } from '../codec/index.js';
import type { ServiceMetrics } from './metrics.js';

/** What a dead letter records of its message; a BusMessage is one. */
export type DeadLetterSource = Pick<BusMessage, 'topic' | 'partition' | 'offset' | 'value' | 'headers'> & {
  key?: Buffer | null;
};

export interface DeadLetterFailure {
  message: DeadLetterSource;
  /** `reason` is the machine code (a CodecError's, or e.g. UNKNOWN_PREDICTION); a CodecError fits. */
  error: { reason: string; message: string };
}

/** Longest human-readable detail kept; codec messages can quote whole values. */
const MAX_DETAIL_CHARS = 2_000;

export interface DeadLetterOptions {
  /**
   * Original bytes longer than this are cut to it (and the detail says so). Needed because an
   * OVERSIZE message's dead letter would itself be oversize and could never be published,
   * which would block its partition forever. Default: no limit.
   */
  maxValueBytes?: number;
  now?: () => number;
}

export function deadLetter(
  message: DeadLetterSource,
  reason: string,
  detail: string,
  service: string,
  options: DeadLetterOptions = {},
): DeadLetter {
  let value = message.value;
  let note = '';
  if (value !== null && options.maxValueBytes !== undefined && value.length > options.maxValueBytes) {
    note = ` (value truncated to its first ${options.maxValueBytes} of ${value.length} bytes)`;
    value = value.subarray(0, options.maxValueBytes);
  }
  const headers: Record<string, Buffer> = {};
  for (const [name, header] of Object.entries(message.headers)) {
    if (header !== undefined) headers[name] = header;
  }
  const text = detail.length > MAX_DETAIL_CHARS ? `${detail.slice(0, MAX_DETAIL_CHARS)}…` : detail;
  return {
    sourceTopic: message.topic,
    partition: message.partition,
    offset: message.offset,
    key: message.key ?? null,
    value,
    headers,
    reason,
    message: text + note,
    service,
    time: (options.now ?? Date.now)(),
  };
}

/** Deduplication key of a dead letter: its source position. */
export function deadLetterKey(message: Pick<DeadLetterSource, 'topic' | 'partition' | 'offset'>): string {
  return `${message.topic}/${message.partition}/${message.offset}`;
}

export interface DeadLetterPublisherOptions {
  bus: EventBus;
  codec: Codec;
  /** The DLQ topic's name. */
  topic: string;
  service: string;
  metrics: ServiceMetrics;
  logger: Logger;
  now?: () => number;
}

export class DeadLetterPublisher {
  private readonly maxValueBytes: number;

  constructor(private readonly options: DeadLetterPublisherOptions) {
    // Leaves room for headers and the detail within the codec's event limit.
    this.maxValueBytes = Math.floor(options.codec.maxEventBytes / 2);
  }

  /** Publishes, counts and logs the failures; resolves once the DLQ accepted them all. */
  async publish(failures: readonly DeadLetterFailure[]): Promise<void> {
    if (failures.length === 0) return;
    const { bus, codec, topic, service, metrics, logger, now } = this.options;
    const messages: OutgoingMessage[] = failures.map(({ message, error }) => {
      const letter = deadLetter(message, error.reason, error.message, service, { maxValueBytes: this.maxValueBytes, now });
      const encoded = codec.encode('deadLetter', letter);
      return { key: deadLetterKey(message), value: encoded.value, headers: encoded.headers };
    });
    // Retried until Kafka confirms every letter (issue 9); the batch waits, uncommitted.
    await publishUntilAccepted(bus, topic, messages, { logger, what: 'dead letters' });
    for (const [reason, group] of groupByReason(failures)) {
      metrics.deadLetters.inc({ reason }, group.length);
      const first = group[0]!;
      logger.warn(
        {
          reason,
          count: group.length,
          sourceTopic: first.message.topic,
          partition: first.message.partition,
          firstOffset: first.message.offset,
          example: first.error.message,
        },
        'dead-lettered messages',
      );
    }
  }
}

function groupByReason(failures: readonly DeadLetterFailure[]): Map<string, DeadLetterFailure[]> {
  const byReason = new Map<string, DeadLetterFailure[]>();
  for (const failure of failures) {
    const group = byReason.get(failure.error.reason);
    if (group) group.push(failure);
    else byReason.set(failure.error.reason, [failure]);
  }
  return byReason;
}
