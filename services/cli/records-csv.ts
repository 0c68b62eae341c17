// The CSV layout of prediction and label records (docs/replay.md), both directions.
//
// Predictions: id, model, modelVersion, time, predictedClass, predictedValue, then
// p_<class> (probability of a class), f_<feature> (a feature value), s_<segment>.
// Feature values are typed by their text: number-looking → numeric, true/false → boolean,
// empty → missing, anything else → categorical. A header may force a type with a suffix,
// `f_zip:categorical`, for a column whose categories look like numbers.
// Labels: predictionId, model, time, trueClass, trueValue.
import type { FeatureValue, LabelRecord, PredictionRecord } from '../../shared/sdk/records.js';
import { RecordError, toLabelRecord, toPredictionRecord } from './records-json.js';

export type FeatureType = 'numeric' | 'categorical' | 'boolean';

const PREDICTION_COLUMNS = ['id', 'model', 'modelVersion', 'time', 'predictedClass', 'predictedValue'];
const LABEL_COLUMNS = ['predictionId', 'model', 'time', 'trueClass', 'trueValue'];
const FEATURE_TYPES: readonly FeatureType[] = ['numeric', 'categorical', 'boolean'];

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const BOOLEAN = /^(true|false)$/i;

type Column =
  | { kind: 'field'; name: string }
  | { kind: 'probability'; name: string }
  | { kind: 'feature'; name: string; type: FeatureType | null }
  | { kind: 'segment'; name: string };

export interface CsvLayout {
  kind: 'prediction' | 'label';
  columns: Column[];
}

/** Checks a header row; unknown columns are refused so a typo cannot silently drop data. */
export function csvLayout(kind: 'prediction' | 'label', header: readonly string[]): CsvLayout {
  const fields = kind === 'prediction' ? PREDICTION_COLUMNS : LABEL_COLUMNS;
  const seen = new Set<string>();
  const columns = header.map((raw): Column => {
    const name = raw.trim();
    if (seen.has(name)) throw new RecordError(`column ${name} appears twice`);
    seen.add(name);
    if (fields.includes(name)) return { kind: 'field', name };
    if (kind === 'prediction') {
      if (name.startsWith('p_') && name.length > 2) return { kind: 'probability', name: name.slice(2) };
      if (name.startsWith('s_') && name.length > 2) return { kind: 'segment', name: name.slice(2) };
      if (name.startsWith('f_') && name.length > 2) {
        const [feature, type] = splitType(name.slice(2));
        return { kind: 'feature', name: feature, type };
      }
    }
    const allowed = kind === 'prediction' ? `${fields.join(', ')}, p_<class>, f_<feature>, s_<segment>` : fields.join(', ');
    throw new RecordError(`unknown ${kind} column "${name}" (expected ${allowed})`);
  });
  const required = kind === 'prediction' ? ['id', 'model', 'modelVersion', 'time'] : ['predictionId', 'model', 'time'];
  const missing = required.filter((name) => !seen.has(name));
  if (missing.length) throw new RecordError(`missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  return { kind, columns };
}

function splitType(name: string): [string, FeatureType | null] {
  const colon = name.lastIndexOf(':');
  if (colon < 0) return [name, null];
  const type = name.slice(colon + 1) as FeatureType;
  if (!FEATURE_TYPES.includes(type)) throw new RecordError(`column f_${name}: type must be one of ${FEATURE_TYPES.join(', ')}`);
  return [name.slice(0, colon), type];
}

export function featureValue(text: string, type: FeatureType | null, feature: string): FeatureValue {
  if (text === '') return null;
  const effective = type ?? (NUMBER.test(text) ? 'numeric' : BOOLEAN.test(text) ? 'boolean' : 'categorical');
  switch (effective) {
    case 'numeric': {
      const value = Number(text);
      if (!NUMBER.test(text) || !Number.isFinite(value)) throw new RecordError(`f_${feature}: "${text}" is not a finite number`);
      return value;
    }
    case 'boolean':
      if (!BOOLEAN.test(text)) throw new RecordError(`f_${feature}: "${text}" is not true or false`);
      return text.toLowerCase() === 'true';
    case 'categorical':
      return text;
  }
}

function numberCell(text: string, column: string): number | undefined {
  if (text === '') return undefined;
  if (!NUMBER.test(text.trim())) throw new RecordError(`${column}: "${text}" is not a number`);
  return Number(text);
}

export function csvRowToRecord(layout: CsvLayout & { kind: 'prediction' }, row: readonly string[]): PredictionRecord;
export function csvRowToRecord(layout: CsvLayout & { kind: 'label' }, row: readonly string[]): LabelRecord;
export function csvRowToRecord(layout: CsvLayout, row: readonly string[]): PredictionRecord | LabelRecord;
export function csvRowToRecord(layout: CsvLayout, row: readonly string[]): PredictionRecord | LabelRecord {
  if (row.length !== layout.columns.length) {
    throw new RecordError(`expected ${layout.columns.length} columns, got ${row.length}`);
  }
  const object: Record<string, unknown> = {};
  const features: Record<string, FeatureValue> = {};
  const probabilities: Record<string, number> = {};
  const segments: Record<string, string> = {};
  layout.columns.forEach((column, i) => {
    const text = row[i]!;
    switch (column.kind) {
      case 'field':
        if (column.name === 'predictedValue' || column.name === 'trueValue') object[column.name] = numberCell(text, column.name);
        else if (text !== '') object[column.name] = text;
        break;
      case 'probability': {
        const p = numberCell(text, `p_${column.name}`);
        if (p !== undefined) probabilities[column.name] = p;
        break;
      }
      case 'feature':
        features[column.name] = featureValue(text, column.type, column.name);
        break;
      case 'segment':
        if (text !== '') segments[column.name] = text;
        break;
    }
  });
  if (layout.kind === 'label') return toLabelRecord(object);
  object.features = features;
  if (Object.keys(probabilities).length) object.probabilities = probabilities;
  if (Object.keys(segments).length) object.segments = segments;
  return toPredictionRecord(object);
}

// ---- writing ----

/** A header that reads back into the same records (types forced where text would mislead). */
export function predictionCsvHeader(records: Iterable<PredictionRecord>): string[] {
  const classes = new Set<string>();
  const featureNames = new Map<string, { needsCategorical: boolean }>();
  const segmentNames = new Set<string>();
  for (const record of records) {
    for (const name of Object.keys(record.probabilities ?? {})) classes.add(name);
    for (const name of Object.keys(record.segments ?? {})) segmentNames.add(name);
    for (const [name, value] of Object.entries(record.features)) {
      const entry = featureNames.get(name) ?? { needsCategorical: false };
      if (typeof value === 'string' && (NUMBER.test(value) || BOOLEAN.test(value))) entry.needsCategorical = true;
      featureNames.set(name, entry);
    }
  }
  return [
    ...PREDICTION_COLUMNS,
    ...[...classes].map((c) => `p_${c}`),
    ...[...featureNames].map(([name, { needsCategorical }]) => `f_${name}${needsCategorical ? ':categorical' : ''}`),
    ...[...segmentNames].map((s) => `s_${s}`),
  ];
}

export const LABEL_CSV_HEADER: readonly string[] = LABEL_COLUMNS;

function timeText(time: Date | number | undefined): string {
  if (time === undefined) return '';
  return String(typeof time === 'number' ? time : time.getTime());
}

function text(value: FeatureValue): string {
  return value === null || value === undefined || (typeof value === 'number' && Number.isNaN(value)) ? '' : String(value);
}

export function predictionCsvRow(layout: CsvLayout, record: PredictionRecord): string[] {
  return layout.columns.map((column) => {
    switch (column.kind) {
      case 'field': {
        if (column.name === 'time') return timeText(record.time);
        return text((record as unknown as Record<string, FeatureValue>)[column.name]);
      }
      case 'probability':
        return text(record.probabilities?.[column.name]);
      case 'feature':
        return text(record.features[column.name]);
      case 'segment':
        return record.segments?.[column.name] ?? '';
    }
  });
}

export function labelCsvRow(record: LabelRecord): string[] {
  return [record.predictionId, record.model, timeText(record.time), record.trueClass ?? '', text(record.trueValue)];
}

/** One CSV line (RFC 4180 quoting), without the line break. */
export function csvLine(cells: readonly string[]): string {
  return cells.map((c) => (/[",\r\n]|^\s|\s$/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',');
}
