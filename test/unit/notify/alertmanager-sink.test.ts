import { describe, expect, it } from 'vitest';
import { alertmanagerAlerts, alertmanagerLabels, alertsEndpoint } from '../../../shared/notify/alertmanager-sink.js';
import { sampleAlert } from './sample-alert.js';

const DAY = 86_400_000;
const format = { labels: { env: 'prod' }, firingTtlMs: 7 * DAY, now: 1_700_000_400_000 };
const iso = (ms: number) => new Date(ms).toISOString();

describe('Alertmanager alerts', () => {
  it('labels an alert by name, model, version, kind, metric, feature and severity', () => {
    expect(alertmanagerLabels(sampleAlert(), 'WARNING', { env: 'prod' })).toEqual({
      env: 'prod',
      alertname: 'DriftwatchDataDrift',
      model: 'churn',
      version: '3',
      kind: 'DATA_DRIFT',
      metric: 'psi',
      feature: 'tenure',
      severity: 'warning',
    });
    const performance = alertmanagerLabels(sampleAlert({ kind: 'PERFORMANCE', metric: 'accuracy', feature: null }), 'CRITICAL');
    expect(performance).toEqual({ alertname: 'DriftwatchPerformance', model: 'churn', version: '3', kind: 'PERFORMANCE', metric: 'accuracy', severity: 'critical' });
  });

  it('keeps driftwatch\'s own labels over configured ones of the same name', () => {
    expect(alertmanagerLabels(sampleAlert(), 'INFO', { model: 'other', team: 'ml' })).toMatchObject({ model: 'churn', team: 'ml' });
  });

  it('posts a FIRING as active from its time until firingTtl past now, and resolves the key\'s other severities', () => {
    const alert = sampleAlert();
    const posted = alertmanagerAlerts(alert, format);
    expect(posted.map((a) => [a.labels.severity, a.startsAt, a.endsAt])).toEqual([
      ['info', undefined, iso(alert.time)],
      ['warning', iso(alert.time), iso(format.now + 7 * DAY)],
      ['critical', undefined, iso(alert.time)],
    ]);
    expect(posted[1]!.annotations).toEqual({
      summary: 'tenure drifted',
      description: 'FIRING WARNING DATA_DRIFT on churn v3: psi of tenure = 0.31 (threshold 0.10) over 2023-11-14 22:13:20–22:18:20 UTC (42 events)',
      alert_id: 'a-1',
    });
  });

  it('posts a RESOLVED with endsAt = its time and the same labels as the FIRING, for every severity', () => {
    const firing = alertmanagerAlerts(sampleAlert(), format);
    const resolvedAt = 1_700_000_900_000;
    const resolved = alertmanagerAlerts(sampleAlert({ id: 'a-2', status: 'RESOLVED', time: resolvedAt }), format);
    expect(resolved.map((a) => a.labels)).toEqual(firing.map((a) => a.labels));
    expect(resolved.every((a) => a.endsAt === iso(resolvedAt) && a.startsAt === undefined)).toBe(true);
  });

  it('keeps an old event time firing from now on, not already expired', () => {
    const old = alertmanagerAlerts(sampleAlert({ time: 1_000 }), { ...format, firingTtlMs: DAY });
    expect(old[1]!.endsAt).toBe(iso(format.now + DAY));
  });

  it('appends /api/v2/alerts to the base URL, keeping a path prefix', () => {
    expect(alertsEndpoint('http://am:9093')).toBe('http://am:9093/api/v2/alerts');
    expect(alertsEndpoint('https://ops.example/alertmanager/')).toBe('https://ops.example/alertmanager/api/v2/alerts');
  });
});
