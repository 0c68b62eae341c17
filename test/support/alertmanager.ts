// A real Prometheus Alertmanager (Debian's /usr/bin/prometheus-alertmanager; ALERTMANAGER_BIN
// overrides) for tests: a free loopback port, a temporary storage path, clustering off, and
// one webhook receiver (send_resolved) that notifies at once, so a test sees both what
// Alertmanager holds (GET /api/v2/alerts) and what it would notify.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePorts } from '../../scripts/local-services.js';
import { until } from './until.js';

const KEPT_OUTPUT_CHARS = 4_000;

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
  const dir = mkdtempSync(join(tmpdir(), 'dw-alertmanager-'));
  const configFile = join(dir, 'alertmanager.yml');
  writeFileSync(
    configFile,
    stringify({
      route: { receiver: 'test', group_by: ['alertname', 'model'], group_wait: '0s', group_interval: '1s', repeat_interval: '1h' },
      receivers: [{ name: 'test', webhook_configs: [{ url: webhookUrl, send_resolved: true }] }],
    }),
  );
  const [port] = await freePorts(1);
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    binary,
    [`--config.file=${configFile}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-KEPT_OUTPUT_CHARS);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const spawnFailed = new Promise<never>((_, reject) => child.once('error', (error) => reject(new Error(`cannot run ${binary}: ${error.message}`))));
  spawnFailed.catch(() => {}); // observed by the race below; later it has nothing to fail
  const exited = new Promise<void>((done) => (child.once('exit', () => done()), child.once('error', () => done())));

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const ready = async (): Promise<boolean> => {
    if (child.exitCode !== null) throw new Error(`alertmanager exited with ${child.exitCode}:\n${output}`);
    return fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
  };
  try {
    await Promise.race([until('Alertmanager /-/ready', ready, Boolean, 30_000), spawnFailed]);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    output: () => output,
    alerts: async () => {
      const response = await fetch(`${url}/api/v2/alerts`);
      if (!response.ok) throw new Error(`Alertmanager GET /api/v2/alerts: ${response.status} ${await response.text()}`);
      return (await response.json()) as AmAlert[];
    },
    stop,
  };
}
