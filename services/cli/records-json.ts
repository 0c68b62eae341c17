// Turns one parsed input object (a JSONL line, or a CSV row already typed) into the SDK's
// record shape, refusing anything the services would dead-letter anyway: failing on the
// file's line is far more useful to someone replaying a file than a DLQ count.
import type { FeatureValue, LabelRecord, PredictionRecord } from '../../shared/sdk/records.js';

/** Thrown with a message that names the offending field; the reader adds file and line. */
export class RecordError extends Error {
  override readonly name = 'RecordError';
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requiredString(record: Json, field: string, allowNumber = false): string {
  const value = record[field];
  if (allowNumber && typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string' || value.trim() === '') {
    throw new RecordError(`${field} must be a non-empty string, got ${describe(value)}`);
  }
  return value;
}

function optionalString(record: Json, field: string): string | undefined {
  const value = record[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new RecordError(`${field} must be a string, got ${describe(value)}`);
  return value;
}

function optionalNumber(record: Json, field: string): number | undefined {
  const value = record[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new RecordError(`${field} must be a finite number, got ${describe(value)}`);
  return value;
}

/** Event time: milliseconds since the epoch, or an ISO-8601 string. */
export function eventTime(record: Json, field = 'time'): number {
  const value = record[field];
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const asNumber = Number(value);
    if (Number.isFinite(asNumber)) return asNumber;
    const parsed = Date.parse(value);
    if (Number.isFinite(parsed)) return parsed;
  }
  throw new RecordError(`${field} must be epoch milliseconds or an ISO-8601 time, got ${describe(value)}`);
}

function numberMap(record: Json, field: string): Record<string, number> | undefined {
  const value = record[field];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new RecordError(`${field} must be an object of numbers, got ${describe(value)}`);
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'number' || !Number.isFinite(item)) throw new RecordError(`${field}.${key} must be a finite number, got ${describe(item)}`);
  }
  return value as Record<string, number>;
}

function stringMap(record: Json, field: string): Record<string, string> | undefined {
  const value = record[field];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new RecordError(`${field} must be an object of strings, got ${describe(value)}`);
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') throw new RecordError(`${field}.${key} must be a string, got ${describe(item)}`);
  }
  return value as Record<string, string>;
}

function features(record: Json): Record<string, FeatureValue> {
  const value = record.features;
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new RecordError(`features must be an object, got ${describe(value)}`);
  for (const [name, item] of Object.entries(value)) {
    const ok = item === null || typeof item === 'string' || typeof item === 'boolean' || (typeof item === 'number' && Number.isFinite(item));
    if (!ok) throw new RecordError(`features.${name} must be a number, string, boolean or null, got ${describe(item)}`);
  }
  return value as Record<string, FeatureValue>;
}

export function toPredictionRecord(value: unknown): PredictionRecord {
  if (!isObject(value)) throw new RecordError(`a prediction must be an object, got ${describe(value)}`);
  const record: PredictionRecord = {
    id: requiredString(value, 'id', true),
    model: requiredString(value, 'model'),
    modelVersion: requiredString(value, 'modelVersion', true),
    time: eventTime(value),
    features: features(value),
  };
  const predictedClass = optionalString(value, 'predictedClass');
  const predictedValue = optionalNumber(value, 'predictedValue');
  if (predictedClass === undefined && predictedValue === undefined) {
    throw new RecordError('a prediction needs predictedClass or predictedValue');
  }
  if (predictedClass !== undefined) record.predictedClass = predictedClass;
  if (predictedValue !== undefined) record.predictedValue = predictedValue;
  const probabilities = numberMap(value, 'probabilities');
  if (probabilities !== undefined) record.probabilities = probabilities;
  const segments = stringMap(value, 'segments');
  if (segments !== undefined) record.segments = segments;
  return record;
}

export function toLabelRecord(value: unknown): LabelRecord {
  if (!isObject(value)) throw new RecordError(`a label must be an object, got ${describe(value)}`);
  const record: LabelRecord = {
    predictionId: requiredString(value, 'predictionId', true),
    model: requiredString(value, 'model'),
    time: eventTime(value),
  };
  const trueClass = optionalString(value, 'trueClass');
  const trueValue = optionalNumber(value, 'trueValue');
  if (trueClass === undefined && trueValue === undefined) throw new RecordError('a label needs trueClass or trueValue');
  if (trueClass !== undefined) record.trueClass = trueClass;
  if (trueValue !== undefined) record.trueValue = trueValue;
  return record;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
