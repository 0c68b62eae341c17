import { describe, expect, it } from 'vitest';
import { resolveModelConfig, parseMonitoringConfig } from '../../../shared/config/monitoring-config.js';
import { driftReport } from '../../../shared/monitor/drift-report.js';
import { featureDeltas } from '../../../shared/monitor/feature-deltas.js';
import {
  PREDICTION_PROFILE,
  buildReference,
  equalWidthEdges,
  referenceFromJSON,
  referenceFromModelEvent,
  referenceRow,
  referenceToJSON,
} from '../../../shared/monitor/reference-profile.js';
import { detectBinnedColumnDrift } from '../../../shared/stats/drift/index.js';
import { addCounters } from '../../../shared/stats/window/index.js';
import type { Counters } from '../../../shared/stats/window/index.js';
import { stream } from './events.js';

const config = resolveModelConfig(parseMonitoringConfig({}), 'm');

function windowOf(preds: ReturnType<typeof stream>, reference: ReturnType<typeof buildReference>) {
  const sums: Record<string, Counters> = { feat: {}, pred: {}, dq: {} };
  for (const d of featureDeltas(preds, reference, { bucketMs: 10_000 })) addCounters(sums[d.family.split(':')[0] as string] as Counters, d.counters);
  return sums;
}

describe('reference profiles', () => {
  const reference = buildReference(stream(1000, 1).map(referenceRow), { bins: 20, maxCategories: 50 });

  it('bins numeric features with equal-width edges over the reference and types features from the wire', () => {
    const x = reference.features.x;
    if (x?.type !== 'numeric') throw new Error('x should be numeric');
    expect(x.edges).toHaveLength(21);
    expect(x.counts.reduce((a, b) => a + b, 0) + x.missing).toBe(1000);
    expect(x.missing).toBeGreaterThan(0);
    expect(x.nUnique).toBe(1000 - x.missing);
    expect(reference.features.plan).toMatchObject({ type: 'categorical', vocabulary: ['basic', 'pro', 'team'], categories: ['basic', 'pro', 'team'] });
    expect(reference.features.mobile).toMatchObject({ type: 'boolean', vocabulary: ['false', 'true'] });
    expect(reference.prediction).toMatchObject({ type: 'categorical', vocabulary: ['no', 'yes'] });
    expect(referenceFromJSON(referenceToJSON(reference))).toEqual(reference);
  });

  it('keeps the top maxCategories as vocabulary and folds the rest into other', () => {
    const small = buildReference(stream(200, 4).map(referenceRow), { bins: 5, maxCategories: 2 });
    const plan = small.features.plan;
    if (plan?.type !== 'categorical') throw new Error('plan should be categorical');
    expect(plan.vocabulary).toEqual(['basic', 'pro']);
    expect(plan.other).toBe(200 - plan.counts.reduce((a, b) => a + b, 0));
    expect(plan.other).toBeGreaterThan(0);
  });

  it('honours declared types and makes constant columns binnable', () => {
    const r = buildReference(stream(50, 2).map(referenceRow), { bins: 4, maxCategories: 50, featureTypes: { x: 'categorical' } });
    expect(r.features.x?.type).toBe('categorical');
    expect(equalWidthEdges(3, 3, 2)).toEqual([2.5, 3, 3.5]);
  });

  it('reads a model event training profile (with or without under/overflow counts)', () => {
    const r = referenceFromModelEvent(
      {
        trainingSize: 10,
        referenceProfile: [
          { feature: 'x', type: 'NUMERIC', binEdges: [0, 1, 2], counts: [1, 4, 5, 0], categories: {}, missing: 0 },
          { feature: 'plan', type: 'CATEGORICAL', binEdges: [], counts: [], categories: { a: 7, b: 3 }, missing: 1 },
          { feature: PREDICTION_PROFILE, type: 'CATEGORICAL', binEdges: [], counts: [], categories: { yes: 4, no: 6 }, missing: 0 },
        ],
      },
      50,
    );
    expect(r?.features.x).toMatchObject({ type: 'numeric', counts: [4, 5], underflow: 1, overflow: 0 });
    expect(r?.features.plan).toMatchObject({ vocabulary: ['a', 'b'], counts: [7, 3], missing: 1 });
    expect(r?.prediction).toMatchObject({ vocabulary: ['no', 'yes'], counts: [6, 4] });
    expect(referenceFromModelEvent({ trainingSize: 0, referenceProfile: [] }, 50)).toBeNull();
    expect(() => referenceFromModelEvent({ trainingSize: 1, referenceProfile: [{ feature: 'x', type: 'NUMERIC', binEdges: [0, 1], counts: [1, 2, 3, 4], categories: {}, missing: 0 }] }, 50)).toThrow(RangeError);
  });
});

describe('driftReport', () => {
  const reference = buildReference(stream(1000, 1).map(referenceRow), { bins: 20, maxCategories: 50 });

  it('finds no drift in a window from the same distribution', () => {
    const report = driftReport(reference, windowOf(stream(1000, 7), reference), config);
    expect(report.count).toBe(1000);
    for (const [feature, c] of Object.entries(report.columns)) expect([feature, c.drifted]).toEqual([feature, false]);
    expect(report.datasetDrift).toMatchObject({ share: 0, drifted: false, columns: 3 });
    expect(report.dataQuality.x?.missingRate).toBeCloseTo(0.05, 1);
  });

  it('flags the shifted feature and equals the binned test on the window counts', () => {
    const live = stream(800, 9, 3, 0.2);
    const report = driftReport(reference, windowOf(live, reference), config);
    expect(report.columns.x?.drifted).toBe(true);
    expect(report.columns.plan?.drifted).toBe(true);
    expect(report.columns.mobile?.drifted).toBe(false);
    expect(report.prediction?.drifted).toBe(true);
    expect(report.datasetDrift.drifted).toBe(true);
    expect(report.dataQuality.x?.outOfRangeShare).toBeGreaterThan(0.2);
    // The report must be the stats library's own binned verdict on the window's counts.
    const x = reference.features.x;
    if (x?.type !== 'numeric') throw new Error('x should be numeric');
    const counts = new Array<number>(22).fill(0);
    for (const p of live) {
      const v = p.numericFeatures.x;
      if (v === undefined) continue;
      const i = v < (x.edges[0] as number) ? 0 : v > (x.edges[20] as number) ? 21 : 1 + Math.min(19, x.edges.findLastIndex((e) => e <= v));
      counts[i] = (counts[i] as number) + 1;
    }
    const mids = x.edges.slice(0, -1).map((e, i) => (e + (x.edges[i + 1] as number)) / 2);
    const expected = detectBinnedColumnDrift({ columnType: 'numerical', reference: [0, ...x.counts, 0], current: counts, binValues: [x.edges[0] as number, ...mids, x.edges[20] as number], nUnique: x.nUnique });
    expect(report.columns.x).toMatchObject({ statistic: expected.statistic, value: expected.value, drifted: expected.drifted });
  });

  it('uses a configured test and threshold, and reports an empty window as no drift', () => {
    const custom = resolveModelConfig(parseMonitoringConfig({ defaults: { drift: { features: { x: { test: 'psi', threshold: 0.5 } }, driftShare: 0.3 } } }), 'm');
    const report = driftReport(reference, windowOf(stream(500, 3), reference), custom);
    expect(report.columns.x).toMatchObject({ statistic: 'psi', threshold: 0.5 });
    const empty = driftReport(reference, {}, custom);
    expect(empty.count).toBe(0);
    expect(empty.columns.x?.drifted).toBe(false);
    expect(Number.isNaN(empty.columns.x?.value)).toBe(true);
    expect(Number.isNaN(empty.dataQuality.x?.missingRate)).toBe(true);
  });
});
