// The upstream app's side of driftwatch: publish predictions and labels.
// Records are validated and encoded before anything is sent, so a bad record fails the
// call with the record's index and reason and never reaches the topic half-published.
//
// Re-sends (issue 9). A publish the bus could not fully confirm rejects with
// PublishIncompleteError; the client then sends exactly the unconfirmed messages again, a
// bounded number of times, and hands the rest to the app, which can re-send them later with
// resend(). An unconfirmed message may already be in the topic (only its answer was lost), so
// every copy sent again carries the `dw-resent` header (the call's first-send time) and the
// same Kafka timestamp as the first copy: that is what lets the drift service recognise a copy
// whose original is already in the partition (shared/pipeline/resent-duplicates.ts).
import { Codec, CodecError, type EncodedEvent, type EventInputMap } from '../codec/index.js';
import { PublishIncompleteError } from '../bus/errors.js';
import { RESENT_HEADER, resentHeaderValue } from '../bus/resent-header.js';
import type { EventBus, OutgoingMessage } from '../bus/types.js';
import { topicNames, type TopicNames } from '../topics.js';
import { toLabelEvent, toPredictionEvent, type LabelRecord, type PredictionRecord } from './records.js';

/** One failed send that the client is about to retry (ClientOptions.onRetry). */
export interface RetryInfo {
  topic: string;
  /** The re-send that follows, from 1 to `resendAttempts`. */
  attempt: number;
  /** How many messages it sends again. */
  unconfirmed: number;
  /** Why: the bus's PublishIncompleteError. */
  error: Error;
}

export interface ClientOptions {
  bus: EventBus;
  topics?: TopicNames;
  codec?: Codec;
  /** Re-sends of the unconfirmed messages before a call rejects (default 3; 0: none). */
  resendAttempts?: number;
  /** Wait before the first re-send, doubling for each next one, at most 5 s (default 500 ms). */
  resendBackoffMs?: number;
  /** Called for each failure the client retries (it has no logger of its own). */
  onRetry?: (info: RetryInfo) => void;
}

export class RecordError extends Error {
  override readonly name = 'RecordError';
  constructor(
    readonly index: number,
    cause: Error,
  ) {
    super(`record ${index}: ${cause.message}`, { cause });
  }
}

const MAX_BACKOFF_MS = 5_000;

/** The messages of one call not yet confirmed, kept for resend(). */
interface PendingCall {
  topic: string;
  /** Every message of the call, by record index, stamped with the first send's time. */
  messages: OutgoingMessage[];
  /** Record indices not confirmed yet, ascending. */
  unconfirmed: number[];
  /** Partitions the last PublishIncompleteError named. */
  partitions: readonly number[];
  firstSendMs: number;
  /** False only before the call's first send: what is sent after that may be a second copy. */
  flagged: boolean;
}

export class DriftwatchClient {
  private readonly bus: EventBus;
  private readonly topics: TopicNames;
  private readonly codec: Codec;
  private readonly resendAttempts: number;
  private readonly resendBackoffMs: number;
  private readonly onRetry: ((info: RetryInfo) => void) | undefined;
  /** What each error this client rejected with still holds; gone with the error. */
  private readonly pending = new WeakMap<PublishIncompleteError, PendingCall>();

  constructor(options: ClientOptions) {
    this.bus = options.bus;
    this.topics = options.topics ?? topicNames();
    this.codec = options.codec ?? new Codec();
    this.resendAttempts = Math.max(0, Math.floor(options.resendAttempts ?? 3));
    this.resendBackoffMs = Math.max(0, options.resendBackoffMs ?? 500);
    this.onRetry = options.onRetry;
  }

  /**
   * Resolves when Kafka confirmed every record. Rejects with RecordError (nothing sent), with
   * the bus's own error when the first send failed before sending anything (unknown topic,
   * closed bus), or with PublishIncompleteError whose `unconfirmed` are indices into `records`
   * once the re-sends are exhausted; pass that error to resend() to try again.
   */
  async logPredictions(records: PredictionRecord[]): Promise<void> {
    const messages = records.map((record, i) =>
      this.message('prediction', i, record.id, () => toPredictionEvent(record)),
    );
    await this.send(this.topics.predictions, messages);
  }

  /** Labels are keyed by prediction id, so each lands in its prediction's partition. */
  async logLabels(records: LabelRecord[]): Promise<void> {
    const messages = records.map((record, i) =>
      this.message('label', i, record.predictionId, () => toLabelEvent(record)),
    );
    await this.send(this.topics.labels, messages);
  }

  /**
   * Sends again the records a call of this client could not get confirmed (`error` is what the
   * call, or an earlier resend(), rejected with), flagged as re-sent, with the same re-sends and
   * backoff as the call; rejects with a new PublishIncompleteError (indices still into the
   * call's records) for what stays unconfirmed. Each error can be re-sent once.
   */
  async resend(error: PublishIncompleteError): Promise<void> {
    const call = this.pending.get(error);
    if (call === undefined) {
      throw new Error(
        'DriftwatchClient.resend: this error was not produced by this client, or was already re-sent ' +
          '(pass the PublishIncompleteError a logPredictions/logLabels call or the last resend() of this client rejected with)',
      );
    }
    this.pending.delete(error);
    await this.deliver(call);
  }

  private async send(topic: string, messages: OutgoingMessage[]): Promise<void> {
    // One timestamp for every copy of the call: the drift service looks for an original stamped
    // at or after the time the re-sent copy names.
    const firstSendMs = Date.now();
    await this.deliver({
      topic,
      messages: messages.map((message) => ({ ...message, timestamp: firstSendMs })),
      unconfirmed: messages.map((_, i) => i),
      partitions: [],
      firstSendMs,
      flagged: false,
    });
  }

  /** One send of the call's unconfirmed messages, then up to `resendAttempts` re-sends of what stays so. */
  private async deliver(call: PendingCall): Promise<void> {
    for (let resend = 0; ; resend += 1) {
      const sent = call.unconfirmed;
      const flagged = call.flagged;
      call.flagged = true;
      try {
        await this.bus.publish(call.topic, sent.map((i) => (flagged ? this.flag(call, call.messages[i]!) : call.messages[i]!)));
        call.unconfirmed = [];
        return;
      } catch (error) {
        // A first send that failed before sending (unknown topic, closed bus) wrote nothing.
        if (!(error instanceof PublishIncompleteError) && !flagged) throw error;
        if (error instanceof PublishIncompleteError) {
          call.unconfirmed = error.unconfirmed.map((j) => sent[j]!);
          call.partitions = error.partitions;
        }
        // Only what the bus reports as incomplete is worth sending again.
        if (!(error instanceof PublishIncompleteError) || resend >= this.resendAttempts) throw this.incomplete(call, resend + 1, error);
        this.onRetry?.({ topic: call.topic, attempt: resend + 1, unconfirmed: call.unconfirmed.length, error });
        await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_BACKOFF_MS, this.resendBackoffMs * 2 ** resend)));
      }
    }
  }

  private flag(call: PendingCall, message: OutgoingMessage): OutgoingMessage {
    return { ...message, headers: { ...message.headers, [RESENT_HEADER]: resentHeaderValue(call.firstSendMs) } };
  }

  /** The call's rejection: the records still unconfirmed, kept for resend(). */
  private incomplete(call: PendingCall, sends: number, cause: unknown): PublishIncompleteError {
    const error = new PublishIncompleteError(call.topic, call.partitions, call.unconfirmed, call.messages.length, sends, cause);
    this.pending.set(error, call);
    return error;
  }

  private message<K extends 'prediction' | 'label'>(
    type: K,
    index: number,
    key: string,
    build: () => EventInputMap[K],
  ): OutgoingMessage {
    let encoded: EncodedEvent;
    try {
      encoded = this.codec.encode(type, build());
    } catch (error) {
      if (error instanceof CodecError || error instanceof TypeError) throw new RecordError(index, error);
      throw error;
    }
    return { key, value: encoded.value, headers: encoded.headers };
  }
}
