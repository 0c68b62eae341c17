import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configErrorOf } from '../../support/config-error.js';
import {
  DEFAULT_ALERT_RULES,
  formatDuration,
  loadMonitoringConfig,
  parseDuration,
  parseMonitoringConfig,
  resolveModelConfig,
} from '../../../shared/config/monitoring-config.js';

describe('monitoring config', () => {
  it('gives a model without a section the defaults and says it was inferred', () => {
    const c = resolveModelConfig(parseMonitoringConfig({}), 'churn');
    expect(c.inferred).toBe(true);
    expect(c.bucketMs).toBe(10_000);
    expect(c.horizons.map((h) => [h.name, h.ms])).toEqual([['5m', 300_000], ['1h', 3_600_000], ['24h', 86_400_000]]);
    expect(c.evaluationHorizon.ms).toBe(300_000);
    expect(c.retentionMs).toBe(86_400_000 + 10_000 + 20_000);
    expect(c.conceptDrift.detector).toBe('adwin');
    expect(c.alerts.map((r) => r.metric)).toEqual(DEFAULT_ALERT_RULES.map((r) => r.metric));
    expect(c.task).toBeUndefined();
  });

  it('merges defaults under a model section; lists replace, objects merge', () => {
    const config = parseMonitoringConfig({
      defaults: { bins: 10, horizons: ['1m', '10m'], evaluationHorizon: '1m', conceptDrift: { options: { delta: 0.01 } }, drift: { features: { a: { threshold: 0.2 } } } },
      models: {
        churn: {
          task: 'binary',
          positiveLabel: 'yes',
          horizons: ['1m'],
          bucketMs: '30s',
          drift: { features: { b: { test: 'psi' } } },
          alerts: [{ metric: 'accuracy', comparison: 'below', warning: 0.8, critical: 0.7, cooldownMs: '5m', for: 3 }],
        },
      },
    });
    const c = resolveModelConfig(config, 'churn');
    expect(c.inferred).toBe(false);
    expect(c.bins).toBe(10);
    expect(c.bucketMs).toBe(30_000);
    expect(c.horizons.map((h) => h.ms)).toEqual([60_000]);
    expect(c.retentionMs).toBe(60_000 + 10_000 + 60_000);
    expect(c.conceptDrift.options).toEqual({ delta: 0.01 });
    expect(c.drift.features).toEqual({ a: { threshold: 0.2 }, b: { test: 'psi' } });
    const accuracy = c.alerts[0];
    expect(accuracy).toMatchObject({ metric: 'accuracy', warning: 0.8, critical: 0.7, cooldownMs: 300_000, for: 3, hysteresis: 0, minCount: 0 });
    // The configured rule comes first; the built-in ones are still there.
    expect(c.alerts.slice(1).map((r) => r.metric)).toEqual(DEFAULT_ALERT_RULES.map((r) => r.metric));
  });

  it('drops built-in rules with defaultAlerts: false and replaces one with the same metric', () => {
    const config = parseMonitoringConfig({
      models: { a: { defaultAlerts: false, alerts: [{ metric: 'f1', comparison: 'below', warning: 0.5 }] }, b: { alerts: [{ metric: 'missing_rate:*', comparison: 'above', warning: 0.3 }] } },
    });
    expect(resolveModelConfig(config, 'a').alerts.map((r) => r.metric)).toEqual(['f1']);
    const b = resolveModelConfig(config, 'b').alerts.filter((r) => r.metric === 'missing_rate:*');
    expect(b).toHaveLength(1);
    expect(b[0]?.warning).toBe(0.3);
  });

  it.each([
    [{ models: { churn: { alerts: [{ metric: 'accuracy', comparison: 'below', warning: 0.8 }, { metric: 'f1', comparison: 'below', warning: 'high' }] } } }, /models\.churn\.alerts\[1\]\.warning: expected number/],
    [{ models: { churn: { bins: -1 } } }, /models\.churn\.bins: /],
    [{ defaults: { task: 'binaryy' } }, /defaults\.task: expected one of "binary", "multiclass", "regression"/],
    [{ models: { m: { alerts: [{ metric: 'accuracy', comparison: 'below' }] } } }, /models\.m\.alerts\[0\]\.warning: accuracy needs a warning or critical level/],
    [{ models: { m: { alerts: [{ metric: 'accuracy', warning: 0.8 }] } } }, /models\.m\.alerts\[0\]\.comparison/],
    [{ models: { m: { alerts: [{ metric: 'accuracy', comparison: 'below', warning: 0.8, critical: 0.9 }] } } }, /alerts\[0\]\.critical: critical must be ≤ warning/],
    [{ models: { m: { alerts: [{ metric: 'drift:' }] } } }, /alerts\[0\]\.metric: unknown metric/],
    [{ models: { m: { horizon: ['5m'] } } }, /models\.m: unknown field horizon/],
    [{ models: { m: { horizons: ['5 minutes'] } } }, /models\.m\.horizons\[0\]: expected a duration/],
    [{ models: { m: { horizons: ['15s'], bucketMs: '10s', evaluationHorizon: '15s' } } }, /models\.m\.horizons: 15s is not a multiple of bucketMs/],
    [{ models: { m: { evaluationHorizon: '2m' } } }, /models\.m\.evaluationHorizon: 2m is not one of the horizons/],
    [{ models: { m: { features: { x: 'categorical' }, drift: { features: { x: { test: 'ks' } } } } } }, /drift\.features\.x\.test: ks does not apply to categorical/],
    [{ models: { m: { task: 'regression', positiveLabel: 'yes' } } }, /models\.m\.positiveLabel: only applies to task binary/],
    [{ models: { m: { drift: { features: { x: { test: 'nope' } } } } } }, /models\.m\.drift\.features\.x\.test: expected one of/],
    [{ models: { m: { conceptDrift: { detector: 'adwinn' } } } }, /models\.m\.conceptDrift\.detector/],
  ])('rejects %j naming the field', (input, message) => {
    expect(configErrorOf(() => parseMonitoringConfig(input))).toMatch(message);
  });

  it('refuses the removed examplesCap with why it went, in defaults and in a model, next to other problems', () => {
    expect(configErrorOf(() => parseMonitoringConfig({ defaults: { examplesCap: 10_000 } }))).toMatch(
      /defaults\.examplesCap: removed: it capped the Redis stream of joined examples.*Kafka log.*Delete the field/,
    );
    const both = configErrorOf(() => parseMonitoringConfig({ models: { churn: { examplesCap: 500, horizon: ['5m'] } } }));
    expect(both).toMatch(/models\.churn: unknown field horizon;/);
    expect(both).toMatch(/models\.churn\.examplesCap: removed/);
    expect(both).not.toMatch(/unknown fields?[^;]*examplesCap/);
    // Only where model settings sit: elsewhere it is just an unknown field.
    expect(configErrorOf(() => parseMonitoringConfig({ defaults: { retrain: { examplesCap: 5 } } }))).toMatch(/defaults\.retrain: unknown field examplesCap/);
  });

  it('reads YAML and JSON files, from an explicit path or DW_MONITORING_CONFIG', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-config-'));
    const yamlPath = join(dir, 'm.yaml');
    writeFileSync(yamlPath, 'models:\n  churn:\n    task: multiclass\n    bins: 7\n');
    const jsonPath = join(dir, 'm.json');
    writeFileSync(jsonPath, JSON.stringify({ defaults: { bins: 9 } }));
    expect(resolveModelConfig(loadMonitoringConfig({ path: yamlPath, env: {} }), 'churn').bins).toBe(7);
    expect(resolveModelConfig(loadMonitoringConfig({ env: { DW_MONITORING_CONFIG: jsonPath } }), 'x').bins).toBe(9);
    expect(resolveModelConfig(loadMonitoringConfig({ env: { DW_MONITORING_CONFIG_JSON: '{"defaults":{"bins":4}}' } }), 'x').bins).toBe(4);
    const badPath = join(dir, 'bad.yaml');
    writeFileSync(badPath, 'models:\n  churn:\n    bins: many\n');
    expect(configErrorOf(() => loadMonitoringConfig({ path: badPath, env: {} }))).toMatch(/bad\.yaml: models\.churn\.bins: expected number, got string/);
    expect(configErrorOf(() => loadMonitoringConfig({ path: join(dir, 'missing.yaml'), env: {} }))).toMatch(/cannot read/);
  });

  it('accepts the documented example file', () => {
    const config = loadMonitoringConfig({ path: 'examples/monitoring.yaml', env: {} });
    const churn = resolveModelConfig(config, 'churn');
    expect(churn).toMatchObject({ task: 'binary', positiveLabel: 'yes', evaluationDelayMs: 30_000 });
    expect(churn.alerts[0]).toMatchObject({ metric: 'accuracy', cooldownMs: 600_000, hysteresis: 0.02 });
    expect(resolveModelConfig(config, 'house-prices').conceptDrift).toEqual({ detector: 'page_hinkley', options: { threshold: 50 } });
  });

  it('parses and formats durations', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration(42)).toBe(42);
    expect(() => parseDuration('5 m')).toThrow(RangeError);
    expect(formatDuration(86_400_000)).toBe('1d');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(1500)).toBe('1500ms');
  });
});
