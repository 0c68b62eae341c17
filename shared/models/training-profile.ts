// The training data's distribution, in the FeatureProfile form a model event carries. The
// drift service turns it into the version's reference (referenceFromModelEvent), so the
// binning here is the monitor's own: equal-width edges over the training range, the same
// bin convention, categories by string, the prediction distribution under PREDICTION_PROFILE.
import type { FeatureProfile } from '../codec/events.generated.js';
import type { FeatureRow, FeatureSpec } from '../learning/feature-spec.js';
import { binIndex, equalWidthEdges, PREDICTION_PROFILE } from '../monitor/reference-profile.js';

export interface TrainingProfileOptions {
  /** Numeric bins; the monitoring default is 20. */
  bins?: number;
  /** The model's predicted class per row, for the prediction-distribution profile. */
  predictedClasses?: readonly string[];
}

export function buildTrainingProfile(rows: readonly FeatureRow[], spec: FeatureSpec, options: TrainingProfileOptions = {}): FeatureProfile[] {
  const bins = options.bins ?? 20;
  const profiles = spec.columns.map((column): FeatureProfile => {
    if (column.kind === 'numeric') return numericProfile(column.name, rows, bins);
    const read = column.kind === 'boolean' ? booleanCategory : anyCategory;
    return categoricalProfile(column.name, column.kind === 'boolean' ? 'BOOLEAN' : 'CATEGORICAL', rows.map((r) => read(r[column.name])));
  });
  if (options.predictedClasses) {
    if (options.predictedClasses.length !== rows.length) throw new RangeError(`${options.predictedClasses.length} predicted classes for ${rows.length} rows`);
    profiles.push(categoricalProfile(PREDICTION_PROFILE, 'CATEGORICAL', options.predictedClasses));
  }
  return profiles;
}

function numericProfile(feature: string, rows: readonly FeatureRow[], bins: number): FeatureProfile {
  const values: number[] = [];
  let missing = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const row of rows) {
    const v = row[feature];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      missing += 1;
      continue;
    }
    values.push(v);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const binEdges = values.length === 0 ? [0, 1] : equalWidthEdges(min, max, bins);
  const counts = new Array<number>(binEdges.length - 1).fill(0);
  for (const v of values) {
    const i = binIndex(binEdges, v);
    counts[i] = (counts[i] as number) + 1;
  }
  return { feature, type: 'NUMERIC', binEdges, counts, categories: {}, missing };
}

function categoricalProfile(feature: string, type: 'CATEGORICAL' | 'BOOLEAN', values: readonly (string | null)[]): FeatureProfile {
  const categories: Record<string, number> = {};
  let missing = 0;
  for (const v of values) {
    if (v === null) missing += 1;
    else categories[v] = (categories[v] ?? 0) + 1;
  }
  return { feature, type, binEdges: [], counts: [], categories, missing };
}

/** As the monitor reads a boolean feature: 'true' / 'false'. */
function booleanCategory(value: FeatureRow[string] | undefined): string | null {
  return typeof value === 'boolean' ? String(value) : null;
}

/** As the encoder reads a categorical feature: any non-null value by its string form. */
function anyCategory(value: FeatureRow[string] | undefined): string | null {
  return value === null || value === undefined ? null : String(value);
}
