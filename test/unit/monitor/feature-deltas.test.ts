import { describe, expect, it } from 'vitest';
import { DQ_FIELDS, featureDeltas } from '../../../shared/monitor/feature-deltas.js';
import { featureField, splitFeatureCounters } from '../../../shared/monitor/feature-fields.js';
import { buildReference, categoricalValue, numericValue, referenceRow } from '../../../shared/monitor/reference-profile.js';
import { CategoricalCounts, NumericHistogram, addCounters } from '../../../shared/stats/window/index.js';
import type { Counters } from '../../../shared/stats/window/index.js';
import { makeRandom, prediction, stream } from './events.js';

const settings = { bins: 8, maxCategories: 2 };

function sumFamily(deltas: ReturnType<typeof featureDeltas>, prefix: string): Counters {
  const out: Counters = {};
  for (const d of deltas) if (d.family.startsWith(prefix)) addCounters(out, d.counters);
  return out;
}

describe('featureDeltas', () => {
  const reference = buildReference(stream(400, 1).map(referenceRow), settings);
  // A shifted stream: values beyond the reference range, plus unseen categories.
  const live = stream(300, 2, 4).map((p, i) => (i % 7 === 0 ? { ...p, categoricalFeatures: { plan: `new-${i % 3}` } } : p));

  it('gives the same histogram and counts as feeding the values into the window classes', () => {
    const deltas = featureDeltas(live, reference, { bucketMs: 10_000 });
    const feat = splitFeatureCounters(sumFamily(deltas, 'feat:1')).byFeature;
    const x = reference.features.x;
    const plan = reference.features.plan;
    const mobile = reference.features.mobile;
    if (x?.type !== 'numeric' || plan?.type !== 'categorical' || mobile?.type !== 'boolean') throw new Error('unexpected reference types');

    const direct = new NumericHistogram(x.edges);
    const directPlan = new CategoricalCounts(plan.vocabulary, settings.maxCategories);
    const directMobile = new CategoricalCounts(mobile.vocabulary, settings.maxCategories);
    const directPred = new CategoricalCounts(reference.prediction?.type === 'categorical' ? reference.prediction.vocabulary : [], 2);
    for (const p of live) {
      direct.update(numericValue(p, 'x'));
      directPlan.update(categoricalValue(p, 'plan'));
      directMobile.update(categoricalValue(p, 'mobile'));
      directPred.update(p.predictedClass);
    }
    const roundTrip = NumericHistogram.fromCounters(x.edges, feat.get('x') ?? {});
    expect(roundTrip.bins).toEqual(direct.bins);
    expect([roundTrip.underflow, roundTrip.overflow, roundTrip.missing, roundTrip.count]).toEqual([direct.underflow, direct.overflow, direct.missing, direct.count]);
    expect(roundTrip.sum).toBeCloseTo(direct.sum, 9);
    expect(roundTrip.sumSquares).toBeCloseTo(direct.sumSquares, 6);
    expect(direct.overflow).toBeGreaterThan(0);
    expect(CategoricalCounts.fromCounters(plan.vocabulary, feat.get('plan') ?? {}, 2).toCounters()).toEqual(directPlan.toCounters());
    expect(CategoricalCounts.fromCounters(mobile.vocabulary, feat.get('mobile') ?? {}, 2).toCounters()).toEqual(directMobile.toCounters());
    expect(CategoricalCounts.fromCounters(directPred.vocabulary, sumFamily(deltas, 'pred:1'), 2).toCounters()).toEqual(directPred.toCounters());
  });

  it('counts data quality: missing, out of range, unseen categories and predictions', () => {
    const deltas = featureDeltas(live, reference, { bucketMs: 10_000 });
    const dq = splitFeatureCounters(sumFamily(deltas, 'dq:1'));
    const x = reference.features.x;
    if (x?.type !== 'numeric') throw new Error('x should be numeric');
    const values = live.map((p) => numericValue(p, 'x'));
    const known = new Set(['basic', 'pro', 'team']);
    expect(dq.shared[DQ_FIELDS.count]).toBe(live.length);
    expect(dq.byFeature.get('x')?.[DQ_FIELDS.missing] ?? 0).toBe(values.filter((v) => v === null).length);
    const last = x.edges[x.edges.length - 1] as number;
    expect(dq.byFeature.get('x')?.[DQ_FIELDS.outOfRange]).toBe(values.filter((v) => v !== null && (v > last || v < (x.edges[0] as number))).length);
    expect(dq.byFeature.get('plan')?.[DQ_FIELDS.unseen]).toBe(live.filter((p) => !known.has(p.categoricalFeatures.plan as string)).length);
  });

  it('splits a batch by event-time bucket and the bucket sums equal the whole', () => {
    const deltas = featureDeltas(live, reference, { bucketMs: 10_000 });
    const starts = new Set(deltas.map((d) => d.bucketStart));
    expect(starts.size).toBe(new Set(live.map((p) => Math.floor(p.eventTime / 10_000) * 10_000)).size);
    for (const d of deltas) expect(d.bucketStart % 10_000).toBe(0);
    const single = featureDeltas(live, reference, { bucketMs: 1e12 });
    expect(sumFamily(deltas, 'feat:1')).toEqual(expect.objectContaining(Object.fromEntries(Object.entries(sumFamily(single, 'feat:1')).filter(([f]) => !f.startsWith('~')))));
  });

  it('counts a feature absent from an event as missing, and escapes odd feature names', () => {
    const r = makeRandom(3);
    const rows = Array.from({ length: 50 }, (_, i) => prediction(i, { numericFeatures: { 'a|b': r() } }));
    const ref = buildReference(rows.map(referenceRow), settings);
    const deltas = featureDeltas([prediction(1), prediction(2, { numericFeatures: { 'a|b': 0.5 } })], ref, { bucketMs: 1e12 });
    const feat = sumFamily(deltas, 'feat:');
    expect(feat[featureField('a|b', 'm')]).toBe(1);
    expect(feat['~a%7Cb|s']).toBe(0.5);
    expect(splitFeatureCounters(feat).byFeature.get('a|b')).toMatchObject({ m: 1, n: 1, '~s': 0.5 });
  });
});
