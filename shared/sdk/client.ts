// The upstream app's side of driftwatch: publish predictions and labels.
// Records are validated and encoded before anything is sent, so a bad record fails the
// call with the record's index and reason and never reaches the topic half-published.
import { Codec, CodecError, type EncodedEvent, type EventInputMap } from '../codec/index.js';
import type { EventBus, OutgoingMessage } from '../bus/types.js';
import { topicNames, type TopicNames } from '../topics.js';
import { toLabelEvent, toPredictionEvent, type LabelRecord, type PredictionRecord } from './records.js';

export interface ClientOptions {
  bus: EventBus;
  topics?: TopicNames;
  codec?: Codec;
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

export class DriftwatchClient {
  private readonly bus: EventBus;
  private readonly topics: TopicNames;
  private readonly codec: Codec;

  constructor(options: ClientOptions) {
    this.bus = options.bus;
    this.topics = options.topics ?? topicNames();
    this.codec = options.codec ?? new Codec();
  }

  async logPredictions(records: PredictionRecord[]): Promise<void> {
    const messages = records.map((record, i) =>
      this.message('prediction', i, record.id, () => toPredictionEvent(record)),
    );
    await this.bus.publish(this.topics.predictions, messages);
  }

  /** Labels are keyed by prediction id, so each lands in its prediction's partition. */
  async logLabels(records: LabelRecord[]): Promise<void> {
    const messages = records.map((record, i) =>
      this.message('label', i, record.predictionId, () => toLabelEvent(record)),
    );
    await this.bus.publish(this.topics.labels, messages);
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
