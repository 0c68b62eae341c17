// deploy/prometheus.yml without Prometheus: it scrapes the ops port each service listens on by
// default, and the test config derived from it (test/support/prometheus.ts) keeps its jobs
// and paths. The real scrape is test/integration/prometheus-grafana.test.ts.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEPLOY_PROMETHEUS_CONFIG, testScrapeConfig } from '../../support/prometheus.js';

interface Config {
  global: Record<string, string>;
  scrape_configs: Array<{ job_name: string; metrics_path: string; static_configs: Array<{ targets: string[] }> }>;
}
const deployed = parse(readFileSync(DEPLOY_PROMETHEUS_CONFIG, 'utf8')) as Config;

/** The fallback of main.ts's `opsPortFromEnv(process.env, <port>)`: a number, or a constant it imports. */
function defaultOpsPort(main: string): string | undefined {
  const source = readFileSync(main, 'utf8');
  const argument = /opsPortFromEnv\(process\.env, (\w+)\)/.exec(source)?.[1];
  if (argument === undefined || /^\d+$/.test(argument)) return argument;
  const from = new RegExp(`import \\{[^}]*\\b${argument}\\b[^}]*\\} from '([^']+)\\.js'`).exec(source)?.[1];
  const module = from === undefined ? source : readFileSync(resolve(dirname(main), `${from}.ts`), 'utf8');
  return new RegExp(`const ${argument}\\b[^=]*= (\\d+)`).exec(module)?.[1];
}

describe('deploy/prometheus.yml', () => {
  it('has one job per service, scraping /metrics on the compose host of that name', () => {
    expect(deployed.scrape_configs.map((job) => [job.job_name, job.metrics_path, job.static_configs[0]!.targets])).toEqual([
      ['performance', '/metrics', ['performance:9464']],
      ['drift', '/metrics', ['drift:9465']],
      ['retrainer', '/metrics', ['retrainer:9466']],
      ['console', '/metrics', ['console:9467']],
      ['notifier', '/metrics', ['notifier:9468']],
    ]);
  });

  it("targets each service's default ops port (its main.ts), for the services this checkout has", () => {
    let checked = 0;
    for (const job of deployed.scrape_configs) {
      const main = resolve(import.meta.dirname, `../../../services/${job.job_name}/main.ts`);
      if (!existsSync(main)) continue;
      const fallback = defaultOpsPort(main);
      expect(fallback, `${main} names no default ops port`).toBeDefined();
      expect(job.static_configs[0]!.targets).toEqual([`${job.job_name}:${fallback}`]);
      checked += 1;
    }
    expect(checked).toBeGreaterThanOrEqual(3);
  });
});

describe('testScrapeConfig', () => {
  it('keeps the jobs and paths, moves the targets to loopback ports, and shortens the intervals', () => {
    const { text, omitted } = testScrapeConfig({ performance: 41001, retrainer: 41003 }, '2s');
    const config = parse(text) as Config;
    expect(config.global).toMatchObject({ scrape_interval: '2s', scrape_timeout: '2s', evaluation_interval: '2s' });
    expect(config.scrape_configs).toEqual([
      { job_name: 'performance', metrics_path: '/metrics', static_configs: [{ targets: ['127.0.0.1:41001'] }] },
      { job_name: 'retrainer', metrics_path: '/metrics', static_configs: [{ targets: ['127.0.0.1:41003'] }] },
    ]);
    expect(omitted).toEqual(['drift', 'console', 'notifier']);
  });

  it('refuses a job the deploy file does not have', () => {
    expect(() => testScrapeConfig({ performance: 1, monitor: 2 })).toThrow(/has no job monitor \(its jobs: performance, drift, retrainer, console, notifier\)/);
  });
});
