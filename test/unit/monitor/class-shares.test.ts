import { describe, expect, it } from 'vitest';
import { parseMonitoringConfig, resolveModelConfig } from '../../../shared/config/monitoring-config.js';
import { classShares, OTHER_CLASS, PREDICTION_SHARE_PREFIX, REFERENCE_SHARE_PREFIX, sharesFromMetrics, withoutShares } from '../../../shared/monitor/class-shares.js';
import { driftReport } from '../../../shared/monitor/drift-report.js';
import { featureDeltas } from '../../../shared/monitor/feature-deltas.js';
import { metricsSnapshot } from '../../../shared/monitor/metrics-snapshot.js';
import { buildReference, referenceRow } from '../../../shared/monitor/reference-profile.js';
import { addCounters, type Counters } from '../../../shared/stats/window/index.js';
import { stream } from './events.js';

const config = resolveModelConfig(parseMonitoringConfig({}), 'm');

describe('predicted-class shares in drift snapshots', () => {
  it('divides each class count by all non-missing predictions; other only when non-zero', () => {
    expect(classShares(['a', 'b'], [1, 3], 0)).toEqual({ a: 0.25, b: 0.75 });
    expect(classShares(['a', 'b'], [1, 2], 1)).toEqual({ a: 0.25, b: 0.5, [OTHER_CLASS]: 0.25 });
    expect(classShares(['a'], [0], 0)).toEqual({});
  });

  it('puts the window and the reference shares in the snapshot metrics, matching the counted predictions', () => {
    const reference = buildReference(stream(1000, 1).map(referenceRow), { bins: 20, maxCategories: 50 });
    const window = stream(400, 9);
    const sums: Record<string, Counters> = { feat: {}, pred: {}, dq: {} };
    for (const d of featureDeltas(window, reference, { bucketMs: 10_000 })) addCounters(sums[d.family.split(':')[0] as string] as Counters, d.counters);
    const report = driftReport(reference, sums, config);
    const snapshot = metricsSnapshot({ model: 'm', version: '1', horizon: '5m', window: { start: 0, end: 1, count: 400 }, time: 2, drift: report });

    const current = sharesFromMetrics(snapshot.metrics!, PREDICTION_SHARE_PREFIX)!;
    const yes = window.filter((p) => p.predictedClass === 'yes').length;
    const labelled = window.filter((p) => p.predictedClass !== null).length;
    expect(current.yes).toBeCloseTo(yes / labelled, 12);
    expect(current.yes! + current.no!).toBeCloseTo(1, 12);

    const referenceShares = sharesFromMetrics(snapshot.metrics!, REFERENCE_SHARE_PREFIX)!;
    const prediction = reference.prediction;
    if (prediction?.type !== 'categorical') throw new Error('the reference should have a categorical prediction column');
    const total = prediction.counts.reduce((a, b) => a + b, 0) + prediction.other;
    expect(referenceShares.yes).toBeCloseTo(prediction.counts[prediction.vocabulary.indexOf('yes')]! / total, 12);
    // The other metrics are still there and the share entries are reported apart.
    expect(withoutShares(snapshot.metrics!)).toHaveProperty('dataset_drift_share');
    expect(Object.keys(withoutShares(snapshot.metrics!)).some((k) => k.includes('_share:'))).toBe(false);
  });

  it('leaves the window shares out of an empty window but keeps the reference', () => {
    const reference = buildReference(stream(500, 1).map(referenceRow), { bins: 20, maxCategories: 50 });
    const report = driftReport(reference, { feat: {}, pred: {}, dq: {} }, config);
    const snapshot = metricsSnapshot({ model: 'm', version: '1', horizon: '5m', window: { start: 0, end: 1, count: 0 }, time: 2, drift: report });
    expect(sharesFromMetrics(snapshot.metrics!, PREDICTION_SHARE_PREFIX)).toBeNull();
    expect(Object.keys(sharesFromMetrics(snapshot.metrics!, REFERENCE_SHARE_PREFIX)!).sort()).toEqual(['no', 'yes']);
  });
});
