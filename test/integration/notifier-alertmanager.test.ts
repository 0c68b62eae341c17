// The notifier against a real Prometheus Alertmanager (0.25, Debian's package): a FIRING shows
// as an active alert with driftwatch's labels and annotations, an escalation replaces the
// WARNING alert by the CRITICAL one, and the RESOLVED ends it, which Alertmanager notifies as
// resolved to its webhook receiver (send_resolved) for the same alert (fingerprint).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaBus } from '../../shared/bus/kafka-bus.js';
import type { ServiceHandle } from '../../shared/runtime/run-service.js';
import { uniqueName } from '../setup/env.js';
import { startAlertmanager, type AmAlert, type RunningAlertmanager } from '../support/alertmanager.js';
import { startHttpReceiver, type HttpReceiver } from '../support/http-receiver.js';
import { connectProducer, metricValue, newDeployment, publishAlerts, startTestNotifier, transition } from '../support/notifier-fixtures.js';
import { until } from '../support/until.js';

/** Alertmanager's webhook payload, the fields read here. */
interface AmNotification {
  status: 'firing' | 'resolved';
  alerts: { status: 'firing' | 'resolved'; labels: Record<string, string>; fingerprint: string; endsAt: string }[];
}

let producer: KafkaBus;
let receiver: HttpReceiver;
let alertmanager: RunningAlertmanager;
let notifier: ServiceHandle | undefined;
const AM_PATH = '/alertmanager-notifications';

beforeAll(async () => {
  producer = await connectProducer();
  receiver = await startHttpReceiver();
  alertmanager = await startAlertmanager(receiver.url(AM_PATH));
});

afterAll(async () => {
  await notifier?.stop();
  await alertmanager?.stop();
  await receiver?.close();
  await producer?.close();
});

describe('notifier to a real Alertmanager', () => {
  it('shows a FIRING active, an escalation as its CRITICAL alert only, and the RESOLVED as resolved', async () => {
    const deployment = newDeployment('notify-am');
    const model = uniqueName('am-model');
    notifier = await startTestNotifier(
      deployment,
      { sinks: [{ kind: 'alertmanager', url: alertmanager.url, labels: { env: 'test' } }] },
      uniqueName('notify-am-group'),
    );
    const ours = async (): Promise<AmAlert[]> => (await alertmanager.alerts()).filter((a) => a.labels.model === model);
    const labels = { alertname: 'DriftwatchDataDrift', model, version: '3', kind: 'DATA_DRIFT', metric: 'psi', feature: 'tenure', env: 'test' };

    const firing = transition(model, 'tenure', { severity: 'WARNING', message: `drift of tenure on ${model}` });
    await publishAlerts(producer, deployment, [firing]);
    const [active] = await until('the FIRING active in Alertmanager', ours, (alerts) => alerts.length === 1);
    expect(active!.labels).toEqual({ ...labels, severity: 'warning' });
    expect(active!.status.state).toBe('active');
    expect(active!.annotations).toMatchObject({ summary: `drift of tenure on ${model}`, alert_id: firing.id });
    expect(Date.parse(active!.startsAt)).toBe(firing.time);
    // Explicitly ended 7 days ahead: Alertmanager must not resolve it after resolve_timeout.
    expect(Date.parse(active!.endsAt)).toBeGreaterThan(Date.now() + 6 * 86_400_000);

    const escalated = transition(model, 'tenure', { severity: 'CRITICAL', value: 0.6 });
    await publishAlerts(producer, deployment, [escalated]);
    const [critical] = await until('only the CRITICAL active', ours, (alerts) => alerts.length === 1 && alerts[0]!.labels.severity === 'critical');
    expect(critical!.labels).toEqual({ ...labels, severity: 'critical' });

    // What Alertmanager notifies its receiver (group_interval 1 s).
    const notified = () => receiver.requests(AM_PATH).flatMap((r) => (r.body as AmNotification).alerts).filter((a) => a.labels.model === model);
    await until('the CRITICAL notified firing', notified, (alerts) => alerts.some((a) => a.status === 'firing' && a.fingerprint === critical!.fingerprint));

    const resolved = transition(model, 'tenure', { status: 'RESOLVED', severity: 'CRITICAL', value: 0.02 });
    await publishAlerts(producer, deployment, [resolved]);
    await until('no active alert of the model', ours, (alerts) => alerts.length === 0);

    // The same alert (fingerprint) notified resolved, ended at the RESOLVED's time.
    const all = await until('the resolved notification', notified, (alerts) => alerts.some((a) => a.status === 'resolved' && a.labels.severity === 'critical'));
    const criticalResolved = all.find((a) => a.status === 'resolved' && a.labels.severity === 'critical')!;
    expect(criticalResolved.fingerprint).toBe(critical!.fingerprint);
    expect(Date.parse(criticalResolved.endsAt)).toBe(resolved.time);
    // Nothing about a severity that never fired.
    expect(new Set(all.map((a) => a.labels.severity))).toEqual(new Set(['warning', 'critical']));

    expect(await metricValue(notifier, 'driftwatch_notify_deliveries_total', { sink: 'alertmanager', outcome: 'delivered' })).toBe(3);
  });
});
