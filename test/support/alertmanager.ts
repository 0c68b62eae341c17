// A real Prometheus Alertmanager (Debian's /usr/bin/prometheus-alertmanager; ALERTMANAGER_BIN
// overrides) for tests: a free loopback port, a temporary storage path, clustering off, and
// one webhook receiver (send_resolved) that notifies at once, so a test sees both what
// Alertmanager holds (GET /api/v2/alerts) and what it would notify.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startReadyBinary } from './ready-binary.js';

/** GET /api/v2/alerts's GettableAlert, the fields tests read. */
export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  fingerprint: string;
  status: { state: 'active' | 'suppressed' | 'unprocessed'; silencedBy: string[]; inhibitedBy: string[] };
}

export interface RunningAlertmanager {
  readonly url: string;
  output(): string;
  /** GET /api/v2/alerts: the alerts it holds that have not ended. */
  alerts(): Promise<AmAlert[]>;
  /** SIGTERM, wait for the exit, remove the storage. */
  stop(): Promise<void>;
}

/** Starts Alertmanager routing every alert to `webhookUrl`; resolves once /-/ready answers 200. */
export async function startAlertmanager(webhookUrl: string, binary = process.env.ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager'): Promise<RunningAlertmanager> {
  const config = stringify({
    route: { receiver: 'test', group_by: ['alertname', 'model'], group_wait: '0s', group_interval: '1s', repeat_interval: '1h' },
    receivers: [{ name: 'test', webhook_configs: [{ url: webhookUrl, send_resolved: true }] }],
  });
  const server = await startReadyBinary(
    'Alertmanager',
    binary,
    (dir) => writeFileSync(join(dir, 'alertmanager.yml'), config),
    (port, dir) => [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
  );
  return {
    url: server.url,
    output: server.output,
    alerts: async () => {
      const response = await fetch(`${server.url}/api/v2/alerts`);
      if (!response.ok) throw new Error(`Alertmanager GET /api/v2/alerts: ${response.status} ${await response.text()}`);
      return (await response.json()) as AmAlert[];
    },
    stop: server.stop,
  };
}
