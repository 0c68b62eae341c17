// The Grafana files under deploy/grafana without Grafana: the dashboard's panels use the
// provisioned datasource, each query names metrics, and the PromQL scan that the integration
// test (prometheus-grafana.test.ts) checks against the services' /metrics reads them right.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dashboardQueries, exportedSampleNames, metricSelectors, missingMetrics, promqlOf, variableServices } from '../../support/dashboard-metrics.js';

const deploy = resolve(import.meta.dirname, '../../../deploy/grafana');
const dashboard = JSON.parse(readFileSync(resolve(deploy, 'dashboards/driftwatch.json'), 'utf8')) as {
  uid: string;
  panels: Array<{ id: number; type: string; title: string; datasource?: { uid: string }; targets?: Array<{ datasource?: { uid: string }; expr: string }> }>;
};
const datasources = parse(readFileSync(resolve(deploy, 'provisioning/datasources/prometheus.yml'), 'utf8')) as {
  datasources: Array<{ uid: string; type: string }>;
};
const providers = parse(readFileSync(resolve(deploy, 'provisioning/dashboards/driftwatch.yml'), 'utf8')) as {
  providers: Array<{ type: string; options: { path: string } }>;
};

describe('deploy/grafana', () => {
  it('every panel with queries uses the provisioned Prometheus datasource, by uid', () => {
    const [prometheus] = datasources.datasources;
    expect(prometheus).toMatchObject({ type: 'prometheus', uid: 'driftwatch-prometheus' });
    const queried = dashboard.panels.filter((panel) => panel.targets !== undefined);
    expect(queried.length).toBeGreaterThanOrEqual(7);
    for (const panel of queried) {
      expect(panel.datasource?.uid, panel.title).toBe(prometheus!.uid);
      for (const target of panel.targets!) expect(target.datasource?.uid, panel.title).toBe(prometheus!.uid);
    }
  });

  it('panel ids are unique and the provider loads files from one folder', () => {
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(providers.providers).toEqual([expect.objectContaining({ type: 'file', options: expect.objectContaining({ path: '/var/lib/grafana/dashboards/driftwatch' }) })]);
  });

  it('shows what issue 10 asks for: throughput, lag, DLQ, Redis calls, window update time, alerts, retrains', () => {
    const metrics = new Set(dashboardQueries(dashboard).flatMap(({ expr }) => metricSelectors(expr).map((s) => s.metric)));
    for (const metric of [
      'driftwatch_events_consumed_total',
      'driftwatch_consumer_lag',
      'driftwatch_dlq_total',
      'driftwatch_redis_calls_total',
      'driftwatch_window_update_seconds_bucket',
      'driftwatch_alerts_total',
      'driftwatch_retrains_total',
    ]) {
      expect(metrics, metric).toContain(metric);
    }
  });
});

describe('metricSelectors', () => {
  it('finds metrics, not functions, grouping labels, ranges, strings or variables', () => {
    expect(metricSelectors('histogram_quantile(0.95, sum by (service, le) (rate(driftwatch_window_update_seconds_bucket[$__rate_interval])))')).toEqual([
      { metric: 'driftwatch_window_update_seconds_bucket', services: null },
    ]);
    expect(
      metricSelectors('sum without (instance) (rate(a_sum{job="x"}[5m] offset 1h)) / on (service) group_left (topic) sum(rate(a_count[${interval}])) > bool 0.5e3'),
    ).toEqual([
      { metric: 'a_sum', services: null },
      { metric: 'a_count', services: null },
    ]);
    expect(metricSelectors('label_replace(up{job=~"a|b"}, "dst", "some_label_value", "src", "(.*)")')).toEqual([{ metric: 'up', services: null }]);
  });

  it('reads Grafana\'s label_values() as its selector, and a variable service matcher as any service', () => {
    expect(metricSelectors('label_values(driftwatch_window_update_seconds_count, service)')).toEqual([
      { metric: 'driftwatch_window_update_seconds_count', services: null },
    ]);
    expect(metricSelectors('sum(rate(c_total{service=~"$service"}[$__rate_interval])) + d{service="${service}"}')).toEqual([
      { metric: 'c_total', services: null, variable: 'service' },
      { metric: 'd', services: null, variable: 'service' },
    ]);
  });

  it('reads the service a selector is about from its `service` matcher', () => {
    expect(metricSelectors('increase(driftwatch_retrains_total{service="retrainer", status!="FAILED"}[1m])')).toEqual([
      { metric: 'driftwatch_retrains_total', services: ['retrainer'] },
    ]);
    expect(metricSelectors('x_total{service=~"performance|drift"} + y_total{topic="service=\\"z\\""}')).toEqual([
      { metric: 'x_total', services: ['performance', 'drift'] },
      { metric: 'y_total', services: null },
    ]);
  });
});

describe('dashboardQueries and promqlOf', () => {
  it('lists panel targets and query variables, and turns them into PromQL with the variables\' values', () => {
    const queries = dashboardQueries({
      panels: [{ type: 'row', title: 'r', panels: [{ title: 'p', targets: [{ expr: 'rate(c_total{service=~"$service"}[${__rate_interval}])' }, { expr: '' }] }] }],
      templating: { list: [{ name: 'service', type: 'query', query: { query: 'label_values(h_count, service)' } }, { name: 'i', type: 'interval', query: '1m,5m' }] },
    });
    expect(queries).toEqual([
      { panel: 'p', expr: 'rate(c_total{service=~"$service"}[${__rate_interval}])' },
      { panel: 'variable "service"', expr: 'label_values(h_count, service)' },
    ]);
    const values = { service: '.*', __rate_interval: '1m' };
    expect(queries.map((q) => promqlOf(q.expr, values))).toEqual(['rate(c_total{service=~".*"}[1m])', 'h_count']);
    expect(promqlOf('x{a="$unknown"}', values)).toBe('x{a="$unknown"}');
  });

  it("the dashboard pins each service's own metrics to it and filters the shared runtime's by the service variable", () => {
    const owner = (metric: string) => (/^driftwatch_(retrain|notify|console)/.exec(metric)?.[1] ?? '').replace('retrain', 'retrainer').replace('notify', 'notifier');
    for (const { panel, expr } of dashboardQueries(dashboard)) {
      for (const selector of metricSelectors(expr).filter((s) => s.metric.startsWith('driftwatch_') && !panel.startsWith('variable'))) {
        const pinned = owner(selector.metric);
        expect(selector.variable ?? selector.services, `${panel}: ${expr}`).toEqual(pinned === '' ? 'service' : [pinned]);
      }
    }
  });
});

describe('missingMetrics', () => {
  const exposition = [
    '# HELP c_total a counter',
    '# TYPE c_total counter',
    'c_total{service="a"} 3',
    '# TYPE h_seconds histogram',
    'h_seconds_bucket{le="+Inf",service="a"} 0',
    '# TYPE only_b gauge',
  ].join('\n');

  it('reads histogram families as their _bucket, _sum and _count series', () => {
    expect([...exportedSampleNames(exposition)].sort()).toEqual(['c_total', 'h_seconds_bucket', 'h_seconds_count', 'h_seconds_sum', 'only_b']);
  });

  it('names each panel metric a service it is about does not export', () => {
    const exports = { a: exportedSampleNames(exposition.replace('# TYPE only_b gauge', '')), b: exportedSampleNames('# TYPE only_b gauge') };
    const queries = [
      { panel: 'ok', expr: 'rate(c_total{service="a"}[1m]) + histogram_quantile(0.5, rate(h_seconds_bucket{service="a"}[1m])) + h_seconds_sum{service="a"}' },
      { panel: 'typo', expr: 'rate(c_totl{service="a"}[1m])' },
      { panel: 'everywhere', expr: 'only_b' },
      { panel: 'unchecked', expr: 'c_total{service="c"}' },
      { panel: 'absent here', expr: 'c_total{service="gone"}' },
      { panel: 'prometheus', expr: 'up' },
      { panel: 'constant', expr: 'vector(1)' },
    ];
    expect(missingMetrics(queries, exports, { generated: new Set(['up']), absent: new Set(['gone']) })).toEqual([
      'panel "typo": c_totl is not exported by a',
      'panel "everywhere": only_b is not exported by a',
      'panel "unchecked": c_total is about service "c", which was not checked',
      'panel "constant": no metric in vector(1)',
    ]);
  });

  it('holds a panel filtered by a variable to the services that variable offers', () => {
    const exports = { a: exportedSampleNames(exposition.replace('# TYPE only_b gauge', '')), b: exportedSampleNames('# TYPE only_b gauge') };
    const variables = variableServices([{ panel: 'variable "service"', expr: 'label_values(h_seconds_count, service)' }, { panel: 'variable "other"', expr: 'label_values(only_b, service)' }], exports);
    expect(variables).toEqual({ service: ['a'], other: ['b'] });
    const queries = [
      { panel: 'ok', expr: 'rate(c_total{service=~"$service"}[1m])' },
      { panel: 'not in b', expr: 'c_total{service=~"$other"}' },
      { panel: 'unknown variable', expr: 'c_total{service=~"$nope"}' },
      { panel: 'variable "service"', expr: 'label_values(h_seconds_count, service)' },
      { panel: 'variable "typo"', expr: 'label_values(h_second_count, service)' },
    ];
    expect(missingMetrics(queries, exports, { variables })).toEqual([
      'panel "not in b": c_total is not exported by b',
      'panel "unknown variable": c_total is about the services of $nope, which offers none known',
      'variable "typo": h_second_count is exported by no service',
    ]);
  });
});
