import { describe, expect, it } from 'vitest';
import { configErrorOf } from '../../support/config-error.js';
import {
  DEFAULT_RETRAIN_POLICY,
  loadMonitoringConfig,
  parseMonitoringConfig,
  resolveModelConfig,
} from '../../../shared/config/monitoring-config.js';

const retrainOf = (input: unknown, model = 'churn') => resolveModelConfig(parseMonitoringConfig(input), model).retrain;

describe('retrain policy in the monitoring config', () => {
  it('gives every model the design defaults, durations in ms', () => {
    expect(retrainOf({})).toEqual({
      enabled: true,
      triggers: [{ kind: 'CONCEPT_DRIFT' }, { kind: 'DATA_DRIFT', metric: 'dataset_drift_share' }, { kind: 'PERFORMANCE', minSeverity: 'CRITICAL' }],
      debounceMs: 10_000,
      cooldownMs: 600_000,
      minExamples: 500,
      windowMs: 3_600_000,
      preDriftShare: 0.1,
      metric: 'accuracy',
      margin: 0.02,
      split: { validation: 0.2, test: 0.2 },
      grid: { learningRate: [0.003, 0.01], epochs: [5, 15], l2: [0, 0.0001] },
      quantize: ['float16', 'uint8'],
      parity: { float16: { minClassAgreement: 0.99 }, uint8: { minClassAgreement: 0.97 }, maxMetricDelta: 0.01 },
      verifyAfter: 500,
      recoveryTolerance: 0.05,
      batchSize: 64,
      patience: 3,
      seed: 7,
      retry: { initialDelayMs: 30_000, maxDelayMs: 600_000, maxAttempts: 5 },
    });
  });

  it('hands out copies: mutating one resolved policy leaves the defaults alone', () => {
    const policy = retrainOf({});
    policy.triggers.push({ kind: 'DATA_QUALITY' });
    policy.grid.epochs.push(99);
    policy.quantize.pop();
    expect(DEFAULT_RETRAIN_POLICY.triggers).toHaveLength(3);
    expect(DEFAULT_RETRAIN_POLICY.grid.epochs).toEqual([5, 15]);
    expect(retrainOf({}).quantize).toEqual(['float16', 'uint8']);
  });

  it('merges built-in ← defaults.retrain ← models.<m>.retrain field by field; lists replace', () => {
    const config = parseMonitoringConfig({
      defaults: {
        retrain: {
          debounce: '30s',
          cooldown: '1h',
          metric: 'f1_macro',
          split: { validation: 0.1 },
          grid: { learningRate: [0.01], epochs: [3, 6] },
          parity: { uint8: { minClassAgreement: 0.9 }, maxMetricDelta: 0.05 },
          triggers: [{ kind: 'CONCEPT_DRIFT' }],
          retry: { initialDelay: '5s', maxAttempts: 3 },
        },
      },
      models: {
        churn: {
          retrain: {
            window: '2h',
            split: { test: 0.3 },
            grid: { epochs: [20] },
            parity: { float16: { minClassAgreement: 0.995 } },
            quantize: ['uint8'],
            triggers: [{ kind: 'PERFORMANCE', metric: 'accuracy', minSeverity: 'WARNING' }],
            seed: 11,
            retry: { maxDelay: '1m' },
          },
        },
        other: { bins: 10 },
      },
    });
    const churn = resolveModelConfig(config, 'churn').retrain;
    expect(churn).toMatchObject({
      debounceMs: 30_000,
      cooldownMs: 3_600_000,
      windowMs: 7_200_000,
      metric: 'f1_macro',
      split: { validation: 0.1, test: 0.3 },
      grid: { learningRate: [0.01], epochs: [20], l2: [0, 0.0001] },
      parity: { float16: { minClassAgreement: 0.995 }, uint8: { minClassAgreement: 0.9 }, maxMetricDelta: 0.05 },
      quantize: ['uint8'],
      triggers: [{ kind: 'PERFORMANCE', metric: 'accuracy', minSeverity: 'WARNING' }],
      seed: 11,
      minExamples: 500,
      retry: { initialDelayMs: 5_000, maxDelayMs: 60_000, maxAttempts: 3 },
    });
    // A model section without retrain: gets defaults.retrain; so does a model with no section.
    for (const model of ['other', 'unknown']) {
      expect(resolveModelConfig(config, model).retrain).toMatchObject({
        debounceMs: 30_000,
        windowMs: 3_600_000,
        split: { validation: 0.1, test: 0.2 },
        triggers: [{ kind: 'CONCEPT_DRIFT' }],
        quantize: ['float16', 'uint8'],
        retry: { initialDelayMs: 5_000, maxDelayMs: 600_000, maxAttempts: 3 },
      });
    }
  });

  it('accepts enabled: false, empty triggers and no quantization', () => {
    expect(retrainOf({ models: { churn: { retrain: { enabled: false, triggers: [], quantize: [] } } } })).toMatchObject({
      enabled: false,
      triggers: [],
      quantize: [],
    });
    expect(retrainOf({ defaults: { retrain: { debounce: 0, cooldown: '0ms' } } })).toMatchObject({ debounceMs: 0, cooldownMs: 0 });
  });

  it('accepts trigger metrics as alerts publish them and as rule metrics naming features', () => {
    const policy = retrainOf({
      defaults: {
        retrain: {
          triggers: [
            { kind: 'DATA_DRIFT', metric: 'drift' },
            { kind: 'DATA_DRIFT', metric: 'drift:tenure' },
            { kind: 'DATA_QUALITY', metric: 'missing_rate:*' },
            { kind: 'PERFORMANCE', metric: 'label_coverage' },
            { kind: 'PREDICTION_DRIFT', metric: 'prediction_drift' },
          ],
        },
      },
    });
    expect(policy.triggers).toHaveLength(5);
  });

  it.each([
    [{ defaults: { retrain: { enabled: 'yes' } } }, /defaults\.retrain\.enabled: expected boolean, got string/],
    [{ models: { churn: { retrain: { debounce: '10 seconds' } } } }, /models\.churn\.retrain\.debounce: expected a duration/],
    [{ models: { churn: { retrain: { window: 0 } } } }, /models\.churn\.retrain\.window: must be longer than 0/],
    [{ models: { churn: { retrain: { triggers: [{ kind: 'DRIFT' }] } } } }, /models\.churn\.retrain\.triggers\[0\]\.kind: expected one of "DATA_DRIFT"/],
    [{ models: { churn: { retrain: { triggers: [{ kind: 'PERFORMANCE', minSeverity: 'HIGH' }] } } } }, /retrain\.triggers\[0\]\.minSeverity: expected one of "INFO", "WARNING", "CRITICAL"/],
    [{ models: { churn: { retrain: { triggers: [{ kind: 'PERFORMANCE', metric: 'dataset_drift_share' }] } } } }, /retrain\.triggers\[0\]\.metric: dataset_drift_share alerts are DATA_DRIFT, never PERFORMANCE/],
    [{ models: { churn: { retrain: { triggers: [{ kind: 'PERFORMANCE', metric: 'acuracy' }] } } } }, /retrain\.triggers\[0\]\.metric: unknown metric acuracy/],
    [{ models: { churn: { retrain: { triggers: [{ kind: 'CONCEPT_DRIFT', severity: 'CRITICAL' }] } } } }, /retrain\.triggers\[0\]: unknown field severity/],
    [{ models: { churn: { retrain: { minExamples: 0 } } } }, /retrain\.minExamples: /],
    [{ models: { churn: { retrain: { preDriftShare: 1.5 } } } }, /retrain\.preDriftShare: /],
    [{ models: { churn: { retrain: { metric: 'f1' } } } }, /retrain\.metric: expected one of "accuracy", "f1_macro", "balanced_accuracy"/],
    [{ models: { churn: { retrain: { margin: -0.1 } } } }, /retrain\.margin: /],
    [{ models: { churn: { retrain: { split: { validation: 0 } } } } }, /retrain\.split\.validation: /],
    [{ models: { churn: { retrain: { split: { validation: 0.5, test: 0.5 } } } } }, /models\.churn\.retrain\.split: validation \(0\.5\) \+ test \(0\.5\) must be below 1/],
    [{ defaults: { retrain: { split: { validation: 0.6 } } }, models: { churn: { retrain: { split: { test: 0.4 } } } } }, /models\.churn\.retrain\.split: validation \(0\.6\) \+ test \(0\.4\)/],
    [{ defaults: { retrain: { split: { validation: 0.9 } } } }, /defaults\.retrain\.split: validation \(0\.9\) \+ test \(0\.2\)/],
    [{ models: { churn: { retrain: { grid: { epochs: [] } } } } }, /retrain\.grid\.epochs: /],
    [{ models: { churn: { retrain: { grid: { epochs: [2.5] } } } } }, /retrain\.grid\.epochs\[0\]: /],
    [{ models: { churn: { retrain: { grid: { learningRate: [0] } } } } }, /retrain\.grid\.learningRate\[0\]: /],
    [{ models: { churn: { retrain: { grid: { l2: [-1] } } } } }, /retrain\.grid\.l2\[0\]: /],
    [{ models: { churn: { retrain: { grid: { dropout: [0.1] } } } } }, /retrain\.grid: unknown field dropout/],
    [{ models: { churn: { retrain: { quantize: ['int4'] } } } }, /retrain\.quantize\[0\]: expected one of "float16", "uint8"/],
    [{ models: { churn: { retrain: { quantize: ['uint8', 'uint8'] } } } }, /retrain\.quantize: lists a precision twice/],
    [{ models: { churn: { retrain: { parity: { uint8: { minClassAgreement: 2 } } } } } }, /retrain\.parity\.uint8\.minClassAgreement: /],
    [{ models: { churn: { retrain: { verifyAfter: 0 } } } }, /retrain\.verifyAfter: /],
    [{ models: { churn: { retrain: { batchSize: 1.5 } } } }, /retrain\.batchSize: /],
    [{ models: { churn: { retrain: { patience: 0 } } } }, /retrain\.patience: /],
    [{ models: { churn: { retrain: { seed: 'seven' } } } }, /retrain\.seed: expected number, got string/],
    [{ models: { churn: { retrain: { cooldwn: '5m' } } } }, /models\.churn\.retrain: unknown field cooldwn/],
    [{ models: { churn: { retrain: { retry: { maxAttempts: 0 } } } } }, /retrain\.retry\.maxAttempts: /],
    [{ models: { churn: { retrain: { retry: { initialDelay: 0 } } } } }, /retrain\.retry\.initialDelay: must be longer than 0/],
    [{ models: { churn: { retrain: { retry: { delay: '1s' } } } } }, /retrain\.retry: unknown field delay/],
    [{ defaults: { retrain: { retry: { initialDelay: '1m' } } }, models: { churn: { retrain: { retry: { maxDelay: '30s' } } } } }, /models\.churn\.retrain\.retry: maxDelay \(30000 ms\) must not be below initialDelay \(60000 ms\)/],
  ])('rejects %j naming the field', (input, message) => {
    expect(configErrorOf(() => parseMonitoringConfig(input))).toMatch(message);
  });

  it('the example file configures retraining', () => {
    const config = loadMonitoringConfig({ path: 'examples/monitoring.yaml', env: {} });
    const churn = resolveModelConfig(config, 'churn').retrain;
    expect(churn).toMatchObject({ enabled: true, metric: 'f1_macro', cooldownMs: 1_800_000, split: { validation: 0.2, test: 0.2 } });
    expect(resolveModelConfig(config, 'house-prices').retrain.enabled).toBe(false);
  });
});
