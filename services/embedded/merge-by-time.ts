// Interleaves the prediction and label streams of a replay into one delivery sequence, the
// order an upstream app would have published them in.
//
// Each input is assumed to be in event-time order already (what `driftwatch generate`
// writes, and what an app's logs usually are). The two are merged by time, a prediction
// first on a tie, without sorting: sorting would need the whole input in memory. A file
// that is out of order still replays; its records go out in file order, and the services
// treat them as the late events they would be live (counted when within the allowed
// lateness of a window, and otherwise only in later windows).
import type { RecordSource } from '../../shared/report/replay.js';
import type { LabelRecord, PredictionRecord } from '../../shared/sdk/records.js';

export type TimedDelivery =
  | { kind: 'prediction'; record: PredictionRecord; time: number }
  | { kind: 'label'; record: LabelRecord; time: number };

export class MissingEventTimeError extends Error {
  override readonly name = 'MissingEventTimeError';
}

function timeOf(record: PredictionRecord | LabelRecord, what: string, index: number): number {
  const time = record.time;
  const ms = time instanceof Date ? time.getTime() : time;
  // A replay has no "now" to fall back on: windows are built from event time only.
  if (typeof ms !== 'number' || !Number.isFinite(ms)) throw new MissingEventTimeError(`${what} ${index} has no event time`);
  return ms;
}

function iteratorOf<T>(source: RecordSource<T>): AsyncIterator<T> | Iterator<T> {
  return Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
}

/** Reads both sources lazily (one record of each ahead) and yields them merged by event time. */
export async function* mergeByTime(
  predictions: RecordSource<PredictionRecord>,
  labels: RecordSource<LabelRecord>,
): AsyncGenerator<TimedDelivery> {
  const p = iteratorOf(predictions);
  const l = iteratorOf(labels);
  let predictionIndex = 0;
  let labelIndex = 0;
  const nextPrediction = async (): Promise<TimedDelivery | null> => {
    const step = await p.next();
    if (step.done) return null;
    return { kind: 'prediction', record: step.value, time: timeOf(step.value, 'prediction', predictionIndex++) };
  };
  const nextLabel = async (): Promise<TimedDelivery | null> => {
    const step = await l.next();
    if (step.done) return null;
    return { kind: 'label', record: step.value, time: timeOf(step.value, 'label', labelIndex++) };
  };
  let pDone = false;
  let lDone = false;
  try {
    let [headP, headL] = await Promise.all([nextPrediction(), nextLabel()]);
    pDone = headP === null;
    lDone = headL === null;
    while (headP !== null || headL !== null) {
      if (headP !== null && (headL === null || headP.time <= headL.time)) {
        yield headP;
        headP = await nextPrediction();
        pDone = headP === null;
      } else {
        yield headL!;
        headL = await nextLabel();
        lDone = headL === null;
      }
    }
  } finally {
    // Closes the files when the consumer stops early (an error, an abort).
    await Promise.all([pDone ? undefined : p.return?.(), lDone ? undefined : l.return?.()]);
  }
}
