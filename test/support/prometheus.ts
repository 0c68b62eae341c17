// A real Prometheus (Debian's /usr/bin/prometheus; PROMETHEUS_BIN overrides) for tests: the
// scrape config is derived from deploy/prometheus.yml, the one shipped to users, so a test
// scrapes the same jobs and paths with only the targets moved to where its services listen.
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { startReadyBinary } from './ready-binary.js';

export const DEPLOY_PROMETHEUS_CONFIG = resolve(import.meta.dirname, '../../deploy/prometheus.yml');

interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  static_configs?: Array<{ targets: string[] }>;
  [option: string]: unknown;
}

export interface TestScrapeConfig {
  /** The config, as YAML. */
  text: string;
  /** Jobs of the deploy file that `ports` did not name, left out. */
  omitted: string[];
}

/**
 * deploy/prometheus.yml with each job's targets replaced by 127.0.0.1:<its port> and a short
 * scrape interval; jobs without a port are left out (and named in `omitted`).
 */
export function testScrapeConfig(ports: Readonly<Record<string, number>>, scrapeInterval = '1s', source = DEPLOY_PROMETHEUS_CONFIG): TestScrapeConfig {
  const config = parse(readFileSync(source, 'utf8')) as { global?: Record<string, unknown>; scrape_configs: ScrapeConfig[] };
  const jobs = config.scrape_configs.map((job) => job.job_name);
  const unknown = Object.keys(ports).filter((job) => !jobs.includes(job));
  if (unknown.length > 0) throw new Error(`${source} has no job ${unknown.join(', ')} (its jobs: ${jobs.join(', ')})`);
  const kept = config.scrape_configs
    .filter((job) => ports[job.job_name] !== undefined)
    .map((job) => ({ ...job, static_configs: [{ targets: [`127.0.0.1:${ports[job.job_name]}`] }] }));
  const global = { ...config.global, scrape_interval: scrapeInterval, scrape_timeout: scrapeInterval, evaluation_interval: scrapeInterval };
  return { text: stringify({ ...config, global, scrape_configs: kept }), omitted: jobs.filter((job) => ports[job] === undefined) };
}

export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

export interface PromTarget {
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

export interface RunningPrometheus {
  readonly url: string;
  readonly child: ChildProcess;
  /** Its output so far (the tail), for failure messages. */
  output(): string;
  /** An instant query (/api/v1/query); vector results only. */
  query(expr: string): Promise<PromSample[]>;
  /** The active targets (/api/v1/targets). */
  targets(): Promise<PromTarget[]>;
  /** SIGTERM, wait for the exit, remove the storage. */
  stop(): Promise<void>;
}

/** Starts Prometheus on a free loopback port with `configText`; resolves once /-/ready answers 200. */
export async function startPrometheus(configText: string, binary = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus'): Promise<RunningPrometheus> {
  const server = await startReadyBinary(
    'Prometheus',
    binary,
    (dir) => writeFileSync(join(dir, 'prometheus.yml'), configText),
    (port, dir) => [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
  );
  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${server.url}${path}`);
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${path}: ${response.status} ${body.error ?? ''}`);
    return body.data;
  };
  return {
    url: server.url,
    child: server.child,
    output: server.output,
    stop: server.stop,
    query: async (expr) => {
      const data = await api<{ resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> }>(
        `/api/v1/query?query=${encodeURIComponent(expr)}`,
      );
      if (data.resultType !== 'vector') throw new Error(`${expr}: a ${data.resultType}, not a vector`);
      return data.result.map(({ metric, value }) => ({ metric, value: Number(value[1]) }));
    },
    targets: async () => (await api<{ activeTargets: PromTarget[] }>('/api/v1/targets?state=active')).activeTargets,
  };
}
