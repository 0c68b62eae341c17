// The dashboard's store (services/console/page/store.js, a browser module with no DOM use):
// merging the two services' snapshots of one window, champion tracking, ordering.
import { describe, expect, it } from 'vitest';
// @ts-expect-error a plain browser ES module without declarations
import { ModelStore, mergeSnapshots } from '../../../services/console/page/store.js';

const END = 1_800_000_000_000;
const performance = { version: '1', start: END - 5000, end: END, count: 1000, time: END + 10, labelCoverage: 0.9, metrics: { accuracy: 0.8, predictions: 1000 }, drift: [], predictionShares: null, referenceShares: null };
const drift = {
  version: '1', start: END - 5000, end: END, count: 700, time: END + 20, labelCoverage: null, metrics: { dataset_drift_share: 0.5, predictions: 700 },
  drift: [{ feature: 'x1', statistic: 'psi', value: 0.3, threshold: 0.2, drifted: true, pValue: null }],
  predictionShares: { a: 0.3, b: 0.7 }, referenceShares: { a: 0.5, b: 0.5 },
};

describe('dashboard store', () => {
  it('merges the performance and the drift snapshot of one window, in either order', () => {
    for (const [first, second] of [[performance, drift], [drift, performance]]) {
      const merged = mergeSnapshots(mergeSnapshots(undefined, first), second);
      expect(merged.metrics.accuracy).toBe(0.8);
      expect(merged.metrics.dataset_drift_share).toBe(0.5);
      expect(merged.labelCoverage).toBe(0.9);
      expect(merged.drift).toEqual(drift.drift);
      expect(merged.predictionShares).toEqual(drift.predictionShares);
      expect(merged.referenceShares).toEqual(drift.referenceShares);
      expect(merged.count).toBe(1000);
      // minCount applies to the drift statistics' own sample.
      expect(merged.driftCount).toBe(700);
    }
  });

  it('keeps one snapshot per (version, window end) per horizon, sorted by end', () => {
    const store = new ModelStore('m');
    store.putSnapshot('5s', { ...performance, end: END + 5000 });
    store.putSnapshot('5s', performance);
    store.putSnapshot('5s', drift);
    store.putSnapshot('5s', { ...performance, version: '2' });
    expect(store.snapshotsOf('5s').map((s: { version: string; end: number }) => `${s.version}@${s.end - END}`)).toEqual(['1@0', '2@0', '1@5000']);
    expect(store.horizons).toEqual(['5s']);
  });

  it('follows the champion through promotion and rollback, ignoring an older event', () => {
    const store = new ModelStore('m');
    const version = (v: string, status: string, time: number) => ({ version: v, status, time, parentVersion: null, trigger: { kind: 'MANUAL', alertId: null },
      metric: null, challengerMetrics: {}, championMetrics: {}, reason: null, incidentId: null, trainingSize: 0, events: [] });
    store.setDetail({ champion: '1', horizons: ['5s'], versions: [version('1', 'PROMOTED', 1)], minCount: { '5s': 1000 } });
    expect(store.minCount).toEqual({ '5s': 1000 });
    store.putVersion(version('2', 'CANDIDATE', 2));
    expect(store.champion).toBe('1');
    store.putVersion(version('2', 'PROMOTED', 3));
    expect(store.champion).toBe('2');
    store.putVersion(version('2', 'CANDIDATE', 2));
    expect(store.versions.get('2').status).toBe('PROMOTED');
    // A rollback publishes ROLLED_BACK for the version it makes champion again.
    store.putVersion(version('1', 'ROLLED_BACK', 5));
    expect(store.champion).toBe('1');
    // An older champion change arriving late does not take over.
    store.putVersion(version('3', 'PROMOTED', 4));
    expect(store.champion).toBe('1');
    store.putVersion(version('2', 'ROLLED_BACK', 6));
    expect(store.champion).toBe('2');
    expect(store.versionList().map((v: { version: string }) => v.version)).toEqual(['3', '2', '1']);
  });

  it('orders alerts by event time, newest first, one per key', () => {
    const store = new ModelStore('m');
    const alert = (key: string, end: number, time: number, status = 'FIRING') => ({ key, status, time, window: { start: end - 5000, end, count: 1 } });
    store.putAlert(alert('late-published', END, END + 900));
    store.putAlert(alert('newer-window', END + 5000, END + 5100));
    store.putAlert(alert('same-window-earlier', END, END + 100));
    store.putAlert(alert('late-published', END, END + 950, 'RESOLVED'));
    expect(store.alertTimeline().map((a: { key: string; status: string }) => `${a.key}:${a.status}`)).toEqual([
      'newer-window:FIRING',
      'late-published:RESOLVED',
      'same-window-earlier:FIRING',
    ]);
  });
});
