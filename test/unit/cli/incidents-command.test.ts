import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Incident } from '../../../shared/codec/events.generated.js';
import { incidentDetailText, incidentsText, incidentText, triggerText } from '../../../services/cli/incidents-command.js';
import { CliError } from '../../../services/cli/program.js';
import { DEFAULT_RETRAINER_URL, retrainerUrl } from '../../../services/cli/retrainer-http.js';
import { runCli } from '../../support/cli.js';

const T = Date.UTC(2025, 0, 2, 3, 4, 5);

function incident(over: Partial<Incident> = {}): Incident {
  return {
    id: 'churn-1-abcd',
    model: 'churn',
    championVersion: '3',
    challengerVersion: '4',
    status: 'RECOVERED',
    openedAt: T,
    updatedAt: T + 12_500,
    triggers: [
      { alertId: 'a-1', kind: 'CONCEPT_DRIFT', severity: 'WARNING', metric: 'concept_drift', feature: null, value: 0.31, threshold: 0.1, windowStart: T - 60_000, windowEnd: T },
    ],
    diagnosis: {
      driftedFeatures: [{ feature: 'tenure', stat: 'psi', value: 0.4, threshold: 0.1, drifted: true }],
      predictionDrift: { feature: 'prediction', stat: 'jensenshannon', value: 0.05, threshold: 0.1, drifted: false },
      perClass: [{ label: 'yes', recallBefore: 0.9, recallDuring: 0.5, precisionBefore: 0.8, precisionDuring: 0.7, supportBefore: 100, supportDuring: 90 }],
      metricBefore: 0.91,
      metricDuring: 0.62,
      labelCoverage: 0.95,
      driftStart: T - 60_000,
    },
    data: {
      from: T - 3_600_000,
      to: T,
      predictions: 1200,
      labels: 1100,
      joined: 1000,
      train: { size: 600, from: 1, to: 2 },
      validation: { size: 200, from: 3, to: 4 },
      test: { size: 200, from: 5, to: 6 },
    },
    search: [
      { learningRate: 0.001, epochs: 5, l2: 0, validationMetric: 0.8, validationLoss: 0.5, stoppedEpoch: 5, seconds: 1.2 },
      { learningRate: 0.003, epochs: 5, l2: 0, validationMetric: 0.88, validationLoss: 0.4, stoppedEpoch: 4, seconds: 1.1 },
    ],
    metric: 'accuracy',
    championMetrics: { accuracy: 0.64 },
    challengerMetrics: { accuracy: 0.89 },
    decision: 'PROMOTED',
    reason: null,
    variants: [
      { precision: 'float16', bytes: 2048, classAgreement: 0.999, metricDelta: 0.001, kept: true, reason: null },
      { precision: 'uint8', bytes: 1024, classAgreement: 0.95, metricDelta: 0.02, kept: false, reason: 'class agreement 0.950 < 0.97' },
    ],
    verification: { status: 'RECOVERED', baseline: 0.91, observed: 0.88, labelled: 512, tolerance: 0.05, at: T + 600_000 },
    ...over,
  };
}

describe('incident formatting', () => {
  it('summarizes one incident: trigger, versions, decision, metrics, variants, verification', () => {
    const text = incidentText(incident());
    expect(text).toBe(
      [
        'churn-1-abcd  churn  RECOVERED',
        '  opened        2025-01-02T03:04:05Z, updated 2025-01-02T03:04:17Z (12.5 s later)',
        '  triggers      CONCEPT_DRIFT WARNING concept_drift 0.3100 vs 0.1000 (alert a-1)',
        '  versions      champion 3 → challenger 4',
        '  decision      PROMOTED',
        '  data          1200 predictions, 1100 labels, 1000 joined (2025-01-02T02:04:05Z .. 2025-01-02T03:04:05Z); train 600 / validation 200 / test 200',
        '  drift         accuracy before drift 0.9100 → during 0.6200 (label coverage 0.95)',
        '  test split    accuracy: champion 0.6400 vs challenger 0.8900',
        '  variants      float16 kept (agreement 0.999, Δ 0.0010, 2.0 kB); uint8 dropped (agreement 0.950, Δ 0.0200, 1.0 kB): class agreement 0.950 < 0.97',
        '  verification  RECOVERED: 0.8800 ≥ baseline 0.9100 − 0.05 on 512 labelled predictions at 2025-01-02T03:14:05Z',
        '',
      ].join('\n'),
    );
  });

  it('shows a rejection without training: no champion, no challenger, the reason, dashes for the rest', () => {
    const text = incidentText(
      incident({
        status: 'REJECTED',
        championVersion: null,
        challengerVersion: null,
        updatedAt: T,
        triggers: [{ alertId: null, kind: 'MANUAL', severity: null, metric: null, feature: null, value: null, threshold: null, windowStart: null, windowEnd: null }],
        diagnosis: null,
        data: null,
        search: [],
        metric: null,
        championMetrics: {},
        challengerMetrics: {},
        decision: 'REJECTED',
        reason: 'unknown model "nope": no promoted version and no predictions in the log',
        variants: [],
        verification: null,
      }),
    );
    expect(text).toContain('churn-1-abcd  churn  REJECTED\n');
    expect(text).toContain('  triggers      MANUAL\n');
    expect(text).toContain('  versions      champion (none) → challenger -\n');
    expect(text).toContain('  decision      REJECTED: unknown model "nope": no promoted version and no predictions in the log\n');
    for (const key of ['data', 'drift', 'test split', 'variants', 'verification']) expect(text).toMatch(new RegExp(`  ${key} +-\\n`));
    expect(text).not.toContain('later');
  });

  it('says when training is still running and when the verification waits', () => {
    expect(incidentText(incident({ status: 'TRAINING', decision: null, verification: null }))).toContain('decision      (pending)');
    const pending = incidentText(incident({ status: 'PROMOTED', verification: { status: 'PENDING', baseline: null, observed: null, labelled: 12, tolerance: 0.05, at: null } }));
    expect(pending).toContain('verification  PENDING (12 labelled predictions so far; no baseline)');
  });

  it('lists at most three triggers and counts the rest', () => {
    const t = incident().triggers[0]!;
    const triggers = Array.from({ length: 5 }, (_, i) => ({ ...t, alertId: `a-${i}` }));
    const text = incidentText(incident({ triggers }));
    expect(text).toMatch(/\(alert a-2\); \+2 more\n/);
    expect(triggerText({ ...t, value: null, threshold: null, metric: null, severity: 'CRITICAL', kind: 'PERFORMANCE' })).toBe('PERFORMANCE CRITICAL (alert a-1)');
  });

  it('separates incidents by a blank line and says so when there are none', () => {
    expect(incidentsText([])).toBe('No incidents: no retrain has run yet.\n');
    expect(incidentsText([], 'churn')).toBe('No incidents for model churn.\n');
    const two = incidentsText([incident(), incident({ id: 'churn-2' })]);
    expect(two).toContain('\n\nchurn-2  churn  RECOVERED\n');
  });

  it('details one incident with the search table (best row starred) and the diagnosis', () => {
    const text = incidentDetailText(incident());
    expect(text).toContain('Search (validation):\n');
    expect(text).toMatch(/\n\* +0\.003 +5 +0 +0\.8800 +0\.4000 +4 +1\.1\n/);
    expect(text).toMatch(/tenure +psi +0\.4000 +0\.1000 +yes/);
    expect(text).toMatch(/prediction +jensenshannon +0\.0500 +0\.1000 +no/);
    expect(text).toMatch(/yes +0\.9000 +0\.5000 +0\.8000 +0\.7000 +100 +90/);
  });
});

describe('retrainer URL', () => {
  it('takes --url, else DW_RETRAINER_URL, else the default, without a trailing slash', () => {
    expect(retrainerUrl(undefined, {})).toBe(DEFAULT_RETRAINER_URL);
    expect(retrainerUrl(undefined, { DW_RETRAINER_URL: 'http://r:1/' })).toBe('http://r:1');
    expect(retrainerUrl('http://x:2', { DW_RETRAINER_URL: 'http://r:1' })).toBe('http://x:2');
    expect(() => retrainerUrl('not a url', {})).toThrow(CliError);
    expect(() => retrainerUrl('ftp://x', {})).toThrow(/only http and https/);
  });
});

describe('retrain and incidents commands over HTTP', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
    server = undefined;
  });

  async function serve(handler: (method: string, url: string) => { status: number; body: unknown }): Promise<string> {
    server = createServer((req, res) => {
      const reply = handler(req.method!, req.url!);
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply.body));
    });
    await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
    return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
  }

  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, env);

  it('POSTs /retrain/<model> (encoded) and reports the request', async () => {
    const seen: string[] = [];
    const url = await serve((method, path) => {
      seen.push(`${method} ${path}`);
      return { status: 202, body: { model: 'a b', status: 'pending' } };
    });
    const { stdout, error } = await run(['retrain', 'a b', '--url', url]);
    expect(error).toBeUndefined();
    expect(seen).toEqual(['POST /retrain/a%20b']);
    expect(stdout).toMatch(/^Retrain of a b requested \(pending\)/);
  });

  it('GETs /incidents with the limit, by model, or one by id; --json prints the body', async () => {
    const seen: string[] = [];
    const url = await serve((method, path) => {
      seen.push(`${method} ${path}`);
      if (path.startsWith('/incidents/churn/churn-1-abcd')) return { status: 200, body: incident() };
      return { status: 200, body: [incident()] };
    });
    const env = { DW_RETRAINER_URL: url };
    expect((await run(['incidents', '--limit', '5'], env)).stdout).toContain('churn-1-abcd  churn  RECOVERED');
    expect((await run(['incidents', 'churn'], env)).stdout).toContain('verification  RECOVERED');
    expect((await run(['incidents', 'churn', 'churn-1-abcd'], env)).stdout).toContain('Search (validation):');
    const json = await run(['incidents', 'churn', '--json'], env);
    expect(JSON.parse(json.stdout)).toEqual([incident()]);
    expect(seen).toEqual(['GET /incidents?limit=5', 'GET /incidents/churn?limit=20', 'GET /incidents/churn/churn-1-abcd', 'GET /incidents/churn?limit=20']);
  });

  it('turns an error reply into a one-line CliError', async () => {
    const url = await serve(() => ({ status: 404, body: { error: 'no such incident' } }));
    const { error } = await run(['incidents', 'churn', 'x', '--url', url]);
    expect(error).toBeInstanceOf(CliError);
    expect((error as Error).message).toBe(`the retrainer at ${url} answered GET /incidents/churn/x with 404: no such incident`);
  });

  it('says clearly when the retrainer cannot be reached', async () => {
    const url = await serve(() => ({ status: 200, body: null }));
    await new Promise<void>((done) => server!.close(() => done()));
    server = undefined;
    for (const args of [['retrain', 'churn', '--url', url], ['incidents', '--url', url]]) {
      const { error } = await run(args);
      expect(error).toBeInstanceOf(CliError);
      expect((error as Error).message).toBe(`cannot reach the retrainer at ${url} (connection refused); is it running? Set --url or DW_RETRAINER_URL`);
    }
  });
});
