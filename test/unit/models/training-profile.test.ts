import { describe, expect, it } from 'vitest';
import { inferFeatureSpec } from '../../../shared/learning/feature-spec.js';
import { buildTrainingProfile } from '../../../shared/models/training-profile.js';
import { buildReference, PREDICTION_PROFILE, referenceFromModelEvent, type FeatureValues } from '../../../shared/monitor/reference-profile.js';

const rows = [
  { amount: 1, country: 'DE', member: true },
  { amount: 3, country: 'FR', member: false },
  { amount: null, country: 'DE', member: null },
  { amount: 5, country: null, member: true },
  { amount: 9, country: 'DE', member: true },
];
const predicted = ['a', 'b', 'a', 'a', 'b'];

/** The same rows as the drift service sees them in prediction events. */
function asPredictions(): FeatureValues[] {
  return rows.map((r, i) => ({
    numericFeatures: (r.amount === null ? {} : { amount: r.amount }) as Record<string, number>,
    categoricalFeatures: (r.country === null ? {} : { country: r.country }) as Record<string, string>,
    booleanFeatures: (r.member === null ? {} : { member: r.member }) as Record<string, boolean>,
    predictedClass: predicted[i] as string,
    predictedValue: null,
  }));
}

describe('buildTrainingProfile', () => {
  it('profiles each feature of the spec, plus the predictions', () => {
    const profile = buildTrainingProfile(rows, inferFeatureSpec(rows), { bins: 4, predictedClasses: predicted });
    expect(profile).toEqual([
      { feature: 'amount', type: 'NUMERIC', binEdges: [1, 3, 5, 7, 9], counts: [1, 1, 1, 1], categories: {}, missing: 1 },
      { feature: 'country', type: 'CATEGORICAL', binEdges: [], counts: [], categories: { DE: 3, FR: 1 }, missing: 1 },
      { feature: 'member', type: 'BOOLEAN', binEdges: [], counts: [], categories: { true: 3, false: 1 }, missing: 1 },
      { feature: PREDICTION_PROFILE, type: 'CATEGORICAL', binEdges: [], counts: [], categories: { a: 3, b: 2 }, missing: 0 },
    ]);
  });

  it('gives the drift service the reference it would build from the same events', () => {
    const profile = buildTrainingProfile(rows, inferFeatureSpec(rows), { bins: 4, predictedClasses: predicted });
    const fromModel = referenceFromModelEvent({ referenceProfile: profile, trainingSize: rows.length }, 50);
    const fromSample = buildReference(asPredictions(), { bins: 4, maxCategories: 50, task: 'multiclass' });
    expect(fromModel).not.toBeNull();
    // Only the sample-only extras differ: the source, distinct-value counts, and the category lists.
    const strip = (r: NonNullable<typeof fromModel>) =>
      JSON.parse(JSON.stringify({ ...r, source: null }, (k, v) => (k === 'nUnique' || k === 'categories' ? undefined : v)));
    expect(strip(fromModel!)).toEqual(strip(fromSample));
  });

  it('refuses predictions that do not match the rows', () => {
    expect(() => buildTrainingProfile(rows, inferFeatureSpec(rows), { predictedClasses: ['a'] })).toThrow(/1 predicted classes for 5 rows/);
  });
});
