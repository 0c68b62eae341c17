// Labelled training rows for `driftwatch train`, from CSV or JSON Lines, with the same reading
// rules as the replay's record files (read-records.ts): csv-parse with the same options, cells
// typed by records-csv.ts' featureValue, times by records-json.ts' eventTime, and every
// problem an InputError naming the file and line.
//
// CSV: a header, then one row per example. The label column (default `label`) and an optional
// time column (default `time`; epoch ms or ISO-8601) are taken out; every other column is a
// feature, typed by its text: a number → numeric, true/false → boolean, empty → missing,
// anything else → categorical. `name:categorical` (or `:numeric`, `:boolean`) in the header
// forces a type, for categories that look like numbers (the simulator writes these).
//
// JSON Lines: `{"features": {...}, "label": "...", "time": ...}`, or a flat object whose
// fields other than the label and time fields are the features. Feature types are the JSON
// types; null is missing. A number or boolean label is taken as its text.
//
// Every row has a time or none does: without times the file's order is the time order.
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import type { FeatureRow, FeatureValue } from '../../shared/learning/feature-spec.js';
import { InputError } from './input-error.js';
import { inputSize, jsonLines, type RecordFormat } from './read-records.js';
import { featureValue, type FeatureType } from './records-csv.js';
import { eventTime, RecordError } from './records-json.js';

export interface TrainingRow {
  features: FeatureRow;
  label: string;
  /** Event time (ms); absent when the file has no times. */
  time?: number;
  /** Line of the file the row ends on (1-based). */
  line: number;
}

export interface TrainingRowsOptions {
  format: RecordFormat;
  /** Default `label`. */
  labelColumn?: string;
  /** Default `time`; a file without it has no times. */
  timeColumn?: string;
  /** True when the user named the time column, so a file without it is an error. */
  timeColumnRequired?: boolean;
}

export interface TrainingRows {
  rows: TrainingRow[];
  /** Feature names in the order first seen. */
  features: string[];
  /** True when every row has a time; false when none has (file order is the time order). */
  timed: boolean;
}

const FEATURE_TYPES: readonly FeatureType[] = ['numeric', 'categorical', 'boolean'];

/** Reads the whole file (the training set is held in memory anyway). */
export async function readTrainingRows(path: string, options: TrainingRowsOptions): Promise<TrainingRows> {
  await inputSize(path);
  const labelColumn = options.labelColumn ?? 'label';
  const timeColumn = options.timeColumn ?? 'time';
  if (labelColumn === timeColumn) throw new InputError(path, null, `the label column and the time column are both "${labelColumn}"`);
  const columns = { label: labelColumn, time: timeColumn, timeRequired: options.timeColumnRequired ?? false };
  const rows = options.format === 'csv' ? await readCsv(path, columns) : await readJsonl(path, columns);
  return finish(path, rows, columns);
}

interface Columns {
  label: string;
  time: string;
  timeRequired: boolean;
}

// ---- CSV -----------------------------------------------------------------------------------

type CsvColumn = { kind: 'label' } | { kind: 'time' } | { kind: 'feature'; name: string; type: FeatureType | null };

/** The header's columns; the label column must be there, the time column when required. */
export function trainingCsvLayout(header: readonly string[], columns: Columns): CsvColumn[] {
  const seen = new Set<string>();
  const layout = header.map((raw, i): CsvColumn => {
    const text = raw.trim();
    if (text === '') throw new RecordError(`column ${i + 1} of the header has no name`);
    if (text === columns.label) return remember(seen, text, { kind: 'label' });
    if (text === columns.time) return remember(seen, text, { kind: 'time' });
    const colon = text.lastIndexOf(':');
    const suffix = colon > 0 ? text.slice(colon + 1) : '';
    if (FEATURE_TYPES.includes(suffix as FeatureType)) {
      return remember(seen, text.slice(0, colon), { kind: 'feature', name: text.slice(0, colon), type: suffix as FeatureType });
    }
    return remember(seen, text, { kind: 'feature', name: text, type: null });
  });
  if (!seen.has(columns.label)) {
    throw new RecordError(`no label column "${columns.label}" in the header (columns: ${header.join(', ')}); name it with --label-column`);
  }
  if (columns.timeRequired && !seen.has(columns.time)) {
    throw new RecordError(`no time column "${columns.time}" in the header (columns: ${header.join(', ')})`);
  }
  return layout;
}

function remember(seen: Set<string>, name: string, column: CsvColumn): CsvColumn {
  if (seen.has(name)) throw new RecordError(`column ${name} appears twice`);
  seen.add(name);
  return column;
}

/** One data row of the layout. */
export function trainingCsvRow(layout: readonly CsvColumn[], cells: readonly string[], line: number): TrainingRow {
  if (cells.length !== layout.length) throw new RecordError(`expected ${layout.length} columns, got ${cells.length}`);
  const features: FeatureRow = {};
  let label = '';
  let time: number | undefined;
  layout.forEach((column, i) => {
    const text = cells[i]!;
    if (column.kind === 'label') label = text;
    else if (column.kind === 'time') {
      if (text.trim() !== '') time = eventTime({ time: text.trim() });
    } else {
      try {
        features[column.name] = featureValue(text, column.type, column.name) ?? null;
      } catch (error) {
        // featureValue names the column the way the prediction CSV does (f_<name>).
        throw new RecordError((error as Error).message.replace(/^f_/, ''));
      }
    }
  });
  if (label === '') throw new RecordError('the label is empty');
  return { features, label, ...(time !== undefined ? { time } : {}), line };
}

async function readCsv(path: string, columns: Columns): Promise<TrainingRow[]> {
  const parser = createReadStream(path).pipe(parse({ bom: true, info: true, skip_empty_lines: true, relax_column_count: true }));
  const rows: TrainingRow[] = [];
  let layout: CsvColumn[] | null = null;
  try {
    for await (const item of parser as AsyncIterable<{ info: { lines: number }; record: string[] }>) {
      const line = item.info.lines;
      try {
        if (layout === null) layout = trainingCsvLayout(item.record, columns);
        else rows.push(trainingCsvRow(layout, item.record, line));
      } catch (error) {
        throw new InputError(path, line, withTimeColumn((error as Error).message, columns));
      }
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    const line = (error as { lines?: number }).lines;
    throw new InputError(path, typeof line === 'number' ? line : null, `invalid CSV: ${(error as Error).message}`);
  }
  if (layout === null) throw new InputError(path, null, 'empty file: expected a header and rows');
  return rows;
}

// ---- JSON Lines ----------------------------------------------------------------------------

/** One parsed line: nested (`features`) or flat. */
export function trainingJsonRow(value: unknown, columns: Pick<Columns, 'label' | 'time'>, line: number): TrainingRow {
  if (!isObject(value)) throw new RecordError(`a training row must be an object, got ${describe(value)}`);
  const nested = isObject(value.features);
  if (!nested && value.features !== undefined && columns.label !== 'features' && columns.time !== 'features') {
    throw new RecordError(`features must be an object, got ${describe(value.features)}`);
  }
  const source = nested ? (value.features as Record<string, unknown>) : value;
  const features: FeatureRow = {};
  for (const [name, item] of Object.entries(source)) {
    if (!nested && (name === columns.label || name === columns.time)) continue;
    features[name] = jsonFeature(name, item);
  }
  const raw = value[columns.label];
  let label: string;
  if (typeof raw === 'string' && raw !== '') label = raw;
  else if ((typeof raw === 'number' && Number.isFinite(raw)) || typeof raw === 'boolean') label = String(raw);
  else throw new RecordError(`${columns.label} (the label) must be a non-empty string, number or boolean, got ${describe(raw)}`);
  const rawTime = value[columns.time];
  const time = rawTime === undefined || rawTime === null ? undefined : eventTime(value, columns.time);
  return { features, label, ...(time !== undefined ? { time } : {}), line };
}

function jsonFeature(name: string, item: unknown): FeatureValue {
  if (item === null || typeof item === 'string' || typeof item === 'boolean' || (typeof item === 'number' && Number.isFinite(item))) return item;
  throw new RecordError(`feature ${name} must be a number, string, boolean or null, got ${describe(item)}`);
}

async function readJsonl(path: string, columns: Columns): Promise<TrainingRow[]> {
  const rows: TrainingRow[] = [];
  // trainingJsonRow's time errors already name the time field (eventTime is given it).
  for await (const row of jsonLines(path, (value, line) => trainingJsonRow(value, columns, line))) rows.push(row);
  if (columns.timeRequired && rows.length > 0 && rows.every((r) => r.time === undefined)) {
    throw new InputError(path, null, `no row has the time field "${columns.time}"`);
  }
  return rows;
}

// ---- checks over the whole file ------------------------------------------------------------

/**
 * The checks no single row can make: every row timed or none, and one type per feature (a
 * column of numbers with a stray word would otherwise train with that word as missing).
 */
function finish(path: string, rows: TrainingRow[], columns: Columns): TrainingRows {
  const timed = rows.filter((r) => r.time !== undefined).length;
  if (timed > 0 && timed < rows.length) {
    const firstTimed = rows.find((r) => r.time !== undefined)!;
    const firstUntimed = rows.find((r) => r.time === undefined)!;
    throw new InputError(
      path,
      firstUntimed.line,
      `no time, but line ${firstTimed.line} has one (${rows.length - timed} of ${rows.length} rows have no ${columns.time}): ` +
        'give every row a time, or none (then the file order is the time order)',
    );
  }
  const types = new Map<string, { type: string; line: number; value: FeatureValue }>();
  const names = new Set<string>();
  for (const row of rows) {
    for (const [name, value] of Object.entries(row.features)) {
      names.add(name);
      if (value === null) continue;
      const type = typeof value === 'number' ? 'numeric' : typeof value === 'boolean' ? 'boolean' : 'categorical';
      const first = types.get(name);
      if (first === undefined) types.set(name, { type, line: row.line, value });
      else if (first.type !== type) {
        throw new InputError(
          path,
          row.line,
          `feature ${name} is ${type} here (${JSON.stringify(value)}) but ${first.type} on line ${first.line} (${JSON.stringify(first.value)}); ` +
            'one feature needs one type' +
            (first.type === 'categorical' || type === 'categorical' ? ` (in a CSV header, ${name}:categorical makes every value a category)` : ''),
        );
      }
    }
  }
  return { rows, features: [...names], timed: rows.length > 0 && timed === rows.length };
}

// ---- helpers -------------------------------------------------------------------------------

/** eventTime's messages say `time`; say the column's name when it is another. */
function withTimeColumn(message: string, columns: Pick<Columns, 'time'>): string {
  return columns.time === 'time' ? message : message.replace(/^time must be/, `${columns.time} must be`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
