// Per-model monitoring configuration: a JSON or YAML file with `defaults` for every model
// and `models.<name>` overrides, validated with zod so a bad file fails at start with the
// path of the offending field. See docs/config.md for every field and its default.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { AlertKind, Severity } from '../codec/events.generated.js';
import { STAT_TESTS } from '../stats/drift/stat-tests.js';
import type { StatTestName } from '../stats/drift/types.js';
import { ConfigError } from './runtime-config.js';

export { ConfigError };

export const MONITORING_CONFIG_ENV = 'DW_MONITORING_CONFIG';
/** Inline JSON config, for containers where mounting a file is awkward; the file wins when both are set. */
export const MONITORING_CONFIG_JSON_ENV = 'DW_MONITORING_CONFIG_JSON';

export type Task = 'binary' | 'multiclass' | 'regression';
export type FeatureType = 'numeric' | 'categorical' | 'boolean';
export type DetectorName = 'adwin' | 'ddm' | 'eddm' | 'hddm_a' | 'hddm_w' | 'page_hinkley' | 'kswin' | 'none';
export type Comparison = 'above' | 'below';

export const PERFORMANCE_METRICS = [
  'accuracy',
  'balanced_accuracy',
  'precision',
  'recall',
  'f1',
  'precision_macro',
  'recall_macro',
  'f1_macro',
  'precision_micro',
  'recall_micro',
  'f1_micro',
  'precision_weighted',
  'recall_weighted',
  'f1_weighted',
  'log_loss',
  'brier',
  'roc_auc',
  'roc_auc_ovr',
  'mae',
  'rmse',
  'mape',
  'r2',
  'label_coverage',
] as const;
export type PerformanceMetric = (typeof PERFORMANCE_METRICS)[number];

/** Metrics whose observation carries a verdict, so a rule on them may omit levels. */
const VERDICT_METRICS = /^(drift:.+|prediction_drift|dataset_drift_share|concept_drift)$/;
const FEATURE_METRICS = /^(drift|missing_rate|out_of_range|unseen_categories):(.+)$/;

/** Parsed form of a rule's metric name. */
export type MetricRef =
  | { family: 'performance'; name: PerformanceMetric }
  | { family: 'drift' | 'missing_rate' | 'out_of_range' | 'unseen_categories'; feature: string | '*' }
  | { family: 'prediction_drift' | 'dataset_drift_share' | 'concept_drift' };

export function parseMetric(metric: string): MetricRef | null {
  if ((PERFORMANCE_METRICS as readonly string[]).includes(metric)) {
    return { family: 'performance', name: metric as PerformanceMetric };
  }
  if (metric === 'prediction_drift' || metric === 'dataset_drift_share' || metric === 'concept_drift') {
    return { family: metric };
  }
  const m = FEATURE_METRICS.exec(metric);
  if (m) return { family: m[1] as 'drift', feature: m[2] as string };
  return null;
}

export function alertKindOf(ref: MetricRef): AlertKind {
  switch (ref.family) {
    case 'performance':
      return 'PERFORMANCE';
    case 'drift':
    case 'dataset_drift_share':
      return 'DATA_DRIFT';
    case 'prediction_drift':
      return 'PREDICTION_DRIFT';
    case 'concept_drift':
      return 'CONCEPT_DRIFT';
    default:
      return 'DATA_QUALITY';
  }
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** '10s' → 10000; a bare number is milliseconds. */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') return value;
  const m = DURATION.exec(value.trim());
  if (!m) throw new RangeError(`invalid duration ${JSON.stringify(value)}`);
  return Math.round(Number(m[1]) * (DURATION_UNITS[m[2] as string] as number));
}

/** 300000 → '5m': the shortest exact unit, used to name horizons in snapshots. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = DURATION_UNITS[unit] as number;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

const duration = z.union([
  z.number().int().nonnegative(),
  z.string().regex(DURATION, 'expected a duration like 500ms, 10s, 5m, 1h, 1d'),
]);
// The regex issue is reported already when the string is malformed; only judge well-formed ones.
const positiveDuration = duration.refine((v) => (typeof v === 'string' && !DURATION.test(v)) || parseDuration(v) > 0, 'must be longer than 0');

const statTest = z.enum(Object.keys(STAT_TESTS) as [StatTestName, ...StatTestName[]]);
const featureType = z.enum(['numeric', 'categorical', 'boolean']);
const severity = z.enum(['INFO', 'WARNING', 'CRITICAL']);

const AlertRuleSchema = z
  .strictObject({
    metric: z.string().refine((m) => parseMetric(m) !== null, {
      message: `unknown metric (expected one of ${PERFORMANCE_METRICS.join(', ')}, drift:<feature|*>, prediction_drift, dataset_drift_share, missing_rate:<feature|*>, out_of_range:<feature|*>, unseen_categories:<feature|*>, concept_drift)`,
    }),
    comparison: z.enum(['above', 'below']).optional(),
    warning: z.number().optional(),
    critical: z.number().optional(),
    /** Severity of a verdict-based rule (one without levels). */
    severity: severity.default('WARNING'),
    for: z.number().int().min(1).default(1),
    hysteresis: z.number().nonnegative().default(0),
    cooldownMs: duration.default(0),
    minCount: z.number().int().nonnegative().default(0),
  })
  .superRefine((rule, ctx) => {
    const verdictCapable = VERDICT_METRICS.test(rule.metric);
    const hasLevel = rule.warning !== undefined || rule.critical !== undefined;
    if (!hasLevel && !verdictCapable) {
      ctx.addIssue({ code: 'custom', path: ['warning'], message: `${rule.metric} needs a warning or critical level` });
    }
    if (hasLevel && rule.comparison === undefined) {
      ctx.addIssue({ code: 'custom', path: ['comparison'], message: 'a rule with levels needs comparison: above | below' });
    }
    if (rule.warning !== undefined && rule.critical !== undefined && rule.comparison !== undefined) {
      const ordered = rule.comparison === 'above' ? rule.critical >= rule.warning : rule.critical <= rule.warning;
      if (!ordered) {
        ctx.addIssue({
          code: 'custom',
          path: ['critical'],
          message: `critical must be ${rule.comparison === 'above' ? '≥' : '≤'} warning for comparison ${rule.comparison}`,
        });
      }
    }
  });

export type AlertRuleInput = z.input<typeof AlertRuleSchema>;

/** A validated rule; `cooldownMs` is resolved to milliseconds. */
export interface AlertRule {
  metric: string;
  comparison?: Comparison;
  warning?: number;
  critical?: number;
  severity: Severity;
  for: number;
  hysteresis: number;
  cooldownMs: number;
  minCount: number;
}

const ALERT_KINDS = ['DATA_DRIFT', 'PREDICTION_DRIFT', 'PERFORMANCE', 'CONCEPT_DRIFT', 'DATA_QUALITY'] as const satisfies readonly AlertKind[];
/** Metrics a retrain can be judged on (the champion/challenger gate and the verification). */
export const RETRAIN_METRICS = ['accuracy', 'f1_macro', 'balanced_accuracy'] as const;
export type RetrainMetric = (typeof RETRAIN_METRICS)[number];
export const QUANTIZE_PRECISIONS = ['float16', 'uint8'] as const;
export type QuantizePrecision = (typeof QUANTIZE_PRECISIONS)[number];
/** Feature-level metric families as they appear in an alert's `metric` (the feature is its own field). */
const FEATURE_FAMILIES = new Set(['drift', 'missing_rate', 'out_of_range', 'unseen_categories']);

const share = z.number().min(0).max(1);
const openShare = z.number().gt(0).lt(1);

const RetrainTriggerSchema = z
  .strictObject({
    kind: z.enum(ALERT_KINDS),
    /**
     * Only alerts on this metric: an alert's metric (`dataset_drift_share`, `accuracy`,
     * `drift`) or a rule metric naming a feature (`drift:tenure`, `drift:*`).
     */
    metric: z.string().min(1).optional(),
    minSeverity: severity.optional(),
  })
  .superRefine((trigger, ctx) => {
    if (trigger.metric === undefined) return;
    const ref = FEATURE_FAMILIES.has(trigger.metric) ? { family: trigger.metric as 'drift', feature: '*' } : parseMetric(trigger.metric);
    if (ref === null) {
      ctx.addIssue({ code: 'custom', path: ['metric'], message: `unknown metric ${trigger.metric}` });
    } else if (alertKindOf(ref) !== trigger.kind) {
      ctx.addIssue({ code: 'custom', path: ['metric'], message: `${trigger.metric} alerts are ${alertKindOf(ref)}, never ${trigger.kind}` });
    }
  });

export type RetrainTriggerInput = z.input<typeof RetrainTriggerSchema>;

const RetrainSettingsSchema = z.strictObject({
  enabled: z.boolean().optional(),
  /** Replaces the default list; [] leaves only manual retrains. */
  triggers: z.array(RetrainTriggerSchema).optional(),
  debounce: duration.optional(),
  cooldown: duration.optional(),
  minExamples: z.number().int().min(1).optional(),
  window: positiveDuration.optional(),
  preDriftShare: share.optional(),
  metric: z.enum(RETRAIN_METRICS).optional(),
  margin: share.optional(),
  split: z.strictObject({ validation: openShare.optional(), test: openShare.optional() }).optional(),
  grid: z
    .strictObject({
      learningRate: z.array(z.number().positive()).min(1).optional(),
      epochs: z.array(z.number().int().min(1)).min(1).optional(),
      l2: z.array(z.number().nonnegative()).min(1).optional(),
    })
    .optional(),
  quantize: z
    .array(z.enum(QUANTIZE_PRECISIONS))
    .refine((list) => new Set(list).size === list.length, 'lists a precision twice')
    .optional(),
  parity: z
    .strictObject({
      float16: z.strictObject({ minClassAgreement: share.optional() }).optional(),
      uint8: z.strictObject({ minClassAgreement: share.optional() }).optional(),
      maxMetricDelta: share.optional(),
    })
    .optional(),
  verifyAfter: z.number().int().min(1).optional(),
  recoveryTolerance: share.optional(),
  batchSize: z.number().int().min(1).optional(),
  patience: z.number().int().min(1).optional(),
  seed: z.number().int().optional(),
  retry: z
    .strictObject({
      initialDelay: positiveDuration.optional(),
      maxDelay: positiveDuration.optional(),
      maxAttempts: z.number().int().min(1).optional(),
    })
    .optional(),
});

export type RetrainSettingsInput = z.input<typeof RetrainSettingsSchema>;

/** An alert kind (and optionally metric / minimum severity) that starts a retrain. */
export interface RetrainTrigger {
  kind: AlertKind;
  metric?: string;
  minSeverity?: Severity;
}

/** A model's resolved retrain policy (docs/design/retraining.md); durations in milliseconds. */
export interface RetrainPolicy {
  enabled: boolean;
  /** Only FIRING alerts count; see matchesTrigger in shared/retrain/policy.ts. */
  triggers: RetrainTrigger[];
  /** Wait after the first trigger before the retrain starts. */
  debounceMs: number;
  /** No automatic retrain this long after the last one finished. */
  cooldownMs: number;
  /** Labelled examples needed in the training window, else REJECTED. */
  minExamples: number;
  /** How far back from the trigger the log is read. */
  windowMs: number;
  /** At most this share of the training set comes from before the drift started. */
  preDriftShare: number;
  metric: RetrainMetric;
  /** The challenger must beat the champion by this much on the test split. */
  margin: number;
  /** Time-ordered shares, newest last; validation + test < 1. */
  split: { validation: number; test: number };
  grid: { learningRate: number[]; epochs: number[]; l2: number[] };
  quantize: QuantizePrecision[];
  parity: {
    float16: { minClassAgreement: number };
    uint8: { minClassAgreement: number };
    /** Largest allowed |variant metric − full-precision metric|. */
    maxMetricDelta: number;
  };
  /** Labelled predictions of the new version before verification. */
  verifyAfter: number;
  /** RECOVERED when the new version's metric ≥ pre-drift baseline − tolerance. */
  recoveryTolerance: number;
  batchSize: number;
  /** Early stopping: epochs without a better validation loss before training stops. */
  patience: number;
  seed: number;
  /** Retries of a retrain that failed for an infrastructure reason (shared/retrain/retry-policy.ts). */
  retry: RetrainRetryPolicy;
}

/** Backoff of a retrain whose run failed transiently (Kafka, Redis, the model store); durations in ms. */
export interface RetrainRetryPolicy {
  /** Wait after the first transient failure; doubles after each further one. */
  initialDelayMs: number;
  /** Ceiling of the wait. */
  maxDelayMs: number;
  /** Runs of one pending trigger in all, the first included; after the last it is given up. */
  maxAttempts: number;
}

/**
 * A horizon: a bare duration ('1h': its window is read and reported at every bucket end), or
 * `{ window, every }`: at the window ends that are multiples of `every` (issue 8; e.g.
 * `{ window: '24h', every: '10m' }`). `every` must be a multiple of bucketMs; that is checked
 * when the model's settings are resolved, since bucketMs may come from `defaults`.
 */
const HorizonSchema = z.union([positiveDuration, z.strictObject({ window: positiveDuration, every: positiveDuration.optional() })]);

const ModelSettingsSchema = z.strictObject({
  task: z.enum(['binary', 'multiclass', 'regression']).optional(),
  positiveLabel: z.string().optional(),
  features: z.record(z.string(), featureType).optional(),
  bucketMs: positiveDuration.optional(),
  horizons: z.array(HorizonSchema).min(1).optional(),
  evaluationHorizon: positiveDuration.optional(),
  allowedLatenessMs: duration.optional(),
  evaluationDelayMs: duration.optional(),
  labelHorizonMs: positiveDuration.optional(),
  reference: z.strictObject({ size: z.number().int().min(1).optional() }).optional(),
  bins: z.number().int().min(1).max(1000).optional(),
  maxCategories: z.number().int().min(1).max(10_000).optional(),
  drift: z
    .strictObject({
      driftShare: z.number().gt(0).max(1).optional(),
      features: z.record(z.string(), z.strictObject({ test: statTest.optional(), threshold: z.number().optional() })).optional(),
    })
    .optional(),
  conceptDrift: z
    .strictObject({
      detector: z.enum(['adwin', 'ddm', 'eddm', 'hddm_a', 'hddm_w', 'page_hinkley', 'kswin', 'none']).optional(),
      options: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).optional(),
    })
    .optional(),
  /** False drops the built-in default rules; configured rules replace defaults with the same metric. */
  defaultAlerts: z.boolean().optional(),
  alerts: z.array(AlertRuleSchema).optional(),
  /** When and how the retrainer retrains this model. */
  retrain: RetrainSettingsSchema.optional(),
});

export type ModelSettingsInput = z.input<typeof ModelSettingsSchema>;

const MonitoringConfigSchema = z.strictObject({
  defaults: ModelSettingsSchema.optional(),
  models: z.record(z.string().min(1), ModelSettingsSchema).optional(),
  /** Most models monitored at once per deployment; events of others are UNKNOWN_MODEL dead letters. */
  maxModels: z.number().int().min(1).optional(),
  /** Only models with a `models.<name>` section are monitored (an allow-list). */
  onlyConfiguredModels: z.boolean().optional(),
  /** A model unseen this long loses all its state (Redis keys, in-memory caches) and its slot. */
  idleExpiry: positiveDuration.optional(),
});

export type MonitoringConfigInput = z.input<typeof MonitoringConfigSchema>;
export type ModelSettings = z.output<typeof ModelSettingsSchema>;

export interface MonitoringConfig {
  defaults: ModelSettings;
  models: Record<string, ModelSettings>;
  /** Which models are monitored and how long idle ones are kept; BUILT_IN_LIMITS when absent. */
  limits?: ModelLimits;
}

/** Bounds on the number of models (issue 9): see docs/config.md, "Which models are monitored". */
export interface ModelLimits {
  /** Most models admitted at once, shared by every instance of both services (a Redis set). */
  maxModels: number;
  /** Only models with a `models.<name>` section are admitted. */
  onlyConfiguredModels: boolean;
  /** Idle time after which a model's keys expire and its slot and in-memory state are freed. */
  idleExpiryMs: number;
}

export const MAX_MODELS_ENV = 'DW_MAX_MODELS';
export const MODEL_IDLE_EXPIRY_ENV = 'DW_MODEL_IDLE_EXPIRY';

export const BUILT_IN_LIMITS: Readonly<ModelLimits> = {
  maxModels: 1_000,
  onlyConfiguredModels: false,
  idleExpiryMs: 7 * 86_400_000,
};

export function modelLimits(config: MonitoringConfig): ModelLimits {
  return config.limits ?? { ...BUILT_IN_LIMITS };
}

export interface Horizon {
  /** As configured, e.g. '5m'; names the window in snapshots. */
  name: string;
  ms: number;
  /**
   * Evaluation cadence: the window is read and reported (snapshots; alert rules if it is the
   * evaluation horizon) at window ends that are multiples of this. A multiple of bucketMs;
   * bucketMs when not configured (every end).
   */
  everyMs: number;
}

/** Everything one model is monitored with, defaults applied. */
export interface ModelConfig {
  model: string;
  /** Undefined when not configured: the caller infers it from the first events. */
  task?: Task;
  positiveLabel?: string;
  /** Declared feature types; features not listed are typed by the wire format of the events. */
  features: Record<string, FeatureType>;
  bucketMs: number;
  horizons: Horizon[];
  evaluationHorizon: Horizon;
  allowedLatenessMs: number;
  evaluationDelayMs: number;
  labelHorizonMs: number;
  /** Largest horizon + lateness + 2 buckets: a bucket outlives every window it is part of. */
  retentionMs: number;
  /** Every key of the model expires this long after its last use (ModelLimits.idleExpiryMs). */
  idleExpiryMs: number;
  reference: { size: number };
  bins: number;
  maxCategories: number;
  drift: { driftShare: number; features: Record<string, { test?: StatTestName; threshold?: number }> };
  conceptDrift: { detector: DetectorName; options: Record<string, number | string | boolean> };
  alerts: AlertRule[];
  retrain: RetrainPolicy;
}

export const BUILT_IN_DEFAULTS = {
  bucketMs: 10_000,
  // 1 h and 24 h windows move little per 10 s bucket: reported every minute / 10 minutes (issue 8).
  horizons: [{ window: '5m' }, { window: '1h', every: '1m' }, { window: '24h', every: '10m' }],
  evaluationHorizon: '5m',
  allowedLatenessMs: 10_000,
  evaluationDelayMs: 0,
  labelHorizonMs: 3_600_000,
  referenceSize: 2000,
  bins: 20,
  maxCategories: 50,
  driftShare: 0.5,
  detector: 'adwin' as DetectorName,
} as const;

/**
 * Model settings that were removed, with why and what to do. A file that still sets one
 * fails with this instead of "unknown field": the settings are strict, so a field that
 * does nothing is never silently accepted.
 */
const REMOVED_MODEL_SETTINGS: Readonly<Record<string, string>> = {
  examplesCap:
    'removed: it capped the Redis stream of joined examples, which is gone since the retrainer reads its training data from the Kafka log ' +
    '(retrain.window decides how far back; docs/design/retraining.md). Delete the field',
};

/** The retrain policy of a model that configures none (docs/design/retraining.md). */
export const DEFAULT_RETRAIN_POLICY: Readonly<RetrainPolicy> = {
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
};

/** Rules every model gets unless `defaultAlerts: false` (see docs/design/monitoring.md). */
// Distribution rules judge a window only once it holds DEFAULT_DRIFT_MIN_COUNT predictions.
// Two samples of one distribution differ by a distance of about sqrt(1/n + 1/m): with a
// reference of 2,000 and a window of 300 that is half the 0.1 threshold (and it was crossed
// by chance in tests); at 1,000 it is a third. Low-traffic models lower it in their config.
export const DEFAULT_DRIFT_MIN_COUNT = 1000;
// A rate is judged on fewer events than a distribution.
export const DEFAULT_RATE_MIN_COUNT = 200;

export const DEFAULT_ALERT_RULES: readonly AlertRuleInput[] = [
  { metric: 'drift:*', minCount: DEFAULT_DRIFT_MIN_COUNT },
  { metric: 'prediction_drift', minCount: DEFAULT_DRIFT_MIN_COUNT },
  { metric: 'dataset_drift_share', minCount: DEFAULT_DRIFT_MIN_COUNT },
  { metric: 'concept_drift' },
  { metric: 'missing_rate:*', comparison: 'above', warning: 0.1, minCount: DEFAULT_RATE_MIN_COUNT },
];

function describePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out || '(root)';
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur = root;
  for (const segment of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[segment];
  }
  return cur;
}

function issueMessage(issue: z.core.$ZodIssue, input: unknown, prefix: readonly PropertyKey[]): string {
  const path = [...prefix, ...issue.path];
  let message = issue.message;
  if (issue.code === 'invalid_type') {
    const actual = valueAt(input, issue.path);
    message = actual === undefined ? `expected ${issue.expected}, but it is missing` : `expected ${issue.expected}, got ${typeName(actual)}`;
  } else if (issue.code === 'unrecognized_keys') {
    const removed = isModelSettingsPath(path) ? issue.keys.filter((key) => Object.hasOwn(REMOVED_MODEL_SETTINGS, key)) : [];
    const unknown = issue.keys.filter((key) => !removed.includes(key));
    const messages = removed.map((key) => `${describePath([...path, key])}: ${REMOVED_MODEL_SETTINGS[key]}`);
    if (unknown.length > 0) messages.unshift(`${describePath(path)}: unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`);
    return messages.join('; ');
  } else if (issue.code === 'invalid_value') {
    message = `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return `${describePath(path)}: ${message}`;
}

/** `defaults` or `models.<name>`: where model settings sit in the file. */
function isModelSettingsPath(path: readonly PropertyKey[]): boolean {
  return (path.length === 1 && path[0] === 'defaults') || (path.length === 2 && path[0] === 'models');
}

function validate<S extends z.ZodType>(schema: S, input: unknown, what: string, prefix: readonly PropertyKey[] = []): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => issueMessage(issue, input, prefix));
    throw new ConfigError(`invalid ${what}: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** Environment settings that override the file's top-level limits (DW_MAX_MODELS, DW_MODEL_IDLE_EXPIRY). */
export function limitOverrides(env: NodeJS.ProcessEnv): Partial<ModelLimits> {
  const out: Partial<ModelLimits> = {};
  const max = env[MAX_MODELS_ENV];
  if (max !== undefined && max !== '') {
    const n = Number(max);
    if (!Number.isSafeInteger(n) || n < 1) throw new ConfigError(`${MAX_MODELS_ENV} must be a positive integer, got ${JSON.stringify(max)}`);
    out.maxModels = n;
  }
  const idle = env[MODEL_IDLE_EXPIRY_ENV];
  if (idle !== undefined && idle !== '') {
    let ms: number;
    try {
      ms = /^\d+$/.test(idle) ? Number(idle) : parseDuration(idle);
    } catch {
      ms = NaN;
    }
    if (!(ms > 0)) throw new ConfigError(`${MODEL_IDLE_EXPIRY_ENV} must be a positive duration (ms, or 10s, 5m, 7d), got ${JSON.stringify(idle)}`);
    out.idleExpiryMs = ms;
  }
  return out;
}

/** Validates a parsed config object (the file's content); `overrides` (from the environment) win over its limits. */
export function parseMonitoringConfig(input: unknown, source = 'monitoring config', overrides: Partial<ModelLimits> = {}): MonitoringConfig {
  const parsed = validate(MonitoringConfigSchema, input ?? {}, source);
  const limits: ModelLimits = {
    maxModels: overrides.maxModels ?? parsed.maxModels ?? BUILT_IN_LIMITS.maxModels,
    onlyConfiguredModels: overrides.onlyConfiguredModels ?? parsed.onlyConfiguredModels ?? BUILT_IN_LIMITS.onlyConfiguredModels,
    idleExpiryMs: overrides.idleExpiryMs ?? (parsed.idleExpiry !== undefined ? parseDuration(parsed.idleExpiry) : BUILT_IN_LIMITS.idleExpiryMs),
  };
  const config: MonitoringConfig = { defaults: parsed.defaults ?? {}, models: parsed.models ?? {}, limits };
  // Resolve every model now so cross-field mistakes (a horizon the evaluation horizon is
  // not part of, a test the feature's type does not allow) fail at start, not mid-stream.
  resolveModelConfig(config, '*');
  for (const model of Object.keys(config.models)) resolveModelConfig(config, model);
  return config;
}

/** Reads a JSON (.json) or YAML (anything else) file. */
export function loadMonitoringConfigFile(path: string, overrides: Partial<ModelLimits> = {}): MonitoringConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read monitoring config ${path}: ${(error as Error).message}`);
  }
  let content: unknown;
  try {
    content = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ConfigError(`monitoring config ${path} is not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message}`);
  }
  return parseMonitoringConfig(content, `monitoring config ${path}`, overrides);
}

/**
 * The config from an explicit path, else the file named by DW_MONITORING_CONFIG, else the
 * inline JSON of DW_MONITORING_CONFIG_JSON, else an empty config (every model on defaults).
 */
export function loadMonitoringConfig(options: { path?: string; env?: NodeJS.ProcessEnv } = {}): MonitoringConfig {
  const env = options.env ?? process.env;
  const path = options.path ?? env[MONITORING_CONFIG_ENV];
  const overrides = limitOverrides(env);
  if (path) return loadMonitoringConfigFile(path, overrides);
  const inline = env[MONITORING_CONFIG_JSON_ENV];
  if (inline) {
    let content: unknown;
    try {
      content = JSON.parse(inline);
    } catch (error) {
      throw new ConfigError(`${MONITORING_CONFIG_JSON_ENV} is not valid JSON: ${(error as Error).message}`);
    }
    return parseMonitoringConfig(content, MONITORING_CONFIG_JSON_ENV, overrides);
  }
  return parseMonitoringConfig({}, 'monitoring config', overrides);
}

function toHorizon(value: string | number, everyMs: number): Horizon {
  return { name: typeof value === 'string' ? value : formatDuration(value), ms: parseDuration(value), everyMs };
}

type HorizonInput = z.output<typeof HorizonSchema>;

/** A configured horizon with its cadence: every bucket unless `every` is given (a multiple of the bucket). */
function resolveHorizon(value: HorizonInput, bucketMs: number, fail: (field: string, message: string) => never): Horizon {
  if (typeof value !== 'object') return toHorizon(value, bucketMs);
  const horizon = toHorizon(value.window, bucketMs);
  if (value.every === undefined) return horizon;
  const everyMs = parseDuration(value.every);
  if (everyMs % bucketMs !== 0) {
    fail('horizons', `${horizon.name} every ${formatDuration(everyMs)} is not a multiple of bucketMs (${bucketMs} ms): windows end only at bucket boundaries`);
  }
  return { ...horizon, everyMs };
}

type ParsedRule = z.output<typeof AlertRuleSchema>;

function toRule(rule: ParsedRule): AlertRule {
  const out: AlertRule = {
    metric: rule.metric,
    severity: rule.severity,
    for: rule.for,
    hysteresis: rule.hysteresis,
    cooldownMs: parseDuration(rule.cooldownMs),
    minCount: rule.minCount,
  };
  if (rule.comparison !== undefined) out.comparison = rule.comparison;
  if (rule.warning !== undefined) out.warning = rule.warning;
  if (rule.critical !== undefined) out.critical = rule.critical;
  return out;
}

/** Validates one rule given in code (tests, the replay CLI); file rules are validated with the file. */
export function alertRule(input: AlertRuleInput): AlertRule {
  return toRule(validate(AlertRuleSchema, input, 'alert rule'));
}

/**
 * The effective config of `model`: built-in defaults, then the file's `defaults`, then
 * `models.<model>`. Objects merge field by field; lists (horizons, alerts) replace.
 * `inferred` is true when the model has no section of its own; the caller logs that.
 */
export function resolveModelConfig(config: MonitoringConfig, model: string): ModelConfig & { inferred: boolean } {
  const own = config.models[model];
  const d = config.defaults;
  const m: ModelSettings = own ?? {};
  const where = own ? ['models', model] : ['defaults'];
  const fail = (field: string, message: string): never => {
    throw new ConfigError(`invalid monitoring config: ${[...where, field].join('.')}: ${message}`);
  };

  const bucketMs = parseDuration(m.bucketMs ?? d.bucketMs ?? BUILT_IN_DEFAULTS.bucketMs);
  const horizons = (m.horizons ?? d.horizons ?? BUILT_IN_DEFAULTS.horizons).map((h) => resolveHorizon(h, bucketMs, fail)).sort((a, b) => a.ms - b.ms);
  for (const h of horizons) if (h.ms % bucketMs !== 0) fail('horizons', `${h.name} is not a multiple of bucketMs (${bucketMs} ms)`);
  // One window sum per length: the same window twice (say '1h' and { window: '60m', every: '1m' }) has no meaning.
  horizons.forEach((h, i) => {
    if (i > 0 && horizons[i - 1]!.ms === h.ms) fail('horizons', `${h.name} is listed twice`);
  });
  const evaluationName = toHorizon(m.evaluationHorizon ?? d.evaluationHorizon ?? BUILT_IN_DEFAULTS.evaluationHorizon, bucketMs);
  // The evaluation horizon is one of the horizons and has its cadence: alert rules run at every
  // bucket end unless that horizon is configured with an `every`.
  const evaluationHorizon =
    horizons.find((h) => h.ms === evaluationName.ms) ??
    fail('evaluationHorizon', `${evaluationName.name} is not one of the horizons (${horizons.map((h) => h.name).join(', ')})`);
  const allowedLatenessMs = parseDuration(m.allowedLatenessMs ?? d.allowedLatenessMs ?? BUILT_IN_DEFAULTS.allowedLatenessMs);
  const largest = (horizons[horizons.length - 1] as Horizon).ms;

  const features = { ...d.features, ...m.features };
  const driftFeatures = { ...d.drift?.features, ...m.drift?.features };
  for (const [feature, choice] of Object.entries(driftFeatures)) {
    const type = features[feature];
    if (choice.test === undefined || type === undefined) continue;
    const columnType = type === 'numeric' ? 'numerical' : 'categorical';
    if (!STAT_TESTS[choice.test].allowedColumnTypes.includes(columnType)) {
      fail(`drift.features.${feature}.test`, `${choice.test} does not apply to ${type} features`);
    }
  }

  const task = m.task ?? d.task;
  const positiveLabel = m.positiveLabel ?? d.positiveLabel;
  if (positiveLabel !== undefined && task !== undefined && task !== 'binary') {
    fail('positiveLabel', `only applies to task binary, not ${task}`);
  }

  const configured = (m.alerts ?? d.alerts ?? []).map(toRule);
  const useDefaults = m.defaultAlerts ?? d.defaultAlerts ?? true;
  const taken = new Set(configured.map((r) => r.metric));
  const defaults = useDefaults ? DEFAULT_ALERT_RULES.filter((r) => !taken.has(r.metric)).map(alertRule) : [];

  const retrain = resolveRetrainPolicy(d.retrain, m.retrain, (field, message) => fail(`retrain.${field}`, message));
  const labelHorizonMs = parseDuration(m.labelHorizonMs ?? d.labelHorizonMs ?? BUILT_IN_DEFAULTS.labelHorizonMs);
  const retentionMs = largest + allowedLatenessMs + 2 * bucketMs;
  // Keys of a model live idleExpiry after its last use: a bucket (retention) and a waiting
  // label (2 × label horizon) must end before the model's keys can, so nothing counted is lost.
  const idleExpiryMs = modelLimits(config).idleExpiryMs;
  const needed = retentionMs + 2 * labelHorizonMs;
  if (idleExpiryMs < needed) {
    throw new ConfigError(
      `invalid monitoring config: idleExpiry ${formatDuration(idleExpiryMs)} is shorter than ${[...where].join('.')}'s retention + 2 × labelHorizonMs (${formatDuration(needed)})`,
    );
  }

  const resolved: ModelConfig & { inferred: boolean } = {
    model,
    inferred: own === undefined,
    features,
    bucketMs,
    horizons,
    evaluationHorizon,
    allowedLatenessMs,
    evaluationDelayMs: parseDuration(m.evaluationDelayMs ?? d.evaluationDelayMs ?? BUILT_IN_DEFAULTS.evaluationDelayMs),
    labelHorizonMs,
    retentionMs,
    idleExpiryMs,
    reference: { size: m.reference?.size ?? d.reference?.size ?? BUILT_IN_DEFAULTS.referenceSize },
    bins: m.bins ?? d.bins ?? BUILT_IN_DEFAULTS.bins,
    maxCategories: m.maxCategories ?? d.maxCategories ?? BUILT_IN_DEFAULTS.maxCategories,
    drift: { driftShare: m.drift?.driftShare ?? d.drift?.driftShare ?? BUILT_IN_DEFAULTS.driftShare, features: driftFeatures },
    conceptDrift: {
      detector: m.conceptDrift?.detector ?? d.conceptDrift?.detector ?? BUILT_IN_DEFAULTS.detector,
      // Options belong to one detector: a model that picks another detector starts from none.
      options:
        m.conceptDrift?.detector !== undefined && m.conceptDrift.detector !== d.conceptDrift?.detector
          ? { ...m.conceptDrift.options }
          : { ...d.conceptDrift?.options, ...m.conceptDrift?.options },
    },
    alerts: [...configured, ...defaults],
    retrain,
  };
  if (task !== undefined) resolved.task = task;
  if (positiveLabel !== undefined) resolved.positiveLabel = positiveLabel;
  return resolved;
}

type RetrainSettings = z.output<typeof RetrainSettingsSchema>;

function toTrigger(trigger: z.output<typeof RetrainTriggerSchema>): RetrainTrigger {
  const out: RetrainTrigger = { kind: trigger.kind };
  if (trigger.metric !== undefined) out.metric = trigger.metric;
  if (trigger.minSeverity !== undefined) out.minSeverity = trigger.minSeverity;
  return out;
}

/**
 * Built-in policy ← `defaults.retrain` ← `models.<m>.retrain`, field by field (split, grid
 * and parity too); lists (triggers, quantize, each grid axis) replace.
 */
function resolveRetrainPolicy(
  d: RetrainSettings | undefined,
  m: RetrainSettings | undefined,
  fail: (field: string, message: string) => never,
): RetrainPolicy {
  const base = DEFAULT_RETRAIN_POLICY;
  const pick = <K extends keyof RetrainSettings>(key: K): RetrainSettings[K] => m?.[key] ?? d?.[key];
  const durationOf = (key: 'debounce' | 'cooldown' | 'window', fallback: number): number => {
    const value = pick(key);
    return value === undefined ? fallback : parseDuration(value);
  };
  const retryDuration = (key: 'initialDelay' | 'maxDelay', fallback: number): number => {
    const value = m?.retry?.[key] ?? d?.retry?.[key];
    return value === undefined ? fallback : parseDuration(value);
  };
  const triggers = pick('triggers');
  const policy: RetrainPolicy = {
    enabled: pick('enabled') ?? base.enabled,
    triggers: triggers === undefined ? base.triggers.map((t) => ({ ...t })) : triggers.map(toTrigger),
    debounceMs: durationOf('debounce', base.debounceMs),
    cooldownMs: durationOf('cooldown', base.cooldownMs),
    minExamples: pick('minExamples') ?? base.minExamples,
    windowMs: durationOf('window', base.windowMs),
    preDriftShare: pick('preDriftShare') ?? base.preDriftShare,
    metric: pick('metric') ?? base.metric,
    margin: pick('margin') ?? base.margin,
    split: {
      validation: m?.split?.validation ?? d?.split?.validation ?? base.split.validation,
      test: m?.split?.test ?? d?.split?.test ?? base.split.test,
    },
    grid: {
      learningRate: [...(m?.grid?.learningRate ?? d?.grid?.learningRate ?? base.grid.learningRate)],
      epochs: [...(m?.grid?.epochs ?? d?.grid?.epochs ?? base.grid.epochs)],
      l2: [...(m?.grid?.l2 ?? d?.grid?.l2 ?? base.grid.l2)],
    },
    quantize: [...(pick('quantize') ?? base.quantize)],
    parity: {
      float16: {
        minClassAgreement:
          m?.parity?.float16?.minClassAgreement ?? d?.parity?.float16?.minClassAgreement ?? base.parity.float16.minClassAgreement,
      },
      uint8: {
        minClassAgreement:
          m?.parity?.uint8?.minClassAgreement ?? d?.parity?.uint8?.minClassAgreement ?? base.parity.uint8.minClassAgreement,
      },
      maxMetricDelta: m?.parity?.maxMetricDelta ?? d?.parity?.maxMetricDelta ?? base.parity.maxMetricDelta,
    },
    verifyAfter: pick('verifyAfter') ?? base.verifyAfter,
    recoveryTolerance: pick('recoveryTolerance') ?? base.recoveryTolerance,
    batchSize: pick('batchSize') ?? base.batchSize,
    patience: pick('patience') ?? base.patience,
    seed: pick('seed') ?? base.seed,
    retry: {
      initialDelayMs: retryDuration('initialDelay', base.retry.initialDelayMs),
      maxDelayMs: retryDuration('maxDelay', base.retry.maxDelayMs),
      maxAttempts: m?.retry?.maxAttempts ?? d?.retry?.maxAttempts ?? base.retry.maxAttempts,
    },
  };
  // Checked after the merge: each share may come from a different level.
  if (policy.split.validation + policy.split.test >= 1) {
    fail('split', `validation (${policy.split.validation}) + test (${policy.split.test}) must be below 1, leaving examples to train on`);
  }
  if (policy.retry.maxDelayMs < policy.retry.initialDelayMs) {
    fail('retry', `maxDelay (${policy.retry.maxDelayMs} ms) must not be below initialDelay (${policy.retry.initialDelayMs} ms)`);
  }
  return policy;
}
