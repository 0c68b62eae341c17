import { describe, expect, it } from 'vitest';
import { alertmanagerAlerts, alertmanagerLabels, alertsEndpoint } from '../../../shared/notify/alertmanager-sink.js';
import { sampleAlert } from './sample-alert.js';

const DAY = 86_400_000;
const format = { labels: { env: 'prod' }, firingTtlMs: 7 * DAY, now: 1_700_000_400_000, previous: null };
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

  it('posts a first FIRING as active from its time until firingTtl past now, and nothing else', () => {
    const alert = sampleAlert();
    const posted = alertmanagerAlerts(alert, format);
    expect(posted.map((a) => [a.labels.severity, a.startsAt, a.endsAt])).toEqual([['warning', iso(alert.time), iso(format.now + 7 * DAY)]]);
    expect(posted[0]!.annotations).toEqual({
      summary: 'tenure drifted',
      description: 'FIRING WARNING DATA_DRIFT on churn v3: psi of tenure = 0.31 (threshold 0.10) over 2023-11-14 22:13:20–22:18:20 UTC (42 events)',
      alert_id: 'a-1',
    });
  });

  it('resolves the severity that fired before when a key escalates, with the same labels it fired with', () => {
    const firing = alertmanagerAlerts(sampleAlert(), format)[0]!;
    const escalated = sampleAlert({ id: 'a-2', severity: 'CRITICAL', time: 1_700_000_600_000 });
    const posted = alertmanagerAlerts(escalated, { ...format, previous: 'WARNING' });
    expect(posted.map((a) => [a.labels.severity, a.startsAt, a.endsAt])).toEqual([
      ['warning', undefined, iso(escalated.time)],
      // Its time is past `now` here: the TTL counts from the later of the two.
      ['critical', iso(escalated.time), iso(escalated.time + 7 * DAY)],
    ]);
    expect(posted[0]!.labels).toEqual(firing.labels);
    // Same severity again (a repeat): only the alert itself.
    expect(alertmanagerAlerts(escalated, { ...format, previous: 'CRITICAL' })).toHaveLength(1);
  });

  it('posts a RESOLVED with endsAt = its time and the same labels as the FIRING', () => {
    const firing = alertmanagerAlerts(sampleAlert(), format);
    const resolvedAt = 1_700_000_900_000;
    const resolved = alertmanagerAlerts(sampleAlert({ id: 'a-2', status: 'RESOLVED', time: resolvedAt }), { ...format, previous: 'WARNING' });
    expect(resolved).toHaveLength(1);
    expect(resolved[0]!.labels).toEqual(firing[0]!.labels);
    expect(resolved[0]!.endsAt).toBe(iso(resolvedAt));
    expect(resolved[0]!.startsAt).toBeUndefined();
    // Resolving after an escalation the sink did not see: ends both what it sent and the event's severity.
    const both = alertmanagerAlerts(sampleAlert({ status: 'RESOLVED', severity: 'CRITICAL', time: resolvedAt }), { ...format, previous: 'WARNING' });
    expect(both.map((a) => [a.labels.severity, a.endsAt])).toEqual([['warning', iso(resolvedAt)], ['critical', iso(resolvedAt)]]);
  });

  it('keeps an old event time firing from now on, not already expired', () => {
    const old = alertmanagerAlerts(sampleAlert({ time: 1_000 }), { ...format, firingTtlMs: DAY });
    expect(old[0]!.endsAt).toBe(iso(format.now + DAY));
  });

  it('appends /api/v2/alerts to the base URL, keeping a path prefix', () => {
    expect(alertsEndpoint('http://am:9093')).toBe('http://am:9093/api/v2/alerts');
    expect(alertsEndpoint('https://ops.example/alertmanager/')).toBe('https://ops.example/alertmanager/api/v2/alerts');
  });
});
