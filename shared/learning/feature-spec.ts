// How a model sees a row of features: which columns, in which order, and how each value
// becomes numbers. Inferred once from training rows and stored in the manifest; a
// fine-tune keeps its parent's spec so the weights keep their meaning. No tfjs here: the
// encoding is plain arithmetic into a Float32Array that tf.tensor2d can wrap.
import { compareCodePoints } from '../stats/window/confusion-matrix.js';

export type FeatureValue = number | string | boolean | null;
export type FeatureRow = Record<string, FeatureValue>;

export interface NumericColumn {
  kind: 'numeric';
  name: string;
  mean: number;
  std: number;
}

export interface CategoricalColumn {
  kind: 'categorical';
  name: string;
  /** Most frequent first (ties by code point); one slot each, then one "other" slot. */
  vocabulary: string[];
}

export interface BooleanColumn {
  kind: 'boolean';
  name: string;
}

export type FeatureColumn = NumericColumn | CategoricalColumn | BooleanColumn;

export interface FeatureSpec {
  /** Sorted by name, so the layout never depends on the events' key order. */
  columns: FeatureColumn[];
  /** Encoded values per row. */
  width: number;
}

export interface InferOptions {
  maxCategories?: number;
}

/** Encoded slots of one column: numeric = value + missing indicator; categorical = vocabulary + other. */
export function columnWidth(column: FeatureColumn): number {
  if (column.kind === 'numeric') return 2;
  if (column.kind === 'categorical') return column.vocabulary.length + 1;
  return 1;
}

export function specWidth(columns: readonly FeatureColumn[]): number {
  return columns.reduce((sum, c) => sum + columnWidth(c), 0);
}

/**
 * A feature's kind is the type of its first non-null value: numbers are numeric, booleans
 * boolean, strings categorical. Features that are null in every row carry no signal and
 * are left out.
 */
export function inferFeatureSpec(rows: readonly FeatureRow[], options: InferOptions = {}): FeatureSpec {
  const maxCategories = options.maxCategories ?? 50;
  if (!Number.isInteger(maxCategories) || maxCategories < 1) throw new RangeError(`maxCategories must be a positive integer, got ${maxCategories}`);
  const kinds = new Map<string, FeatureColumn['kind']>();
  for (const row of rows) {
    for (const name in row) {
      const value = row[name];
      if (kinds.has(name) || value === null || value === undefined) continue;
      kinds.set(name, typeof value === 'number' ? 'numeric' : typeof value === 'boolean' ? 'boolean' : 'categorical');
    }
  }
  const columns = [...kinds.keys()].sort(compareCodePoints).map((name): FeatureColumn => {
    const kind = kinds.get(name) as FeatureColumn['kind'];
    if (kind === 'numeric') return numericColumn(name, rows);
    if (kind === 'categorical') return categoricalColumn(name, rows, maxCategories);
    return { kind: 'boolean', name };
  });
  return { columns, width: specWidth(columns) };
}

function numericColumn(name: string, rows: readonly FeatureRow[]): NumericColumn {
  // Welford: one pass, no catastrophic cancellation for large means.
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (const row of rows) {
    const v = numericOrNull(row[name]);
    if (v === null) continue;
    n += 1;
    const delta = v - mean;
    mean += delta / n;
    m2 += delta * (v - mean);
  }
  const std = n > 0 ? Math.sqrt(m2 / n) : 0;
  return { kind: 'numeric', name, mean, std: std > 0 ? std : 1 };
}

function categoricalColumn(name: string, rows: readonly FeatureRow[], maxCategories: number): CategoricalColumn {
  const tally = new Map<string, number>();
  for (const row of rows) {
    const v = categoryOrNull(row[name]);
    if (v !== null) tally.set(v, (tally.get(v) ?? 0) + 1);
  }
  const vocabulary = [...tally]
    .sort(([a, na], [b, nb]) => nb - na || compareCodePoints(a, b))
    .slice(0, maxCategories)
    .map(([category]) => category);
  return { kind: 'categorical', name, vocabulary };
}

/** A finite number, else null: a string in a numeric column is treated as missing. */
function numericOrNull(value: FeatureValue | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Any non-null value as its string form: a number in a categorical column is a category. */
function categoryOrNull(value: FeatureValue | undefined): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** Rows × width values, row-major, ready for tf.tensor2d(values, [rows.length, spec.width]). */
export function encodeRows(spec: FeatureSpec, rows: readonly FeatureRow[]): Float32Array {
  const out = new Float32Array(rows.length * spec.width);
  const lookups = vocabularyLookups(spec);
  rows.forEach((row, i) => writeRow(spec, lookups, row, out, i * spec.width));
  return out;
}

export function encodeRow(spec: FeatureSpec, row: FeatureRow): Float32Array {
  const out = new Float32Array(spec.width);
  writeRow(spec, vocabularyLookups(spec), row, out, 0);
  return out;
}

type Lookups = Map<string, Map<string, number>>;

function vocabularyLookups(spec: FeatureSpec): Lookups {
  const lookups: Lookups = new Map();
  for (const column of spec.columns) {
    if (column.kind === 'categorical') lookups.set(column.name, new Map(column.vocabulary.map((c, i) => [c, i])));
  }
  return lookups;
}

function writeRow(spec: FeatureSpec, lookups: Lookups, row: FeatureRow, out: Float32Array, offset: number): void {
  let at = offset;
  for (const column of spec.columns) {
    const value = row[column.name];
    if (column.kind === 'numeric') {
      const v = numericOrNull(value);
      // Missing sits at the mean (0 after standardizing) and raises its indicator.
      out[at] = v === null ? 0 : (v - column.mean) / column.std;
      out[at + 1] = v === null ? 1 : 0;
    } else if (column.kind === 'categorical') {
      const category = categoryOrNull(value);
      if (category !== null) {
        const slot = lookups.get(column.name)?.get(category) ?? column.vocabulary.length;
        out[at + slot] = 1;
      }
    } else {
      out[at] = value === true ? 1 : value === false ? 0 : 0.5;
    }
    at += columnWidth(column);
  }
}
