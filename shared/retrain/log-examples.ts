// Training examples from the Kafka log (design doc retraining.md, step 3): the predictions
// and labels topics are read by time through a LogReader, decoded, kept for one model and
// joined in memory. Nothing touches the monitors' hot path or their Redis state, and the
// read never waits for new messages: it covers the log as it was when the read began.
import type { BusMessage, LogReader } from '../bus/types.js';
import type { Codec } from '../codec/codec.js';
import { CodecError } from '../codec/errors.js';
import type { Label, Prediction } from '../codec/events.generated.js';
import type { TopicNames } from '../topics.js';
import { joinExamples, type JoinCounts, type JoinedExample } from './join-examples.js';

export interface ReadTrainingExamplesOptions {
  reader: LogReader;
  codec: Codec;
  topics: Pick<TopicNames, 'predictions' | 'labels'>;
  model: string;
  /** Predictions with an event time before this are left out. */
  fromTime: number;
  /** Predictions with an event time after this are left out; default: none. */
  toTime?: number;
  labelHorizonMs: number;
  /** Told about every message that could not be decoded (it is skipped, never thrown). */
  deadLetter?: (message: BusMessage, error: CodecError) => void | Promise<void>;
  signal?: AbortSignal;
}

export interface LogExampleCounts extends JoinCounts {
  /** Messages that could not be decoded, on either topic, whatever their model. */
  undecodable: number;
  /** Predictions of the model read but outside [fromTime, toTime]. */
  outOfWindowPredictions: number;
  /** Labels of those predictions: neither joined nor counted as unmatched. */
  outOfWindowLabels: number;
  /** Messages read per topic, every model. */
  messages: { predictions: number; labels: number };
}

export interface TrainingExamples {
  /** Sorted by prediction event time, then id. */
  examples: JoinedExample[];
  counts: LogExampleCounts;
  /** Event times of the model's predictions in the window, labelled or not, sorted. */
  predictionTimes: number[];
}

/**
 * Reads both topics from `fromTime − labelHorizonMs` (a Kafka-timestamp lower bound: a
 * label can be up to a horizon older than its prediction, and Kafka timestamps are publish
 * times, which never precede the events they carry by much) to their ends, and joins them.
 */
export async function readTrainingExamples(options: ReadTrainingExamplesOptions): Promise<TrainingExamples> {
  const { reader, codec, topics, model, fromTime, labelHorizonMs } = options;
  const toTime = options.toTime ?? Number.POSITIVE_INFINITY;
  const since = fromTime - labelHorizonMs;
  let undecodable = 0;
  const predictions: Prediction[] = [];
  const outOfWindow = new Set<string>();
  const labels: Label[] = [];

  const decode = async <K extends 'prediction' | 'label'>(type: K, message: BusMessage) => {
    try {
      return codec.decode(type, message.value, message.headers);
    } catch (error) {
      if (!(error instanceof CodecError)) throw error;
      undecodable++;
      await options.deadLetter?.(message, error);
      return null;
    }
  };

  // Both topics at once; if one read fails, the other is stopped rather than left running.
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(options.signal?.reason);
  options.signal?.throwIfAborted();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const read = <T>(work: Promise<T>): Promise<T> =>
    work.catch((error: unknown) => {
      controller.abort(error);
      throw error;
    });
  try {
    const [predictionRead, labelRead] = await Promise.all([
      read(
        reader.readFrom(
          topics.predictions,
          since,
          async (messages) => {
            for (const message of messages) {
              const event = await decode('prediction', message);
              if (event === null || event.model !== model) continue;
              if (event.eventTime >= fromTime && event.eventTime <= toTime) predictions.push(event);
              else outOfWindow.add(event.id);
            }
          },
          { signal: controller.signal },
        ),
      ),
      read(
        reader.readFrom(
          topics.labels,
          since,
          async (messages) => {
            for (const message of messages) {
              const event = await decode('label', message);
              if (event !== null && event.model === model) labels.push(event);
            }
          },
          { signal: controller.signal },
        ),
      ),
    ]);

    // A prediction id read both in and out of the window (a duplicate with another time) is
    // in the window: its first occurrence decides in the join, as everywhere else.
    const inWindow = new Set(predictions.map((p) => p.id));
    let outOfWindowLabels = 0;
    const joinable = labels.filter((label) => {
      const outside = outOfWindow.has(label.predictionId) && !inWindow.has(label.predictionId);
      if (outside) outOfWindowLabels++;
      return !outside;
    });
    const { examples, counts } = joinExamples(predictions, joinable, { model, labelHorizonMs });
    let outOfWindowPredictions = 0;
    for (const id of outOfWindow) if (!inWindow.has(id)) outOfWindowPredictions++;
    return {
      examples,
      counts: {
        ...counts,
        undecodable,
        outOfWindowPredictions,
        outOfWindowLabels,
        messages: { predictions: predictionRead.messages, labels: labelRead.messages },
      },
      predictionTimes: predictions.map((p) => p.eventTime).sort((a, b) => a - b),
    };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}
