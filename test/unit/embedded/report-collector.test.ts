import { describe, expect, it } from 'vitest';
import type { Alert, MetricsSnapshot } from '../../../shared/codec/index.js';
import { ReportCollector } from '../../../services/embedded/report-collector.js';

const window = { start: 0, end: 300_000, count: 600 };
const perf: MetricsSnapshot = {
  model: 'm', modelVersion: '1', horizon: '5m', window, labelCoverage: 0.9, metrics: { predictions: 600, accuracy: 0.8 }, drift: [], time: 1,
};
const drift: MetricsSnapshot = {
  model: 'm', modelVersion: '1', horizon: '5m', window: { ...window, count: 400 }, labelCoverage: null,
  metrics: { predictions: 400, dataset_drift_share: 0.5 },
  drift: [{ feature: 'spend', statistic: 'wasserstein', value: 0.3, threshold: 0.1, drifted: true, pValue: null }], time: 2,
};

describe('ReportCollector', () => {
  for (const [name, order] of [['performance first', [perf, drift]], ['drift first', [drift, perf]]] as const) {
    it(`merges the two services' snapshots of a window (${name}), keeping the performance count`, () => {
      const collector = new ReportCollector();
      collector.sawVersion('m', '1');
      for (const s of [...order, drift]) collector.addSnapshot(s);
      const [model] = collector.modelReports();
      expect(model!.windows).toHaveLength(1);
      expect(model!.windows[0]).toEqual({
        modelVersion: '1', horizon: '5m', horizonMs: 300_000, window,
        labelCoverage: 0.9,
        metrics: { predictions: 600, accuracy: 0.8, dataset_drift_share: 0.5, drift_predictions: 400 },
        drift: drift.drift,
      });
    });
  }

  it('orders windows by end then horizon, keeps alerts in publish order without duplicates, counts dead letters', () => {
    const collector = new ReportCollector();
    collector.addSnapshot({ ...perf, horizon: '1h', window: { ...window, start: -3_300_000 } });
    collector.addSnapshot({ ...perf, window: { start: -290_000, end: 10_000, count: 1 } });
    collector.addSnapshot(perf);
    const alert = (id: string) => ({ id, model: 'm' }) as Alert;
    for (const id of ['b', 'a', 'b']) collector.addAlert(alert(id));
    for (const reason of ['MALFORMED', 'INVALID', 'MALFORMED']) collector.addDeadLetter({ reason } as never);
    const [model] = collector.modelReports();
    expect(model!.windows.map((w) => `${w.window.end}/${w.horizon}`)).toEqual(['10000/5m', '300000/5m', '300000/1h']);
    expect(model!.alerts.map((a) => a.id)).toEqual(['b', 'a']);
    expect(collector.deadLettersByReason()).toEqual({ MALFORMED: 2, INVALID: 1 });
  });
});
