// services/notifier/main.ts as its own process, as deployed: a bad configuration stops it at
// start with one line and exit status 2, and a running notifier never writes a sink's
// credentials (URL path, header values) to its log, not even when a delivery fails.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaBus } from '../../shared/bus/kafka-bus.js';
import { freePorts } from '../../scripts/local-services.js';
import { kafkaBrokers, redisUrl, uniqueName } from '../setup/env.js';
import { httpGet } from '../support/http-get.js';
import { startHttpReceiver, type HttpReceiver } from '../support/http-receiver.js';
import { connectProducer, deploymentOf, publishAlerts, transition } from '../support/notifier-fixtures.js';
import { startServiceProcess } from '../support/service-process.js';
import { until } from '../support/until.js';

let producer: KafkaBus;
let receiver: HttpReceiver;

beforeAll(async () => {
  producer = await connectProducer();
  receiver = await startHttpReceiver();
});

afterAll(async () => {
  await receiver?.close();
  await producer?.close();
});

const base = () => ({ DW_MODE: 'distributed', KAFKA_BROKERS: kafkaBrokers(), REDIS_URL: redisUrl(), DW_TOPIC_PREFIX: `${uniqueName('notify-proc')}.` });

describe('notifier process', () => {
  it('exits with status 2 and one line naming the setting when the configuration is bad', async () => {
    const leaky = 'hooks.slack.example/services/T0/B0/leaky-token-1234';
    const bad = startServiceProcess('notifier', { ...base(), DW_NOTIFY_SLACK_URL: leaky, DW_HTTP_PORT: '0' });
    expect(await bad.exited).toBe(2);
    const lines = bad.output().split('\n').filter((line) => line.includes('failed to start'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('notifier failed to start: invalid environment (DW_NOTIFY_*): sinks.0.url: is not a URL');
    expect(bad.output()).not.toContain('leaky-token');

    const none = startServiceProcess('notifier', { ...base(), DW_HTTP_PORT: '0' });
    expect(await none.exited).toBe(2);
    expect(none.output()).toContain('no notification sink configured; set DW_NOTIFY_WEBHOOK_URL, DW_NOTIFY_SLACK_URL, DW_NOTIFY_ALERTMANAGER_URL or DW_NOTIFY_CONFIG');
  });

  it('delivers, retries and dead-letters without ever logging the webhook URL or its Authorization header', async () => {
    const env = base();
    const deployment = deploymentOf(env.DW_TOPIC_PREFIX);
    const secretPath = `/hooks/${uniqueName('path-secret')}`;
    const header = `Bearer ${uniqueName('header-secret')}`;
    receiver.script(secretPath, { status: 500, body: 'try later' }, { status: 401, body: 'unauthorized' });
    const [port] = await freePorts(1);
    const service = startServiceProcess('notifier', {
      ...env,
      DW_HTTP_PORT: String(port),
      DW_NOTIFY_WEBHOOK_URL: receiver.url(secretPath),
      DW_NOTIFY_WEBHOOK_HEADERS: JSON.stringify({ Authorization: header }),
      DW_NOTIFY_START_FROM: 'earliest',
      DW_NOTIFY_BACKOFF_MS: '50',
      LOG_LEVEL: 'info',
    });
    try {
      await until('/readyz 200', () => httpGet(port!, '/readyz').catch(() => ({ status: 0, body: '' })), (r) => r.status === 200, 60_000, service);
      await publishAlerts(producer, deployment, [transition('churn', 'secret-test')]);
      await until(
        'the alert dead-lettered',
        async () => (await httpGet(port!, '/metrics')).body,
        (body) => /driftwatch_notify_deliveries_total\{sink="webhook",outcome="dead_lettered",service="notifier"\} 1/.test(body),
        60_000,
        service,
      );
      expect(receiver.requests(secretPath).map((r) => [r.status, r.headers.authorization])).toEqual([[500, header], [401, header]]);
      expect(await service.stop()).toBe(0);
      const output = service.output();
      expect(output).toContain('delivery failed; retrying');
      expect(output).toContain('delivery failed for good; dead-lettering');
      expect(output).toContain('HTTP 401: unauthorized');
      expect(output).not.toContain(secretPath.slice(1));
      expect(output).not.toContain(header.slice('Bearer '.length));
    } finally {
      await service.kill();
    }
  });
});
