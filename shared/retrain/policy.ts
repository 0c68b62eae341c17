// Which alerts start a retrain. The policy itself is part of the monitoring config
// (`retrain:` per model, resolved by resolveModelConfig); this module only judges alerts
// against it. Pure, no I/O, no tfjs.
import type { Alert, Severity } from '../codec/events.generated.js';
import type { RetrainPolicy, RetrainTrigger } from '../config/monitoring-config.js';

export { DEFAULT_RETRAIN_POLICY, RETRAIN_METRICS, QUANTIZE_PRECISIONS } from '../config/monitoring-config.js';
export type { QuantizePrecision, RetrainMetric, RetrainPolicy, RetrainTrigger } from '../config/monitoring-config.js';

const SEVERITY_RANK: Record<Severity, number> = { INFO: 0, WARNING: 1, CRITICAL: 2 };

/** The alert fields a trigger looks at. */
export type TriggerAlert = Pick<Alert, 'kind' | 'status' | 'severity' | 'metric' | 'feature'>;

/**
 * Whether one trigger matches the alert (status aside). A trigger metric is either an
 * alert's metric as published (`dataset_drift_share`, `accuracy`, `drift`) or a rule metric
 * naming a feature (`drift:tenure`; `drift:*` is any feature).
 */
export function triggerMatches(trigger: RetrainTrigger, alert: TriggerAlert): boolean {
  if (trigger.kind !== alert.kind) return false;
  if (trigger.minSeverity !== undefined && SEVERITY_RANK[alert.severity] < SEVERITY_RANK[trigger.minSeverity]) return false;
  if (trigger.metric === undefined) return true;
  const colon = trigger.metric.indexOf(':');
  if (colon < 0) return alert.metric === trigger.metric;
  const family = trigger.metric.slice(0, colon);
  const feature = trigger.metric.slice(colon + 1);
  return alert.metric === family && alert.feature !== null && (feature === '*' || alert.feature === feature);
}

/**
 * True when the alert should start (or join) a retrain of its model: the policy is enabled,
 * the alert is FIRING (a RESOLVED transition never triggers), and at least one trigger
 * matches its kind, metric and severity (INFO < WARNING < CRITICAL).
 */
export function matchesTrigger(policy: Pick<RetrainPolicy, 'enabled' | 'triggers'>, alert: TriggerAlert): boolean {
  if (!policy.enabled || alert.status !== 'FIRING') return false;
  return policy.triggers.some((trigger) => triggerMatches(trigger, alert));
}
