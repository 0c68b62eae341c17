// The notifier on the real Kafka and Redis, delivering to real HTTP receivers on loopback:
// the webhook and Slack shapes, retries after 500s, 4xx refusals and sinks that keep failing
// dead-lettered, malformed alerts dead-lettered, and each (alert id, sink) delivered once
// across a restart and across two instances.
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaBus } from '../../shared/bus/kafka-bus.js';
import type { Alert, AlertInput } from '../../shared/codec/index.js';
import { slackMessage } from '../../shared/notify/slack-sink.js';
import type { ServiceHandle } from '../../shared/runtime/run-service.js';
import { uniqueName } from '../setup/env.js';
import { httpGet } from '../support/http-get.js';
import { startHttpReceiver, type HttpReceiver } from '../support/http-receiver.js';
import {
  codec,
  connectProducer,
  metricValue,
  newDeployment,
  publishAlerts,
  readDeadLetters,
  startTestNotifier,
  transition,
} from '../support/notifier-fixtures.js';
import { SAMPLE_EVENTS } from '../support/sample-events.js';
import { until } from '../support/until.js';

let producer: KafkaBus;
let receiver: HttpReceiver;
const running: ServiceHandle[] = [];

beforeAll(async () => {
  producer = await connectProducer();
  receiver = await startHttpReceiver();
});

afterEach(async () => {
  for (const handle of running.splice(0)) await handle.stop();
});

afterAll(async () => {
  await producer?.close();
  await receiver?.close();
});

async function notifier(...args: Parameters<typeof startTestNotifier>): Promise<ServiceHandle> {
  const handle = await startTestNotifier(...args);
  running.push(handle);
  return handle;
}

/** Alert ids the receiver got at `path`, with how often each. */
function deliveredIds(path: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const request of receiver.requests(path)) {
    const id = (request.body as { id: string }).id;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** What an alert looks like once decoded (the webhook posts the decoded event as JSON). */
function asDelivered(alert: AlertInput): Alert {
  const encoded = codec.encode('alert', alert);
  return JSON.parse(JSON.stringify(codec.decode('alert', encoded.value, encoded.headers))) as Alert;
}

describe('notifier on Kafka and Redis', () => {
  it('posts each alert as JSON to the webhook, with its headers, and a readable message to Slack', async () => {
    const deployment = newDeployment('notify-shapes');
    process.env.DW_TEST_NOTIFY_TOKEN = 'Bearer test-token-for-the-webhook';
    const paths = { webhook: `/${uniqueName('hook')}`, slack: `/${uniqueName('slack')}` };
    const handle = await notifier(
      deployment,
      {
        sinks: [
          { kind: 'webhook', url: receiver.url(paths.webhook), headers: { Authorization: { env: 'DW_TEST_NOTIFY_TOKEN' } } },
          { kind: 'slack', url: receiver.url(paths.slack) },
        ],
      },
      uniqueName('notify-group'),
    );
    const firing = transition('churn', 'tenure', { severity: 'WARNING' });
    const escalated = transition('churn', 'tenure', { severity: 'CRITICAL', value: 0.52 });
    const resolved = transition('churn', 'tenure', { status: 'RESOLVED', severity: 'CRITICAL', value: 0.04 });
    const other = transition('fraud', 'amount', { kind: 'PERFORMANCE', metric: 'accuracy', feature: null, key: 'fraud|3|PERFORMANCE|accuracy|' });
    await publishAlerts(producer, deployment, [firing, escalated, resolved, other]);

    await until('4 alerts at each receiver', () => [receiver.requests(paths.webhook).length, receiver.requests(paths.slack).length], ([w, s]) => w === 4 && s === 4);
    const webhook = receiver.requests(paths.webhook);
    // One key's transitions in the order they were published.
    const churn = webhook.filter((r) => (r.body as Alert).model === 'churn').map((r) => (r.body as Alert).id);
    expect(churn).toEqual([firing.id, escalated.id, resolved.id]);
    for (const alert of [firing, escalated, resolved, other]) {
      const request = webhook.find((r) => (r.body as Alert).id === alert.id)!;
      expect(request.body).toEqual(asDelivered(alert));
      expect(request.method).toBe('POST');
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.headers.authorization).toBe('Bearer test-token-for-the-webhook');
      expect(request.headers['idempotency-key']).toBe(alert.id);
      const slack = receiver.requests(paths.slack).find((r) => (r.body as { text: string }).text.includes(alert.model) && JSON.stringify(r.body).includes(alert.id))!;
      expect(slack.body).toEqual(JSON.parse(JSON.stringify(slackMessage(asDelivered(alert)))));
    }
    expect((receiver.requests(paths.slack).map((r) => (r.body as { text: string }).text)).filter((t) => t.includes('[RESOLVED]'))).toHaveLength(1);

    expect(await metricValue(handle, 'driftwatch_notify_deliveries_total', { sink: 'webhook', outcome: 'delivered' })).toBe(4);
    expect(await metricValue(handle, 'driftwatch_notify_deliveries_total', { sink: 'slack', outcome: 'delivered' })).toBe(4);
    expect(await metricValue(handle, 'driftwatch_notify_delivery_seconds_count', { sink: 'slack', outcome: 'delivered' })).toBe(4);
  });

  it('retries a sink answering 500 (and 429 with Retry-After) until it accepts, and counts the retries', async () => {
    const deployment = newDeployment('notify-retry');
    const path = `/${uniqueName('flaky')}`;
    receiver.script(path, { status: 500, body: 'oops' }, { status: 503 }, { status: 429, headers: { 'retry-after': '0' } });
    const handle = await notifier(deployment, { delivery: { maxAttempts: 5, backoff: 50, maxBackoff: 200, timeout: 2_000 }, sinks: [{ kind: 'webhook', name: 'flaky', url: receiver.url(path) }] }, uniqueName('notify-group'));
    const alert = transition('churn', 'age');
    await publishAlerts(producer, deployment, [alert]);

    await until('the delivery', () => metricValue(handle, 'driftwatch_notify_deliveries_total', { sink: 'flaky', outcome: 'delivered' }), (n) => n === 1);
    expect(receiver.requests(path).map((r) => r.status)).toEqual([500, 503, 429, 200]);
    expect(receiver.requests(path).every((r) => (r.body as Alert).id === alert.id)).toBe(true);
    expect(await metricValue(handle, 'driftwatch_notify_retries_total', { sink: 'flaky' })).toBe(3);
  });

  it('dead-letters an alert a sink refuses (4xx) at once, or keeps failing, while the other sinks deliver it', async () => {
    const deployment = newDeployment('notify-dead');
    const paths = { gone: `/${uniqueName('gone')}`, down: `/${uniqueName('down')}`, ok: `/${uniqueName('ok')}` };
    receiver.setDefault(paths.gone, { status: 404, body: 'no_service' });
    receiver.setDefault(paths.down, { status: 502, body: 'bad gateway' });
    const handle = await notifier(
      deployment,
      {
        sinks: [
          { kind: 'slack', name: 'gone', url: receiver.url(paths.gone) },
          { kind: 'webhook', name: 'down', url: receiver.url(paths.down) },
          { kind: 'webhook', name: 'ok', url: receiver.url(paths.ok) },
        ],
      },
      uniqueName('notify-group'),
    );
    const letters = await readDeadLetters(producer, deployment);
    const alert = transition('churn', 'plan');
    await publishAlerts(producer, deployment, [alert]);

    await until('the dead letter', () => letters.length, (n) => n >= 1);
    expect(letters).toHaveLength(1);
    const [letter] = letters;
    expect(letter).toMatchObject({ reason: 'UNDELIVERED', service: 'notifier', sourceTopic: deployment.topics.alerts });
    expect(letter!.message).toBe(
      `alert ${alert.id} (FIRING) not delivered: sink gone: refused after 1 attempt (permanent): HTTP 404: no_service; ` +
        'sink down: gave up after 3 attempts: HTTP 502: bad gateway',
    );
    // The letter carries the alert's own bytes, so it can be replayed.
    expect(codec.decode('alert', letter!.value, letter!.headers).id).toBe(alert.id);
    expect(receiver.requests(paths.gone)).toHaveLength(1);
    expect(receiver.requests(paths.down)).toHaveLength(3);
    expect(receiver.requests(paths.ok)).toHaveLength(1);

    expect(await metricValue(handle, 'driftwatch_notify_deliveries_total', { sink: 'gone', outcome: 'dead_lettered' })).toBe(1);
    expect(await metricValue(handle, 'driftwatch_notify_deliveries_total', { sink: 'down', outcome: 'dead_lettered' })).toBe(1);
    expect(await metricValue(handle, 'driftwatch_notify_deliveries_total', { sink: 'ok', outcome: 'delivered' })).toBe(1);
    expect(await metricValue(handle, 'driftwatch_dlq_total', { reason: 'UNDELIVERED' })).toBe(1);
    // Committed after the dead letter: nothing of the partition is left to consume.
    await until('lag 0', () => metricValue(handle, 'driftwatch_consumer_lag', { topic: deployment.topics.alerts }), (lag) => lag === 0);
  });

  it('dead-letters malformed messages on the alerts topic with their reason and goes on delivering', async () => {
    const deployment = newDeployment('notify-malformed');
    const path = `/${uniqueName('hook')}`;
    const handle = await notifier(deployment, { sinks: [{ kind: 'webhook', url: receiver.url(path) }] }, uniqueName('notify-group'));
    const letters = await readDeadLetters(producer, deployment);
    const before = transition('churn', 'x1');
    const after = transition('churn', 'x1');
    const alertHeaders = codec.encode('alert', before).headers;
    await producer.publish(deployment.topics.alerts, [
      { key: before.key, ...codec.encode('alert', before) },
      { key: before.key, value: randomBytes(32), headers: alertHeaders },
      { key: before.key, ...codec.encode('label', SAMPLE_EVENTS.label) },
      { key: before.key, ...codec.encode('alert', after) },
    ]);

    await until('2 dead letters and 2 deliveries', () => [letters.length, receiver.requests(path).length], ([l, d]) => l === 2 && d === 2);
    expect(letters.map((l) => l.reason).sort()).toEqual(['MALFORMED', 'WRONG_SCHEMA']);
    expect(receiver.requests(path).map((r) => (r.body as Alert).id)).toEqual([before.id, after.id]);
    expect((await httpGet(handle.port!, '/readyz')).status).toBe(200);
  });

  it('leaves an alert still being retried uncommitted and unclaimed when it stops, so the next instance delivers it at once', async () => {
    const deployment = newDeployment('notify-stop');
    const path = `/${uniqueName('down')}`;
    receiver.setDefault(path, { status: 503 });
    const file = { delivery: { maxAttempts: 5, backoff: 2_000, maxBackoff: 8_000, timeout: 2_000 }, sinks: [{ kind: 'webhook', url: receiver.url(path) }] };
    const group = uniqueName('notify-group');
    const first = await notifier(deployment, file, group);
    const alert = transition('churn', 'stop');
    await publishAlerts(producer, deployment, [alert]);
    await until('the first try', () => receiver.requests(path).length, (n) => n >= 1);

    const stopping = Date.now();
    await first.stop();
    running.splice(running.indexOf(first), 1);
    // The wait between tries is cut short, not sat out.
    expect(Date.now() - stopping).toBeLessThan(1_500);

    receiver.setDefault(path, { status: 200 });
    // Same group: the batch was not committed, and the claim was given back (else this waits ~50 s for it to expire).
    const second = await notifier(deployment, file, group);
    await until('delivered by the next instance', () => metricValue(second, 'driftwatch_notify_deliveries_total', { sink: 'webhook', outcome: 'delivered' }), (n) => n === 1, 15_000);
    expect(receiver.requests(path).filter((r) => r.status === 200).map((r) => (r.body as Alert).id)).toEqual([alert.id]);
  });

  it('delivers each alert once when a restarted notifier reads the topic again', async () => {
    const deployment = newDeployment('notify-restart');
    const path = `/${uniqueName('hook')}`;
    const sinks = { sinks: [{ kind: 'webhook', url: receiver.url(path) }] };
    const alerts = Array.from({ length: 20 }, (_, i) => transition('churn', `f${i % 5}`));
    const first = await notifier(deployment, sinks, uniqueName('notify-group'));
    await publishAlerts(producer, deployment, alerts);
    await until('20 deliveries', () => deliveredIds(path).size, (n) => n === 20);
    await first.stop();

    // A new group starts from the topic's beginning: every alert comes again, as after lost commits.
    const second = await notifier(deployment, sinks, uniqueName('notify-group'));
    await until('20 duplicates skipped', () => metricValue(second, 'driftwatch_notify_deliveries_total', { sink: 'webhook', outcome: 'duplicate' }), (n) => n === 20);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect([...deliveredIds(path).values()]).toEqual(Array(20).fill(1));
    expect(await metricValue(second, 'driftwatch_notify_deliveries_total', { sink: 'webhook', outcome: 'delivered' })).toBe(0);
  });

  it('delivers each alert once with two instances reading every alert at the same time', async () => {
    const deployment = newDeployment('notify-pair');
    const path = `/${uniqueName('slow')}`;
    // Slow enough that both instances are on the same alert at once, and one waits for the other's claim.
    receiver.setDefault(path, { status: 200, delayMs: 30 });
    const sinks = { sinks: [{ kind: 'webhook', url: receiver.url(path) }] };
    // Two groups: both instances get every partition, the worst case for duplicates.
    const [a, b] = await Promise.all([notifier(deployment, sinks, uniqueName('notify-a')), notifier(deployment, sinks, uniqueName('notify-b'))]);
    const alerts = Array.from({ length: 30 }, (_, i) => transition('churn', `g${i % 6}`));
    await publishAlerts(producer, deployment, alerts);

    const outcome = (handle: ServiceHandle, o: string) => metricValue(handle, 'driftwatch_notify_deliveries_total', { sink: 'webhook', outcome: o });
    await until('both instances through every alert', async () => (await outcome(a, 'delivered')) + (await outcome(a, 'duplicate')) + (await outcome(b, 'delivered')) + (await outcome(b, 'duplicate')), (n) => n === 60);
    expect([...deliveredIds(path).keys()].sort()).toEqual(alerts.map((alert) => alert.id).sort());
    expect([...deliveredIds(path).values()]).toEqual(Array(30).fill(1));
    expect((await outcome(a, 'delivered')) + (await outcome(b, 'delivered'))).toBe(30);
  });

  it('shares the alerts topic\'s partitions between two instances of one group, each alert delivered once', async () => {
    const deployment = newDeployment('notify-group');
    const path = `/${uniqueName('hook')}`;
    const sinks = { sinks: [{ kind: 'webhook', url: receiver.url(path) }] };
    const group = uniqueName('notify-shared');
    const [a, b] = await Promise.all([notifier(deployment, sinks, group), notifier(deployment, sinks, group)]);
    const alerts = Array.from({ length: 30 }, (_, i) => transition(`m${i % 10}`, 'f'));
    await publishAlerts(producer, deployment, alerts);

    await until('30 deliveries', () => deliveredIds(path).size, (n) => n === 30);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect([...deliveredIds(path).values()]).toEqual(Array(30).fill(1));
    const delivered = async (handle: ServiceHandle) => metricValue(handle, 'driftwatch_notify_deliveries_total', { sink: 'webhook', outcome: 'delivered' });
    // Both took part: the group split the partitions.
    const [byA, byB] = [await delivered(a), await delivered(b)];
    expect(byA + byB).toBe(30);
    expect(Math.min(byA, byB)).toBeGreaterThan(0);
  });
});
