// The events `driftwatch produce` publishes: the seeded churn scenario (shared/sim/scenario.ts,
// the one `generate` writes) timed to end now, or a JSON Lines file of predictions and labels
// in the SDK's record shape (the lines `generate` writes), each line checked by the codec.
import { Codec } from '../../shared/codec/index.js';
import { toLabelEvent, toPredictionEvent } from '../../shared/sdk/records.js';
import { generateScenario, type Delivery, type ScenarioOptions } from '../../shared/sim/scenario.js';
import { jsonLines } from './read-records.js';
import { RecordError, toLabelRecord, toPredictionRecord } from './records-json.js';

export type { Delivery } from '../../shared/sim/scenario.js';

/** The scenario's deliveries (predictions and labels by event time), the last prediction at `now`. */
export function scenarioEvents(options: Omit<ScenarioOptions, 'startTime'>, now = Date.now()): Delivery[] {
  const count = options.count ?? 1_000;
  const eventsPerSecond = options.eventsPerSecond ?? 50;
  const span = Math.floor((Math.max(0, count - 1) * 1000) / eventsPerSecond);
  return generateScenario({ ...options, count, eventsPerSecond, startTime: now - span }).deliveries;
}

/**
 * One line as a prediction or a label: `"type": "prediction" | "label"` when present, else a
 * line with `predictionId` is a label. Encoded once here, so what the codec would refuse at
 * publish time (a time too far ahead, a non-finite number, an oversize event) fails on the line.
 */
export function lineToDelivery(value: unknown, codec: Codec): Delivery {
  const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  if (type !== undefined && type !== 'prediction' && type !== 'label') {
    throw new RecordError(`type must be "prediction" or "label", got ${JSON.stringify(type)}`);
  }
  const isLabel = type === 'label' || (type === undefined && typeof value === 'object' && value !== null && 'predictionId' in value);
  if (isLabel) {
    const record = toLabelRecord(value);
    codec.encode('label', toLabelEvent(record));
    return { kind: 'label', record };
  }
  const record = toPredictionRecord(value);
  codec.encode('prediction', toPredictionEvent(record));
  return { kind: 'prediction', record };
}

/** The file's events, lazily; an InputError names the first bad line (file:line: why). */
export function fileEvents(path: string, codec: Codec): AsyncGenerator<Delivery> {
  return jsonLines(path, (value) => lineToDelivery(value, codec));
}
