import { describe, expect, it } from 'vitest';
import { buildAlert, formatNumber, formatWindowRange } from '../../../shared/alerts/alert-event.js';
import { alertId, alertKey, parseAlertKey } from '../../../shared/alerts/alert-key.js';
import { Codec } from '../../../shared/codec/index.js';
import { alertRule } from '../../../shared/config/monitoring-config.js';

const start = Date.UTC(2024, 2, 1, 10, 0);
const end = Date.UTC(2024, 2, 1, 10, 5);

describe('alert keys', () => {
  it('joins and splits the five parts, escaping |', () => {
    const parts = { model: 'a|b', version: '3', kind: 'DATA_DRIFT' as const, metric: 'drift', feature: 'x%y' };
    const key = alertKey(parts);
    expect(key).toBe('a%7Cb|3|DATA_DRIFT|drift|x%25y');
    expect(parseAlertKey(key)).toEqual(parts);
    expect(parseAlertKey(alertKey({ ...parts, feature: null })).feature).toBeNull();
    expect(alertId(key, end)).toBe(`${key}@${end}`);
  });
});

describe('buildAlert', () => {
  it('writes an actionable message and the fields of the Alert event', () => {
    const rule = alertRule({ metric: 'accuracy', comparison: 'below', warning: 0.8, critical: 0.6 });
    const alert = buildAlert({
      key: { model: 'churn', version: '3', kind: 'PERFORMANCE', metric: 'accuracy', feature: null },
      rule,
      transition: { status: 'FIRING', severity: 'WARNING' },
      observation: { value: 0.71, count: 1234 },
      window: { start, end, count: 1234 },
      countNoun: 'labelled predictions',
    });
    expect(alert.message).toBe('accuracy 0.71 below 0.80 (warning) on window 2024-03-01 10:00–10:05 UTC, 1,234 labelled predictions');
    expect(alert).toMatchObject({ id: `churn|3|PERFORMANCE|accuracy|@${end}`, status: 'FIRING', severity: 'WARNING', threshold: 0.8, value: 0.71, feature: null, time: end });
    expect(alert.details).toMatchObject({ comparison: 'below', rule: 'accuracy' });
    // The event must be encodable as is.
    const codec = new Codec();
    const encoded = codec.encode('alert', alert);
    expect(codec.decode('alert', encoded.value, encoded.headers)).toMatchObject({ id: alert.id, message: alert.message });
  });

  it('uses the critical level as threshold for a critical transition and says resolved', () => {
    const rule = alertRule({ metric: 'missing_rate:age', comparison: 'above', warning: 0.1, critical: 0.3 });
    const base = {
      key: { model: 'm', version: '1', kind: 'DATA_QUALITY' as const, metric: 'missing_rate', feature: 'age' },
      rule,
      observation: { value: 0.05, count: 10 },
      window: { start, end: start + 86_400_000, count: 10 },
      countNoun: 'predictions',
    };
    expect(buildAlert({ ...base, transition: { status: 'FIRING', severity: 'CRITICAL' } }).threshold).toBe(0.3);
    const resolved = buildAlert({ ...base, transition: { status: 'RESOLVED', severity: 'WARNING' } });
    expect(resolved.message).toBe('missing_rate of age 0.05 back below 0.10 (resolved, was warning) on window 2024-03-01 10:00–2024-03-02 10:00 UTC, 10 predictions');
  });

  it('describes verdict rules with the statistic and its threshold', () => {
    const alert = buildAlert({
      key: { model: 'm', version: '1', kind: 'DATA_DRIFT', metric: 'drift', feature: 'tenure' },
      rule: alertRule({ metric: 'drift:*' }),
      transition: { status: 'FIRING', severity: 'WARNING' },
      observation: { value: 0.31, verdict: true, count: 500, threshold: 0.1, statistic: 'psi' },
      window: { start, end, count: 500 },
      countNoun: 'predictions',
    });
    expect(alert.message).toBe('drift of tenure: psi 0.31 drift detected (threshold 0.10) (warning) on window 2024-03-01 10:00–10:05 UTC, 500 predictions');
    expect(alert.threshold).toBe(0.1);
    expect(alert.details?.statistic).toBe('psi');
  });

  it('formats numbers and windows', () => {
    expect(formatNumber(0.8)).toBe('0.80');
    expect(formatNumber(12345.6)).toBe('12,346');
    expect(formatNumber(0.00031)).toBe('3.10e-4');
    expect(formatWindowRange(start + 10_000, end)).toBe('2024-03-01 10:00:10–10:05 UTC');
  });
});
