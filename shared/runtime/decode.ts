// Splits a consumed batch into the events a service can use and the messages it cannot,
// so one bad message never blocks (or is silently dropped beside) the valid ones.
import type { Batch, BusMessage } from '../bus/types.js';
import type { Codec } from '../codec/codec.js';
import { CodecError } from '../codec/errors.js';
import type { EventMap, EventType } from '../codec/index.js';

export interface DecodedMessage<K extends EventType> {
  message: BusMessage;
  event: EventMap[K];
}

export interface UndecodableMessage {
  message: BusMessage;
  error: CodecError;
}

export interface DecodedBatch<K extends EventType> {
  /** In offset order. */
  events: DecodedMessage<K>[];
  /** In offset order; each is dead-lettered with `error.reason`. */
  dead: UndecodableMessage[];
}

/**
 * How a service reads predictions. 'withoutFeatures': through the reader schema without the
 * feature maps (Codec.decodePredictionWithoutFeatures), for a service that never reads them
 * (the performance service). The four feature fields are then absent from the decoded
 * predictions, though decodeBatch still types them as Prediction: the service choosing this
 * view types its items as PredictionWithoutFeatures (performance-pipeline.ts), so reading a
 * feature there does not compile. Refusals are the same.
 */
export type PredictionView = 'full' | 'withoutFeatures';

export function decodeBatch<K extends EventType>(batch: Batch, type: K, codec: Codec, predictionView: PredictionView = 'full'): DecodedBatch<K> {
  const events: DecodedMessage<K>[] = [];
  const dead: UndecodableMessage[] = [];
  const withoutFeatures = type === 'prediction' && predictionView === 'withoutFeatures';
  for (const message of batch.messages) {
    try {
      const event = withoutFeatures
        ? (codec.decodePredictionWithoutFeatures(message.value, message.headers) as EventMap[K])
        : codec.decode(type, message.value, message.headers);
      events.push({ message, event });
    } catch (error) {
      // Anything else is a bug of ours, not bad input: let the batch fail and be redelivered.
      if (!(error instanceof CodecError)) throw error;
      dead.push({ message, error });
    }
  }
  return { events, dead };
}

/** Groups decoded events by their `model` field, keeping offset order within each model. */
export function groupByModel<T extends { event: { model: string } }>(items: readonly T[]): Map<string, T[]> {
  const byModel = new Map<string, T[]>();
  for (const item of items) {
    const group = byModel.get(item.event.model);
    if (group) group.push(item);
    else byModel.set(item.event.model, [item]);
  }
  return byModel;
}
