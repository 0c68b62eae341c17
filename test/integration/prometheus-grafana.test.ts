// deploy/prometheus.yml and the Grafana dashboard against the real thing: the driftwatch
// services run as their own processes on the real Kafka and Redis, a real Prometheus scrapes
// them with the deploy file's jobs (targets moved to the test's ports, 1 s interval), the
// test sends events and then reads Prometheus's HTTP API until the series show them. Then
// every metric the dashboard queries must be in the /metrics output of the services its
// panel is about, and every panel query must be PromQL that this Prometheus accepts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { freePorts } from '../../scripts/local-services.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import { DriftwatchClient } from '../../shared/sdk/index.js';
import { malformedMessages } from '../../shared/sim/malformed.js';
import { generateScenario } from '../../shared/sim/scenario.js';
import { topicNames, topicSpecs } from '../../shared/topics.js';
import { kafkaBrokerList, kafkaBrokers, redisUrl, uniqueName } from '../setup/env.js';
import { dashboardQueries, exportedSampleNames, missingMetrics, promqlOf, variableServices } from '../support/dashboard-metrics.js';
import { httpGet } from '../support/http-get.js';
import { startPrometheus, testScrapeConfig, type RunningPrometheus } from '../support/prometheus.js';
import { hasService, startServiceFleet, type ServiceFleet } from '../support/service-fleet.js';
import { until } from '../support/until.js';

const PREDICTIONS = 400;
const MALFORMED = 7;
/** The console and notifier join when this checkout has them (they were built alongside). */
const SERVICES = ['performance', 'drift', 'retrainer', ...['console', 'notifier'].filter(hasService)];
/**
 * Services of deploy/prometheus.yml this checkout lacks: their panels cannot be checked here
 * (and are, in a checkout that has them; the list is then empty).
 */
const ABSENT = new Set(['console', 'notifier'].filter((name) => !hasService(name)));
/** Series Prometheus makes itself for each target; no service exports them. */
const PROMETHEUS_GENERATED = new Set(['up']);

const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const dashboardFile = resolve(import.meta.dirname, '../../deploy/grafana/dashboards/driftwatch.json');
const prefix = `${uniqueName('prom')}.`;
const topics = topicNames(prefix);
const model = uniqueName('prom-model');
const scenario = generateScenario({ model, modelVersion: '1', seed: 5, count: PREDICTIONS, eventsPerSecond: 100, labelDelayMs: [100, 2_000], unlabelledShare: 0 });
const malformed = malformedMessages(3, MALFORMED, { model, kinds: ['random-bytes', 'empty-payload'] });

let bus: KafkaBus;
let fleet: ServiceFleet;
let prometheus: RunningPrometheus;
let omittedJobs: string[];
let storeDir: string;
let webhook: Server;

/** The value of a single-series (or summed) instant query; 0 when it has no series yet. */
async function scalar(expr: string): Promise<number> {
  const samples = await prometheus.query(expr);
  return samples.reduce((sum, sample) => sum + sample.value, 0);
}

beforeAll(async () => {
  bus = await KafkaBus.connect({ brokers: kafkaBrokerList(), logger, clientId: 'prometheus-test' });
  await bus.ensureTopics(topicSpecs(topics, 1));
  storeDir = mkdtempSync(join(tmpdir(), 'dw-prom-models-'));
  const [consolePort] = await freePorts(1);
  // The notifier refuses to start without a sink: a webhook that takes whatever it is sent.
  webhook = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(204).end());
  });
  await new Promise<void>((done) => webhook.listen(0, '127.0.0.1', done));
  fleet = await startServiceFleet(
    SERVICES,
    {
      KAFKA_BROKERS: kafkaBrokers(),
      REDIS_URL: redisUrl(),
      DW_MODE: 'distributed',
      DW_TOPIC_PREFIX: prefix,
      DW_TOPIC_PARTITIONS: '1',
      DW_MONITORING_CONFIG_JSON: JSON.stringify({ models: { [model]: { task: 'binary', positiveLabel: 'yes' } } }),
      DW_MODEL_STORE: storeDir,
      LOG_LEVEL: 'warn',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
    },
    {
      console: { DW_CONSOLE_PORT: String(consolePort) },
      notifier: { DW_NOTIFY_WEBHOOK_URL: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/alerts` },
    },
  );
  const config = testScrapeConfig(fleet.ports);
  omittedJobs = config.omitted;
  prometheus = await startPrometheus(config.text);
}, 180_000);

afterAll(async () => {
  await prometheus?.stop();
  await fleet?.stop();
  await bus?.close();
  if (webhook) await new Promise((done) => webhook.close(done));
  if (storeDir) rmSync(storeDir, { recursive: true, force: true });
});

describe('Prometheus with deploy/prometheus.yml', () => {
  it('scrapes every running service: each job up, its driftwatch_* series labelled with its service', async () => {
    // Only jobs of services this checkout lacks may be left out of the test's config.
    expect(omittedJobs.filter((job) => hasService(job))).toEqual([]);
    const targets = await until(
      'every target up',
      () => prometheus.targets(),
      (list) => list.length === SERVICES.length && list.every((t) => t.health === 'up'),
      30_000,
    );
    expect(targets.map((t) => t.labels.job).sort()).toEqual([...SERVICES].sort());
    for (const target of targets) expect(target.scrapeUrl).toBe(`http://127.0.0.1:${fleet.ports[target.labels.job!]}/metrics`);

    for (const service of SERVICES) {
      const byService = await until(
        `${service}'s driftwatch_* series in Prometheus`,
        () => prometheus.query(`count by (service) ({job="${service}", __name__=~"driftwatch_.+"})`),
        (samples) => samples.length > 0,
        15_000,
      );
      // Every driftwatch series the job exposes names that service, and only it.
      expect(byService.map((s) => s.metric.service)).toEqual([service]);
    }
  });

  it('shows the events sent: consumed counts, dead letters, Redis calls, window updates, and a retrain by outcome', async () => {
    const client = new DriftwatchClient({ bus, topics });
    await client.logPredictions(scenario.predictions);
    await client.logLabels(scenario.labels);
    await bus.publish(topics.predictions, malformed.map(({ key, value, headers }) => ({ key, value, headers })));
    // A manual retrain of a model nobody logged: the retrainer decides REJECTED at once.
    const posted = await fetch(`http://127.0.0.1:${fleet.ports.retrainer}/retrain/${uniqueName('prom-unknown')}`, { method: 'POST' });
    expect(posted.status).toBe(202);

    const sentPredictions = PREDICTIONS + MALFORMED;
    for (const service of ['performance', 'drift']) {
      const consumed = await until(
        `${service} to have consumed ${sentPredictions} prediction messages, as Prometheus sees it`,
        () => scalar(`driftwatch_events_consumed_total{service="${service}", topic="${topics.predictions}"}`),
        (value) => value >= sentPredictions,
        60_000,
        fleet.processes[service],
      );
      expect(consumed).toBeGreaterThanOrEqual(sentPredictions);
      // Each malformed message is dead-lettered once by every service that reads it.
      const dlq = await until(`${service}'s dead letters`, () => scalar(`sum(driftwatch_dlq_total{service="${service}"})`), (v) => v >= MALFORMED, 15_000);
      expect(dlq).toBe(MALFORMED);
      expect(await scalar(`driftwatch_dlq_total{service="${service}", reason="MALFORMED"}`)).toBe(MALFORMED);
      expect(await scalar(`sum(driftwatch_redis_calls_total{service="${service}"})`)).toBeGreaterThan(0);
      expect(await scalar(`driftwatch_window_update_seconds_count{service="${service}"}`)).toBeGreaterThan(0);
      expect(await scalar(`driftwatch_consumer_lag{service="${service}", topic="${topics.predictions}"}`)).toBe(0);
    }
    const labels = await until(
      'performance to have consumed every label',
      () => scalar(`driftwatch_events_consumed_total{service="performance", topic="${topics.labels}"}`),
      (value) => value >= scenario.labels.length,
      60_000,
    );
    expect(labels).toBeGreaterThanOrEqual(scenario.labels.length);
    // The drift service does not read labels.
    expect(await prometheus.query(`driftwatch_events_consumed_total{service="drift", topic="${topics.labels}"}`)).toEqual([]);

    const rejected = await until(
      'one REJECTED retrain in driftwatch_retrains_total',
      () => scalar('driftwatch_retrains_total{service="retrainer", status="REJECTED"}'),
      (value) => value >= 1,
      30_000,
      fleet.processes.retrainer,
    );
    expect(rejected).toBe(1);
    expect(await scalar('driftwatch_retrain_duration_seconds_count{service="retrainer", status="REJECTED"}')).toBe(1);
  });
});

describe('the Grafana dashboard (deploy/grafana/dashboards/driftwatch.json)', () => {
  const dashboard = JSON.parse(readFileSync(dashboardFile, 'utf8')) as { panels: Array<{ targets?: Array<{ expr: string }> }> };
  const queries = dashboardQueries(dashboard);

  async function exportsByService(): Promise<Record<string, Set<string>>> {
    const exports: Record<string, Set<string>> = {};
    for (const service of SERVICES) {
      const metrics = await httpGet(fleet.ports[service]!, '/metrics');
      expect(metrics.status, `${service} /metrics`).toBe(200);
      exports[service] = exportedSampleNames(metrics.body);
    }
    return exports;
  }

  it('queries only metrics that the services its panels are about export', async () => {
    expect(queries.length).toBeGreaterThanOrEqual(10);
    const exports = await exportsByService();
    // The shared-runtime panels follow $service, which offers the services with its metric:
    // the monitors and the retrainer at least (the console has metrics of its own).
    const variables = variableServices(queries, exports);
    expect(variables.service).toEqual(expect.arrayContaining(['performance', 'drift', 'retrainer']));
    expect(missingMetrics(queries, exports, { generated: PROMETHEUS_GENERATED, variables, absent: ABSENT })).toEqual([]);
    // `up` is allowed because Prometheus makes it: it must really be there, 1 for every job.
    const up = await prometheus.query('up');
    expect(up.map((s) => [s.metric.job, s.value]).sort()).toEqual(SERVICES.map((job) => [job, 1]).sort());
  });

  it('fails a panel that names a metric no service exports', async () => {
    const exports = await exportsByService();
    const variables = variableServices(queries, exports);
    const renamed = queries.map((q) => ({ ...q, expr: q.expr.replace('driftwatch_consumer_lag', 'driftwatch_consumer_lag_messages') }));
    const missing = missingMetrics(renamed, exports, { generated: PROMETHEUS_GENERATED, variables, absent: ABSENT });
    expect(missing).toEqual(variables.service!.map((service) => `panel "Consumer lag": driftwatch_consumer_lag_messages is not exported by ${service}`));
    const everywhere = [{ panel: 'Resident memory', expr: 'process_resident_memory_byte' }];
    expect(missingMetrics(everywhere, exports)).toEqual(SERVICES.map((service) => `panel "Resident memory": process_resident_memory_byte is not exported by ${service}`));
    const misplaced = [{ panel: 'Retrains by outcome', expr: 'driftwatch_retrains_total{service="performance"}' }];
    expect(missingMetrics(misplaced, exports)).toEqual(['panel "Retrains by outcome": driftwatch_retrains_total is not exported by performance']);
  });

  it('every panel query is PromQL that Prometheus evaluates', async () => {
    const failures: string[] = [];
    // Grafana's variables as it sets them: $__rate_interval is 4 scrape intervals, $service "All".
    const variables = { __rate_interval: '4s', service: '.*' };
    for (const { panel, expr } of queries) {
      await prometheus.query(promqlOf(expr, variables)).catch((error: Error) => failures.push(`${panel}: ${error.message}`));
    }
    expect(failures).toEqual([]);
    // Grafana lists the service variable's values from Prometheus: the services whose /metrics have its metric.
    const variable = queries.find((q) => q.panel === 'variable "service"')!;
    const offered = await prometheus.query(`group by (service) (${promqlOf(variable.expr, variables)})`);
    expect(offered.map((s) => s.metric.service).sort()).toEqual(variableServices(queries, await exportsByService()).service!.sort());
    // The throughput panel, over a minute: rate() needs a counter that grew between two
    // scrapes, so more predictions go out now that the series exist.
    const throughput = promqlOf(queries.find((q) => q.panel === 'Events consumed per second')!.expr, { __rate_interval: '1m', service: '.*' });
    await new DriftwatchClient({ bus, topics }).logPredictions(scenario.predictions.slice(0, 100).map((p) => ({ ...p, id: `${p.id}-again` })));
    const consuming = await until(
      'the throughput panel to show both monitors consuming predictions',
      () => prometheus.query(throughput),
      (samples) => samples.filter((s) => s.metric.topic === topics.predictions && s.value > 0).length === 2,
      30_000,
    );
    expect(consuming.filter((s) => s.metric.topic === topics.predictions).map((s) => s.metric.service).sort()).toEqual(['drift', 'performance']);
  });
});
