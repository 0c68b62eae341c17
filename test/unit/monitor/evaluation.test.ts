import { describe, expect, it } from 'vitest';
import { parseAlertState } from '../../../shared/alerts/state-machine.js';
import { Codec } from '../../../shared/codec/index.js';
import { alertRule, parseMonitoringConfig, resolveModelConfig } from '../../../shared/config/monitoring-config.js';
import { runDetector } from '../../../shared/monitor/concept-drift.js';
import type { DriftReport } from '../../../shared/monitor/drift-report.js';
import { evaluateRules } from '../../../shared/monitor/evaluate-rules.js';
import { PREDICTION_COLUMN, metricsSnapshot } from '../../../shared/monitor/metrics-snapshot.js';
import { performanceMetrics } from '../../../shared/monitor/performance.js';
import { ADWIN } from '../../../shared/stats/detectors/index.js';
import { accuracy, binaryScores } from '../../../shared/stats/metrics/index.js';
import { ConfusionMatrix, RegressionSums } from '../../../shared/stats/window/index.js';
import { makeRandom } from './events.js';

const window = { start: 1_700_000_000_000, end: 1_700_000_300_000 };

function matrix(pairs: [string, string][]): ConfusionMatrix {
  const cm = new ConfusionMatrix();
  for (const [t, p] of pairs) cm.update(t, p, { yes: p === 'yes' ? 0.8 : 0.3, no: p === 'yes' ? 0.2 : 0.7 });
  return cm;
}

describe('performanceMetrics', () => {
  const pairs: [string, string][] = [['yes', 'yes'], ['yes', 'no'], ['no', 'no'], ['no', 'no'], ['no', 'yes'], ['yes', 'yes']];
  const cm = matrix(pairs);

  it('reads the window counters into the named metrics, with label coverage', () => {
    const m = performanceMetrics('binary', cm.toCounters(), { n: 10, l: 6 }, { positiveLabel: 'yes' });
    expect(m.count).toBe(6);
    expect(m.accuracy).toBe(accuracy(cm));
    expect(m.f1).toBe(binaryScores(cm, 'yes').f1);
    expect(m.label_coverage).toBe(0.6);
    expect(m.predictions).toBe(10);
    expect(m.roc_auc).toBeGreaterThan(0.5);
    expect(m.log_loss).toBeGreaterThan(0);
  });

  it('uses macro scores as precision/recall/f1 without a positive label, and NaN on an empty window', () => {
    const m = performanceMetrics('multiclass', cm.toCounters(), { n: 6, l: 6 });
    expect(m.f1).toBe(m.f1_macro);
    const empty = performanceMetrics('binary', {}, {}, { positiveLabel: 'yes' });
    expect(empty.count).toBe(0);
    expect(Number.isNaN(empty.accuracy)).toBe(true);
    expect(Number.isNaN(empty.label_coverage)).toBe(true);
  });

  it('computes regression errors from RegressionSums counters', () => {
    const sums = new RegressionSums();
    sums.update(1, 2);
    sums.update(3, 3);
    const m = performanceMetrics('regression', sums.toCounters(), { n: 2, l: 2 });
    expect(m).toMatchObject({ count: 2, mae: 0.5, rmse: Math.sqrt(0.5) });
  });
});

describe('runDetector', () => {
  const r = makeRandom(5);
  const errors = [...Array.from({ length: 600 }, () => (r() < 0.1 ? 1 : 0)), ...Array.from({ length: 600 }, () => (r() < 0.6 ? 1 : 0))];
  const config = { detector: 'adwin' as const, options: {} };

  it('finds the same first detection as feeding ADWIN directly, across split runs', () => {
    const direct = new ADWIN();
    let first = -1;
    errors.forEach((e, i) => {
      direct.update(e);
      if (direct.driftDetected && first < 0) first = i;
    });
    expect(first).toBeGreaterThan(600);
    const a = runDetector(null, errors.slice(0, 500), config);
    expect(a.drifted).toBe(false);
    const b = runDetector(a.state, errors.slice(500), config);
    expect(b.drifted).toBe(true);
    expect(500 + b.index).toBe(first);
    expect(b.count).toBe(700);
  });

  it("starts afresh when the configured detector changed, and does nothing for 'none'", () => {
    const a = runDetector(null, errors.slice(0, 100), config);
    const b = runDetector(a.state, [0, 1], { detector: 'ddm', options: {} });
    expect(JSON.parse(b.state ?? '{}').kind).toBe('DDM');
    expect(runDetector(null, errors, { detector: 'none', options: {} })).toMatchObject({ state: null, drifted: false });
  });
});

function driftReportWith(plan: boolean, x: boolean): DriftReport {
  const col = (drifted: boolean) => ({ statistic: 'ks' as const, value: drifted ? 0.001 : 0.5, threshold: 0.05, drifted, pValue: drifted ? 0.001 : 0.5, count: 5_000 });
  return {
    columns: { plan: col(plan), x: col(x) },
    prediction: col(false),
    datasetDrift: { share: (Number(plan) + Number(x)) / 2, drifted: plan && x, driftShare: 0.5, columns: 2 },
    dataQuality: { plan: { missingRate: 0, outOfRangeShare: Number.NaN, unseenShare: 0 }, x: { missingRate: 0.2, outOfRangeShare: 0, unseenShare: Number.NaN } },
    count: 5_000,
  };
}

describe('evaluateRules', () => {
  const rules = resolveModelConfig(parseMonitoringConfig({ defaults: { alerts: [{ metric: 'accuracy', comparison: 'below', warning: 0.8, minCount: 5 }] } }), 'm').alerts;

  it('expands wildcard rules per feature and publishes only transitions', () => {
    const first = evaluateRules(rules, { model: 'm', version: '1', drift: driftReportWith(false, true) }, {}, window.end, window);
    expect(first.alerts.map((a) => `${a.key}:${a.status}`).sort()).toEqual(['m|1|DATA_DRIFT|drift|x:FIRING', 'm|1|DATA_QUALITY|missing_rate|x:FIRING']);
    expect(Object.keys(first.states).sort()).toEqual([
      'm|1|DATA_DRIFT|dataset_drift_share|',
      'm|1|DATA_DRIFT|drift|plan',
      'm|1|DATA_DRIFT|drift|x',
      'm|1|DATA_QUALITY|missing_rate|plan',
      'm|1|DATA_QUALITY|missing_rate|x',
      'm|1|PREDICTION_DRIFT|prediction_drift|',
    ]);
    const again = evaluateRules(rules, { model: 'm', version: '1', drift: driftReportWith(false, true) }, first.states, window.end + 10_000, window);
    expect(again.alerts).toEqual([]);
    const calm = evaluateRules(rules, { model: 'm', version: '1', drift: driftReportWith(false, false) }, again.states, window.end + 20_000, window);
    expect(calm.alerts.map((a) => `${a.key}:${a.status}`)).toEqual(['m|1|DATA_DRIFT|drift|x:RESOLVED']);
    expect(parseAlertState(calm.states['m|1|DATA_DRIFT|drift|x'] as string).status).toBe('ok');
  });

  it('lets a rule for one feature override the wildcard for that feature', () => {
    const specific = [alertRule({ metric: 'drift:*' }), alertRule({ metric: 'drift:x', severity: 'CRITICAL' })];
    const out = evaluateRules(specific, { model: 'm', version: '1', drift: driftReportWith(true, true) }, {}, window.end, window);
    expect(out.alerts.map((a) => `${a.feature}:${a.severity}`).sort()).toEqual(['plan:WARNING', 'x:CRITICAL']);
  });

  it('evaluates performance and concept-drift rules from the perf service and leaves drift rules alone', () => {
    const cm = matrix([['yes', 'no'], ['no', 'yes'], ['yes', 'yes'], ['no', 'yes'], ['yes', 'no'], ['no', 'no']]);
    const performance = performanceMetrics('binary', cm.toCounters(), { n: 6, l: 6 }, { positiveLabel: 'yes' });
    const out = evaluateRules(rules, { model: 'm', version: '1', performance, conceptDrift: { state: null, drifted: true, index: 3, detections: 1, count: 40, detector: 'ADWIN' } }, {}, window.end, window);
    expect(out.alerts.map((a) => `${a.kind}:${a.metric}`).sort()).toEqual(['CONCEPT_DRIFT:concept_drift', 'PERFORMANCE:accuracy']);
    const acc = out.alerts.find((a) => a.kind === 'PERFORMANCE');
    expect(acc?.window).toEqual({ ...window, count: 6 });
    expect(acc?.message).toContain('6 labelled predictions');
    expect(out.alerts.find((a) => a.kind === 'CONCEPT_DRIFT')?.detector).toBe('ADWIN');
    expect(Object.keys(out.states).every((k) => k.includes('PERFORMANCE') || k.includes('CONCEPT_DRIFT'))).toBe(true);
    // minCount 5: a window with 4 labels does not resolve a firing accuracy alert.
    const few = performanceMetrics('binary', matrix([['yes', 'yes'], ['no', 'no'], ['yes', 'yes'], ['no', 'no']]).toCounters(), { n: 4, l: 4 }, { positiveLabel: 'yes' });
    expect(evaluateRules(rules, { model: 'm', version: '1', performance: few }, out.states, window.end + 10_000, window).alerts).toEqual([]);
  });
});

describe('metricsSnapshot', () => {
  it('builds an encodable snapshot without non-finite numbers', () => {
    const performance = performanceMetrics('binary', {}, { n: 3, l: 0 }, { positiveLabel: 'yes' });
    const snapshot = metricsSnapshot({ model: 'm', version: '1', horizon: '5m', window: { ...window, count: 3 }, time: window.end, performance, drift: driftReportWith(true, false) });
    expect(snapshot.labelCoverage).toBe(0);
    expect(Object.values(snapshot.metrics ?? {}).every(Number.isFinite)).toBe(true);
    expect(snapshot.metrics).toMatchObject({ predictions: 5_000, 'missing_rate:x': 0.2, dataset_drift_share: 0.5 });
    expect(snapshot.drift?.map((d) => d.feature)).toEqual(['plan', 'x', PREDICTION_COLUMN]);
    const codec = new Codec();
    const encoded = codec.encode('metricsSnapshot', snapshot);
    expect(codec.decode('metricsSnapshot', encoded.value, encoded.headers).drift).toHaveLength(3);
  });
});
