import { describe, expect, it } from 'vitest';
import type { Alert } from '../../../shared/codec/events.generated.js';
import { DEFAULT_RETRAIN_POLICY, matchesTrigger, triggerMatches, type RetrainPolicy } from '../../../shared/retrain/policy.js';

const alert = (over: Partial<Alert> = {}): Alert => ({
  id: 'a@1',
  key: 'churn|3|DATA_DRIFT|dataset_drift_share|',
  model: 'churn',
  modelVersion: '3',
  kind: 'DATA_DRIFT',
  status: 'FIRING',
  severity: 'WARNING',
  metric: 'dataset_drift_share',
  feature: null,
  value: 0.6,
  threshold: 0.5,
  window: { start: 0, end: 300_000, count: 1000 },
  detector: null,
  message: 'dataset drift',
  time: 300_000,
  details: {},
  ...over,
});

const policy = (triggers: RetrainPolicy['triggers'], enabled = true): Pick<RetrainPolicy, 'enabled' | 'triggers'> => ({ enabled, triggers });

describe('matchesTrigger', () => {
  it('with the default policy: concept drift at any severity, dataset drift share, critical performance', () => {
    expect(matchesTrigger(DEFAULT_RETRAIN_POLICY, alert({ kind: 'CONCEPT_DRIFT', metric: 'concept_drift', severity: 'INFO' }))).toBe(true);
    expect(matchesTrigger(DEFAULT_RETRAIN_POLICY, alert())).toBe(true);
    expect(matchesTrigger(DEFAULT_RETRAIN_POLICY, alert({ metric: 'drift', feature: 'tenure' }))).toBe(false);
    expect(matchesTrigger(DEFAULT_RETRAIN_POLICY, alert({ kind: 'PERFORMANCE', metric: 'accuracy', severity: 'WARNING' }))).toBe(false);
    expect(matchesTrigger(DEFAULT_RETRAIN_POLICY, alert({ kind: 'PERFORMANCE', metric: 'accuracy', severity: 'CRITICAL' }))).toBe(true);
    expect(matchesTrigger(DEFAULT_RETRAIN_POLICY, alert({ kind: 'PREDICTION_DRIFT', metric: 'prediction_drift' }))).toBe(false);
    expect(matchesTrigger(DEFAULT_RETRAIN_POLICY, alert({ kind: 'DATA_QUALITY', metric: 'missing_rate', feature: 'x' }))).toBe(false);
  });

  it('only FIRING transitions count', () => {
    expect(matchesTrigger(DEFAULT_RETRAIN_POLICY, alert({ status: 'RESOLVED' }))).toBe(false);
    expect(matchesTrigger(DEFAULT_RETRAIN_POLICY, alert({ kind: 'CONCEPT_DRIFT', status: 'RESOLVED' }))).toBe(false);
  });

  it('a disabled policy or one without triggers matches nothing', () => {
    expect(matchesTrigger(policy([{ kind: 'DATA_DRIFT' }], false), alert())).toBe(false);
    expect(matchesTrigger(policy([]), alert())).toBe(false);
  });

  it('orders severities INFO < WARNING < CRITICAL', () => {
    const warning = policy([{ kind: 'PERFORMANCE', minSeverity: 'WARNING' }]);
    const perf = (severity: Alert['severity']) => alert({ kind: 'PERFORMANCE', metric: 'f1', severity });
    expect(matchesTrigger(warning, perf('INFO'))).toBe(false);
    expect(matchesTrigger(warning, perf('WARNING'))).toBe(true);
    expect(matchesTrigger(warning, perf('CRITICAL'))).toBe(true);
    const info = policy([{ kind: 'PERFORMANCE', minSeverity: 'INFO' }]);
    expect(matchesTrigger(info, perf('INFO'))).toBe(true);
  });

  it('matches a metric exactly, and a feature metric by family and feature', () => {
    const drift = (feature: string | null, metric = 'drift') => alert({ metric, feature });
    expect(triggerMatches({ kind: 'DATA_DRIFT', metric: 'drift' }, drift('tenure'))).toBe(true);
    expect(triggerMatches({ kind: 'DATA_DRIFT', metric: 'drift:tenure' }, drift('tenure'))).toBe(true);
    expect(triggerMatches({ kind: 'DATA_DRIFT', metric: 'drift:tenure' }, drift('plan'))).toBe(false);
    expect(triggerMatches({ kind: 'DATA_DRIFT', metric: 'drift:*' }, drift('plan'))).toBe(true);
    expect(triggerMatches({ kind: 'DATA_DRIFT', metric: 'drift:*' }, drift(null, 'dataset_drift_share'))).toBe(false);
    expect(triggerMatches({ kind: 'DATA_DRIFT', metric: 'dataset_drift_share' }, drift('tenure'))).toBe(false);
    expect(triggerMatches({ kind: 'PERFORMANCE', metric: 'accuracy' }, alert({ kind: 'PERFORMANCE', metric: 'f1' }))).toBe(false);
  });

  it('needs the kind to match even when the metric does', () => {
    expect(triggerMatches({ kind: 'DATA_QUALITY', metric: 'dataset_drift_share' }, alert())).toBe(false);
  });

  it('any trigger of several is enough', () => {
    const p = policy([
      { kind: 'PERFORMANCE', minSeverity: 'CRITICAL' },
      { kind: 'DATA_DRIFT', metric: 'drift:tenure', minSeverity: 'WARNING' },
    ]);
    expect(matchesTrigger(p, alert({ metric: 'drift', feature: 'tenure', severity: 'WARNING' }))).toBe(true);
    expect(matchesTrigger(p, alert({ metric: 'drift', feature: 'tenure', severity: 'INFO' }))).toBe(false);
  });
});
