// What an upstream app hands the SDK: one plain object of features, whatever their types.
// The wire format splits them into typed maps (faster to decode, see README "Design"),
// which is the SDK's job, not the app's.
import type { LabelInput, PredictionInput } from '../codec/index.js';

export type FeatureValue = number | string | boolean | null | undefined;

export interface PredictionRecord {
  id: string;
  model: string;
  modelVersion: string;
  /** Event time; defaults to now. */
  time?: Date | number;
  features: Record<string, FeatureValue>;
  predictedClass?: string;
  predictedValue?: number;
  probabilities?: Record<string, number>;
  segments?: Record<string, string>;
}

export interface LabelRecord {
  predictionId: string;
  model: string;
  time?: Date | number;
  trueClass?: string;
  trueValue?: number;
}

function epochMs(time: Date | number | undefined, now: () => number): number {
  if (time === undefined) return now();
  return typeof time === 'number' ? time : time.getTime();
}

/**
 * Splits features by type. null, undefined and NaN (pandas' missing value) count as
 * missing; ±Infinity is left in place for the codec to refuse with NON_FINITE.
 */
export function toPredictionEvent(record: PredictionRecord, now: () => number = Date.now): PredictionInput {
  const numericFeatures: Record<string, number> = {};
  const categoricalFeatures: Record<string, string> = {};
  const booleanFeatures: Record<string, boolean> = {};
  const missingFeatures: string[] = [];
  for (const [name, value] of Object.entries(record.features)) {
    if (value === null || value === undefined || (typeof value === 'number' && Number.isNaN(value))) {
      missingFeatures.push(name);
    } else if (typeof value === 'number') numericFeatures[name] = value;
    else if (typeof value === 'string') categoricalFeatures[name] = value;
    else if (typeof value === 'boolean') booleanFeatures[name] = value;
    else throw new TypeError(`feature ${name}: ${typeof value} is not a number, string, boolean or null`);
  }
  return {
    id: record.id,
    model: record.model,
    modelVersion: record.modelVersion,
    eventTime: epochMs(record.time, now),
    numericFeatures,
    categoricalFeatures,
    booleanFeatures,
    missingFeatures,
    predictedClass: record.predictedClass ?? null,
    predictedValue: record.predictedValue ?? null,
    classProbabilities: record.probabilities ?? {},
    segments: record.segments ?? {},
  };
}

export function toLabelEvent(record: LabelRecord, now: () => number = Date.now): LabelInput {
  return {
    predictionId: record.predictionId,
    model: record.model,
    eventTime: epochMs(record.time, now),
    trueClass: record.trueClass ?? null,
    trueValue: record.trueValue ?? null,
  };
}
