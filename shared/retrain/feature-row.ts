// The one conversion from a prediction event's typed feature maps back to the plain row an
// upstream app logged (the inverse of the SDK's toPredictionEvent): the learning code wants
// `{ name: value }` with missing values as null, whatever map a value travelled in.
import type { Prediction } from '../codec/events.generated.js';
import type { FeatureRow } from '../learning/feature-spec.js';

export type { FeatureRow } from '../learning/feature-spec.js';

export type FeatureMaps = Pick<Prediction, 'numericFeatures' | 'categoricalFeatures' | 'booleanFeatures' | 'missingFeatures'>;

/**
 * A plain feature row. The wire never puts one name in two maps (the SDK splits one object),
 * but a hand-built event could: then a value wins over "missing", and of two values the
 * numeric one wins, then categorical, then boolean.
 */
export function featureRow(event: FeatureMaps): FeatureRow {
  const row: FeatureRow = {};
  for (const name of event.missingFeatures) row[name] = null;
  for (const [name, value] of Object.entries(event.booleanFeatures)) row[name] = value;
  for (const [name, value] of Object.entries(event.categoricalFeatures)) row[name] = value;
  for (const [name, value] of Object.entries(event.numericFeatures)) row[name] = value;
  return row;
}
