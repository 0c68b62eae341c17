// The reference a model version's windows are compared with: per feature, fixed numeric
// bin edges or a fixed category vocabulary, with the reference's counts over them. The
// edges and vocabulary are also what the drift service bins live events with, so every
// bucket of a version agrees on them (see NumericHistogram / CategoricalCounts).
//
// Numeric edges are equal-width over [min, max] of the reference with `bins` bins (numpy's
// linspace; a constant column gets [v − 0.5, v + 0.5] as numpy does). Equal width matches
// Evidently's spirit (its sturges bins are equal-width too) and keeps tails visible, which
// quantile bins would squeeze; live values outside the reference range land in the
// underflow/overflow bins, which the drift vectors include.
import type { FeatureProfile, ModelEvent, Prediction } from '../codec/events.generated.js';
import type { FeatureType, Task } from '../config/monitoring-config.js';
import { compareCodePoints } from '../stats/window/confusion-matrix.js';

export interface NumericReference {
  type: 'numeric';
  edges: number[];
  /** counts[i] = reference values in bin i (numpy's convention, last bin closed). */
  counts: number[];
  underflow: number;
  overflow: number;
  missing: number;
  /** Distinct reference values (capped at UNIQUE_CAP): feeds Evidently's default-test choice. */
  nUnique: number;
}

export interface CategoricalReference {
  type: 'categorical' | 'boolean';
  /** The tracked categories: the top maxCategories by count, sorted by code point. */
  vocabulary: string[];
  /** Aligned with vocabulary. */
  counts: number[];
  /** Reference values outside the vocabulary. */
  other: number;
  missing: number;
  /** Every category seen, for unseen-category counts; null when there were more than CATEGORIES_CAP. */
  categories: string[] | null;
}

export type ColumnReference = NumericReference | CategoricalReference;

export interface ReferenceProfile {
  format: 1;
  /** sample: the first N events of the version; model: a model event's training profile; upload: the CLI. */
  source: 'sample' | 'model' | 'upload';
  /** Rows the reference was built from. */
  size: number;
  features: Record<string, ColumnReference>;
  /** Distribution of predicted classes (classification) or values (regression). */
  prediction: ColumnReference | null;
}

export interface ReferenceSettings {
  bins: number;
  maxCategories: number;
  /** Declared types; undeclared features take the type of the map they arrive in. */
  featureTypes?: Record<string, FeatureType>;
  task?: Task;
}

/** Name of the FeatureProfile that carries the prediction distribution in a model event. */
export const PREDICTION_PROFILE = '@prediction';
export const UNIQUE_CAP = 1000;
export const CATEGORIES_CAP = 10_000;

/**
 * One reference-sample row as the drift service appends it to `refsample:<version>`:
 * `[numeric, categorical, boolean, missing, predictedClass, predictedValue]`. Positional
 * JSON keeps 1000 rows × 20 features small and cheap to parse.
 */
export type SampleRow = [
  Record<string, number>,
  Record<string, string>,
  Record<string, boolean>,
  string[],
  string | null,
  number | null,
];

export function referenceRow(p: Prediction): string {
  const row: SampleRow = [p.numericFeatures, p.categoricalFeatures, p.booleanFeatures, p.missingFeatures, p.predictedClass, p.predictedValue];
  return JSON.stringify(row);
}

/** The part of a prediction the drift statistics read. */
export type FeatureValues = Pick<Prediction, 'numericFeatures' | 'categoricalFeatures' | 'booleanFeatures' | 'predictedClass' | 'predictedValue'>;

export function parseReferenceRow(json: string): FeatureValues {
  const row = JSON.parse(json) as unknown;
  if (!Array.isArray(row) || row.length !== 6) throw new TypeError(`not a reference sample row: ${json.slice(0, 100)}`);
  const [numericFeatures, categoricalFeatures, booleanFeatures, , predictedClass, predictedValue] = row as SampleRow;
  return { numericFeatures, categoricalFeatures, booleanFeatures, predictedClass, predictedValue };
}

/**
 * A feature's value as a number for a numeric column, whatever map it arrived in (a
 * declared type wins over the wire's): null when missing or not a number.
 */
export function numericValue(p: FeatureValues, feature: string): number | null {
  return numericOf(p.numericFeatures[feature], p.categoricalFeatures[feature], p.booleanFeatures[feature]);
}

/** A feature's value as a category; booleans become 'true' / 'false'. */
export function categoricalValue(p: FeatureValues, feature: string): string | null {
  return categoricalOf(p.numericFeatures[feature], p.categoricalFeatures[feature], p.booleanFeatures[feature]);
}

/**
 * The rule of numericValue, from the feature's entries in the three maps (undefined: not in
 * that map): the number, else the string parsed (blank is not a number), else the boolean as
 * 1 / 0. The drift service's byte path (feature-deltas.ts) reads the entries from the bytes.
 */
export function numericOf(n: number | undefined, c: string | undefined, b: boolean | undefined): number | null {
  if (n !== undefined) return n;
  if (c !== undefined) {
    const v = c.trim() === '' ? Number.NaN : Number(c);
    return Number.isFinite(v) ? v : null;
  }
  return b === undefined ? null : b ? 1 : 0;
}

/** The rule of categoricalValue, from the feature's entries in the three maps: the string, else the boolean, else the number. */
export function categoricalOf(n: number | undefined, c: string | undefined, b: boolean | undefined): string | null {
  if (c !== undefined) return c;
  if (b !== undefined) return b ? 'true' : 'false';
  return n === undefined ? null : String(n);
}

/** Equal-width edges over [min, max], the last one pinned to max as numpy's linspace does. */
export function equalWidthEdges(min: number, max: number, bins: number): number[] {
  let lo = min;
  let hi = max;
  if (!(Number.isFinite(lo) && Number.isFinite(hi))) {
    lo = 0;
    hi = 1;
  }
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const step = (hi - lo) / bins;
  const edges = new Array<number>(bins + 1);
  for (let i = 0; i < bins; i++) edges[i] = lo + i * step;
  edges[bins] = hi;
  // Rounding can make adjacent edges equal for absurdly narrow ranges; NumericHistogram needs strictly increasing ones.
  for (let i = 1; i <= bins; i++) if (!((edges[i] as number) > (edges[i - 1] as number))) return [lo, hi];
  return edges;
}

/**
 * Bin of `value` under NumericHistogram's convention: -1 underflow, edges.length - 1
 * overflow, else the largest i with edges[i] ≤ value (the top edge in the last bin).
 */
export function binIndex(edges: readonly number[], value: number): number {
  const last = edges.length - 1;
  if (value < (edges[0] as number)) return -1;
  if (value > (edges[last] as number)) return last;
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if ((edges[mid] as number) <= value) lo = mid;
    else hi = mid;
  }
  return lo;
}

function numericReference(values: number[], missing: number, bins: number): NumericReference {
  let min = Infinity;
  let max = -Infinity;
  const unique = new Set<number>();
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
    if (unique.size < UNIQUE_CAP) unique.add(v);
  }
  const edges = values.length === 0 ? [0, 1] : equalWidthEdges(min, max, bins);
  const counts = new Array<number>(edges.length - 1).fill(0);
  for (const v of values) {
    const i = binIndex(edges, v);
    counts[i] = (counts[i] as number) + 1;
  }
  return { type: 'numeric', edges, counts, underflow: 0, overflow: 0, missing, nUnique: unique.size };
}

function categoricalReference(type: 'categorical' | 'boolean', tally: Map<string, number>, missing: number, maxCategories: number): CategoricalReference {
  // Ranked as CategoricalCounts.fromReference ranks, then sorted so index 0 is the z-test's first category.
  const ranked = [...tally].sort(([a, na], [b, nb]) => nb - na || compareCodePoints(a, b));
  const vocabulary = ranked.slice(0, maxCategories).map(([c]) => c).sort(compareCodePoints);
  let other = 0;
  for (const [, n] of ranked.slice(maxCategories)) other += n;
  return {
    type,
    vocabulary,
    counts: vocabulary.map((c) => tally.get(c) ?? 0),
    other,
    missing,
    categories: tally.size > CATEGORIES_CAP ? null : [...tally.keys()].sort(compareCodePoints),
  };
}

function wireType(p: FeatureValues, feature: string): FeatureType | undefined {
  if (feature in p.numericFeatures) return 'numeric';
  if (feature in p.categoricalFeatures) return 'categorical';
  if (feature in p.booleanFeatures) return 'boolean';
  return undefined;
}

/** Features of a sample and their types: declared, else the first map each one arrived in. */
export function inferFeatureTypes(rows: readonly FeatureValues[], declared: Record<string, FeatureType> = {}): Record<string, FeatureType> {
  const types: Record<string, FeatureType> = { ...declared };
  for (const row of rows) {
    for (const map of [row.numericFeatures, row.categoricalFeatures, row.booleanFeatures]) {
      for (const feature in map) if (types[feature] === undefined) types[feature] = wireType(row, feature) as FeatureType;
    }
  }
  return types;
}

function columnFrom(type: FeatureType, rows: readonly FeatureValues[], read: (row: FeatureValues) => number | string | null, bins: number, maxCategories: number): ColumnReference {
  let missing = 0;
  if (type === 'numeric') {
    const values: number[] = [];
    for (const row of rows) {
      const v = read(row);
      if (typeof v === 'number') values.push(v);
      else missing += 1;
    }
    return numericReference(values, missing, bins);
  }
  const tally = new Map<string, number>();
  for (const row of rows) {
    const v = read(row);
    if (typeof v === 'string') tally.set(v, (tally.get(v) ?? 0) + 1);
    else missing += 1;
  }
  return categoricalReference(type, tally, missing, maxCategories);
}

/** The prediction column's type: from the task, else from what the rows carry. */
function predictionType(rows: readonly FeatureValues[], task: Task | undefined): FeatureType | null {
  if (task === 'regression') return 'numeric';
  if (task !== undefined) return 'categorical';
  if (rows.some((r) => r.predictedClass !== null)) return 'categorical';
  if (rows.some((r) => r.predictedValue !== null)) return 'numeric';
  return null;
}

/** A reference from collected sample rows (JSON strings from `referenceRow`, or parsed). */
export function buildReference(rows: readonly (string | FeatureValues)[], settings: ReferenceSettings): ReferenceProfile {
  const parsed = rows.map((r) => (typeof r === 'string' ? parseReferenceRow(r) : r));
  const types = inferFeatureTypes(parsed, settings.featureTypes);
  const features: Record<string, ColumnReference> = {};
  for (const feature of Object.keys(types).sort(compareCodePoints)) {
    const type = types[feature] as FeatureType;
    const read = type === 'numeric' ? (r: FeatureValues) => numericValue(r, feature) : (r: FeatureValues) => categoricalValue(r, feature);
    features[feature] = columnFrom(type, parsed, read, settings.bins, settings.maxCategories);
  }
  const pType = predictionType(parsed, settings.task);
  const prediction =
    pType === null
      ? null
      : columnFrom(pType, parsed, pType === 'numeric' ? (r) => r.predictedValue : (r) => r.predictedClass, settings.bins, settings.maxCategories);
  return { format: 1, source: 'sample', size: parsed.length, features, prediction };
}

function fromFeatureProfile(profile: FeatureProfile, maxCategories: number): ColumnReference {
  if (profile.type === 'NUMERIC') {
    const edges = profile.binEdges;
    const bins = edges.length - 1;
    // Profiles may carry the bins alone or with underflow/overflow around them.
    const withOuter = profile.counts.length === bins + 2;
    if (bins < 1 || !(profile.counts.length === bins || withOuter)) {
      throw new RangeError(`profile of ${profile.feature}: ${profile.counts.length} counts do not fit ${edges.length} bin edges`);
    }
    const counts = withOuter ? profile.counts.slice(1, -1) : [...profile.counts];
    return {
      type: 'numeric',
      edges: [...edges],
      counts,
      underflow: withOuter ? (profile.counts[0] as number) : 0,
      overflow: withOuter ? (profile.counts[bins + 1] as number) : 0,
      missing: profile.missing,
      // The profile has no raw values: non-empty bins stand in for distinct values.
      nUnique: counts.filter((c) => c > 0).length,
    };
  }
  const tally = new Map(Object.entries(profile.categories));
  return categoricalReference(profile.type === 'BOOLEAN' ? 'boolean' : 'categorical', tally, profile.missing, maxCategories);
}

/**
 * The model-event form of a reference (the inverse of referenceFromModelEvent): numeric
 * columns carry underflow and overflow around their bins, categorical ones their tracked
 * vocabulary's counts, the prediction column is named PREDICTION_PROFILE.
 */
export function referenceToFeatureProfiles(reference: ReferenceProfile): FeatureProfile[] {
  const profile = (feature: string, column: ColumnReference): FeatureProfile =>
    column.type === 'numeric'
      ? { feature, type: 'NUMERIC', binEdges: [...column.edges], counts: [column.underflow, ...column.counts, column.overflow], categories: {}, missing: column.missing }
      : {
          feature,
          type: column.type === 'boolean' ? 'BOOLEAN' : 'CATEGORICAL',
          binEdges: [],
          counts: [],
          categories: Object.fromEntries(column.vocabulary.map((c, i) => [c, column.counts[i] as number])),
          missing: column.missing,
        };
  const out = Object.entries(reference.features)
    .sort(([a], [b]) => compareCodePoints(a, b))
    .map(([feature, column]) => profile(feature, column));
  if (reference.prediction !== null) out.push(profile(PREDICTION_PROFILE, reference.prediction));
  return out;
}

/** The reference carried by a model event's training profile, or null when it has none. */
export function referenceFromModelEvent(event: Pick<ModelEvent, 'referenceProfile' | 'trainingSize'>, maxCategories: number): ReferenceProfile | null {
  if (event.referenceProfile.length === 0) return null;
  const features: Record<string, ColumnReference> = {};
  let prediction: ColumnReference | null = null;
  for (const profile of event.referenceProfile) {
    const column = fromFeatureProfile(profile, maxCategories);
    if (profile.feature === PREDICTION_PROFILE) prediction = column;
    else features[profile.feature] = column;
  }
  return { format: 1, source: 'model', size: event.trainingSize, features, prediction };
}

export function referenceToJSON(reference: ReferenceProfile): string {
  return JSON.stringify(reference);
}

export function referenceFromJSON(json: string): ReferenceProfile {
  const r = JSON.parse(json) as ReferenceProfile;
  if (r === null || typeof r !== 'object' || r.format !== 1 || typeof r.features !== 'object' || r.features === null) {
    throw new TypeError('not a reference profile (format 1)');
  }
  for (const [feature, column] of Object.entries(r.features)) checkColumn(feature, column);
  if (r.prediction !== null) checkColumn('prediction', r.prediction);
  return r;
}

function checkColumn(name: string, c: ColumnReference): void {
  const ok =
    c.type === 'numeric'
      ? Array.isArray(c.edges) && c.edges.length >= 2 && Array.isArray(c.counts) && c.counts.length === c.edges.length - 1
      : (c.type === 'categorical' || c.type === 'boolean') && Array.isArray(c.vocabulary) && Array.isArray(c.counts) && c.counts.length === c.vocabulary.length;
  if (!ok) throw new TypeError(`reference column ${name} is malformed`);
}
