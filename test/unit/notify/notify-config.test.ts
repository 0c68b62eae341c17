import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { configErrorOf } from '../../support/config-error.js';
import { createLogger } from '../../../shared/log/logger.js';
import { loadNotifyConfig, parseNotifyConfig } from '../../../shared/notify/notify-config.js';

function file(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'dw-notify-')), name);
  writeFileSync(path, text);
  return path;
}

const SLACK = 'https://hooks.slack.example/services/T000/B000/slack-token-1234';

describe('notification config from the environment', () => {
  it('builds one sink per kind whose URL is set, named by its kind, with the defaults', () => {
    const config = loadNotifyConfig({
      DW_NOTIFY_WEBHOOK_URL: 'https://hooks.example/driftwatch',
      DW_NOTIFY_SLACK_URL: SLACK,
      DW_NOTIFY_ALERTMANAGER_URL: 'http://alertmanager:9093',
    });
    expect(config.sinks.map(({ name, kind, filter }) => [name, kind, filter])).toEqual([
      ['webhook', 'webhook', { minSeverity: 'INFO', kinds: null }],
      ['slack', 'slack', { minSeverity: 'INFO', kinds: null }],
      ['alertmanager', 'alertmanager', { minSeverity: 'INFO', kinds: null }],
    ]);
    expect(config.delivery).toEqual({ maxAttempts: 5, backoffMs: 1_000, maxBackoffMs: 60_000, timeoutMs: 10_000, recordTtlMs: 7 * 86_400_000 });
    expect(config.startFrom).toBe('latest');
  });

  it('reads filters, delivery settings and the start position', () => {
    const config = loadNotifyConfig({
      DW_NOTIFY_SLACK_URL: SLACK,
      DW_NOTIFY_MIN_SEVERITY: 'warning',
      DW_NOTIFY_KINDS: 'DATA_DRIFT, performance',
      DW_NOTIFY_MAX_ATTEMPTS: '3',
      DW_NOTIFY_BACKOFF_MS: '200',
      DW_NOTIFY_MAX_BACKOFF_MS: '800',
      DW_NOTIFY_TIMEOUT_MS: '1500',
      DW_NOTIFY_START_FROM: 'earliest',
    });
    expect(config.sinks[0]!.filter).toEqual({ minSeverity: 'WARNING', kinds: ['DATA_DRIFT', 'PERFORMANCE'] });
    expect(config.delivery).toMatchObject({ maxAttempts: 3, backoffMs: 200, maxBackoffMs: 800, timeoutMs: 1_500 });
    expect(config.startFrom).toBe('earliest');
  });

  it('takes an empty variable as unset, as compose passes `${X:-}`', () => {
    const config = loadNotifyConfig({ DW_NOTIFY_SLACK_URL: SLACK, DW_NOTIFY_WEBHOOK_URL: '', DW_NOTIFY_WEBHOOK_HEADERS: '', DW_NOTIFY_ALERTMANAGER_URL: '' });
    expect(config.sinks.map((s) => s.name)).toEqual(['slack']);
  });

  it('refuses no sink at all, naming the variables to set', () => {
    expect(configErrorOf(() => loadNotifyConfig({}))).toBe(
      'invalid environment: no notification sink configured; set DW_NOTIFY_WEBHOOK_URL, DW_NOTIFY_SLACK_URL, DW_NOTIFY_ALERTMANAGER_URL or DW_NOTIFY_CONFIG',
    );
  });

  it('names the bad setting in one line', () => {
    expect(configErrorOf(() => loadNotifyConfig({ DW_NOTIFY_SLACK_URL: 'hooks.slack.example/x' }))).toBe('invalid environment (DW_NOTIFY_*): sinks.0.url: is not a URL');
    expect(configErrorOf(() => loadNotifyConfig({ DW_NOTIFY_SLACK_URL: 'ftp://x.example/y' }))).toBe(
      'invalid environment (DW_NOTIFY_*): sinks.0.url: must be an http:// or https:// URL',
    );
    expect(configErrorOf(() => loadNotifyConfig({ DW_NOTIFY_SLACK_URL: SLACK, DW_NOTIFY_MIN_SEVERITY: 'LOUD' }))).toMatch(/^invalid environment \(DW_NOTIFY_\*\): minSeverity: /);
    expect(configErrorOf(() => loadNotifyConfig({ DW_NOTIFY_SLACK_URL: SLACK, DW_NOTIFY_MAX_ATTEMPTS: 'many' }))).toBe(
      'invalid environment: DW_NOTIFY_MAX_ATTEMPTS must be a positive integer, got "many"',
    );
    expect(configErrorOf(() => loadNotifyConfig({ DW_NOTIFY_WEBHOOK_URL: 'https://x.example/h', DW_NOTIFY_WEBHOOK_HEADERS: '{Authorization' }))).toMatch(
      /^invalid environment: DW_NOTIFY_WEBHOOK_HEADERS is not valid JSON/,
    );
  });

  it('never quotes a secret in its error', () => {
    const token = 'Bearer s3cr3t-t0ken-value';
    const message = configErrorOf(() =>
      loadNotifyConfig({ DW_NOTIFY_WEBHOOK_URL: 'https://x.example/h', DW_NOTIFY_WEBHOOK_HEADERS: JSON.stringify({ 'Bad Header': token }) }),
    );
    expect(message).toBe('invalid environment (DW_NOTIFY_*): sinks.0.headers.Bad Header: not a header name');
    expect(message).not.toContain('s3cr3t');
  });
});

describe('notification config from a file', () => {
  it('configures several sinks of one kind with their own filters, secrets from the environment and from files', () => {
    process.env.DW_TEST_WEBHOOK_TOKEN = 'Bearer from-env-token-123';
    const tokenFile = file('token', 'file-secret-value-456\n');
    const path = file(
      'notify.yaml',
      [
        'minSeverity: WARNING',
        'delivery: { maxAttempts: 3, backoff: 250ms, maxBackoff: 2s, timeout: 5s, recordTtl: 1d }',
        'sinks:',
        '  - kind: webhook',
        '    name: pager',
        '    url: https://pager.example/hook',
        '    headers: { Authorization: { env: DW_TEST_WEBHOOK_TOKEN }, X-Api-Key: { file: ' + tokenFile + ' } }',
        '    minSeverity: CRITICAL',
        '  - kind: webhook',
        '    name: audit',
        '    url: https://audit.example/hook',
        '    kinds: [PERFORMANCE]',
        '  - kind: alertmanager',
        '    url: http://am:9093',
        '    labels: { env: prod }',
        '    firingTtl: 2d',
      ].join('\n'),
    );
    const config = loadNotifyConfig({ DW_NOTIFY_CONFIG: path });
    expect(config.sinks.map(({ name, kind, filter }) => [name, kind, filter])).toEqual([
      ['pager', 'webhook', { minSeverity: 'CRITICAL', kinds: null }],
      ['audit', 'webhook', { minSeverity: 'WARNING', kinds: ['PERFORMANCE'] }],
      ['alertmanager', 'alertmanager', { minSeverity: 'WARNING', kinds: null }],
    ]);
    expect(config.delivery).toEqual({ maxAttempts: 3, backoffMs: 250, maxBackoffMs: 2_000, timeoutMs: 5_000, recordTtlMs: 86_400_000 });

    // The secrets read are registered: a log line that quotes them is scrubbed.
    let written = '';
    const destination = new Writable({ write: (chunk: Buffer, _enc, done) => ((written += chunk.toString()), done()) });
    createLogger('notify-test', { destination }).info(`headers Bearer from-env-token-123 and file-secret-value-456, url ${'https://pager.example/hook'}`);
    expect(written).not.toContain('from-env-token-123');
    expect(written).not.toContain('file-secret-value-456');
    expect(written).not.toContain('/hook');
  });

  it('loads examples/notifications.yaml', () => {
    Object.assign(process.env, {
      SLACK_WEBHOOK_URL: 'https://hooks.slack.example/services/T1/B1/example-one',
      ONCALL_SLACK_WEBHOOK_URL: 'https://hooks.slack.example/services/T1/B2/example-two',
      AUDIT_WEBHOOK_AUTHORIZATION: 'Bearer example-audit-token',
    });
    const config = loadNotifyConfig({ DW_NOTIFY_CONFIG: 'examples/notifications.yaml' });
    expect(config.sinks.map(({ name, kind, filter }) => [name, kind, filter.minSeverity, filter.kinds])).toEqual([
      ['ml-team', 'slack', 'WARNING', null],
      ['on-call', 'slack', 'CRITICAL', null],
      ['audit', 'webhook', 'WARNING', ['PERFORMANCE', 'CONCEPT_DRIFT']],
      ['alertmanager', 'alertmanager', 'INFO', null],
    ]);
    expect(config.startFrom).toBe('latest');
  });

  it('refuses the environment\'s sink variables beside a file: one place decides', () => {
    const path = file('n.json', JSON.stringify({ sinks: [{ kind: 'slack', url: SLACK }] }));
    expect(configErrorOf(() => loadNotifyConfig({ DW_NOTIFY_CONFIG: path, DW_NOTIFY_SLACK_URL: SLACK }))).toBe(
      'invalid environment: DW_NOTIFY_CONFIG is set, so DW_NOTIFY_SLACK_URL would be ignored; configure notifications in one place',
    );
  });

  it('names the offending entry of a bad file', () => {
    const bad = (content: unknown) => configErrorOf(() => parseNotifyConfig(content, 'notification config n.yaml'));
    expect(bad({ sinks: [] })).toBe('invalid notification config n.yaml: sinks: configure at least one sink');
    expect(bad({ sinks: [{ kind: 'pagerduty', url: 'https://x.example' }] })).toMatch(/^invalid notification config n.yaml: sinks.0.kind: /);
    expect(bad({ sinks: [{ kind: 'slack', url: SLACK, channel: '#ml' }] })).toBe('invalid notification config n.yaml: sinks.0: Unrecognized key: "channel"');
    expect(bad({ sinks: [{ kind: 'slack', url: SLACK }, { kind: 'slack', url: SLACK }] })).toBe(
      'invalid notification config n.yaml: sinks.1.name: "slack" is used twice (name the sinks of one kind apart)',
    );
    expect(bad({ sinks: [{ kind: 'webhook', url: { env: 'DW_TEST_UNSET_VARIABLE' } }] })).toBe(
      'invalid notification config n.yaml: sinks.0.url: environment variable DW_TEST_UNSET_VARIABLE is not set',
    );
    expect(bad({ delivery: { backoff: '5s', maxBackoff: '1s' }, sinks: [{ kind: 'slack', url: SLACK }] })).toBe(
      'invalid notification config n.yaml: delivery.maxBackoff is shorter than delivery.backoff',
    );
    expect(bad({ sinks: [{ kind: 'alertmanager', url: 'http://am:9093', labels: { 'bad-label': 'x' } }] })).toBe(
      'invalid notification config n.yaml: sinks.0.labels.bad-label: not a Prometheus label name',
    );
  });

  it('says when the file cannot be read or parsed, without quoting it', () => {
    expect(configErrorOf(() => loadNotifyConfig({ DW_NOTIFY_CONFIG: '/nonexistent/notify.yaml' }))).toBe('cannot read notification config /nonexistent/notify.yaml: ENOENT');
    const broken = file('n.yaml', 'sinks:\n  - kind: slack\n    url: "https://secret-in-a-broken-line\n');
    const message = configErrorOf(() => loadNotifyConfig({ DW_NOTIFY_CONFIG: broken }));
    expect(message).toMatch(/^notification config .*n\.yaml is not valid YAML/);
    expect(message).not.toContain('secret-in-a-broken-line');
  });
});
