// Applies every alert rule of one model version to one evaluation's numbers: expands
// per-feature rules, steps each key's state machine and builds the events of the
// transitions. Each service passes what it computed (performance + concept drift, or the
// drift report); rules about anything else are left alone, their states untouched.
import type { AlertInput, Window } from '../codec/events.generated.js';
import type { AlertRule, MetricRef } from '../config/monitoring-config.js';
import { alertKindOf, parseMetric } from '../config/monitoring-config.js';
import type { DescribedObservation } from '../alerts/alert-event.js';
import { buildAlert } from '../alerts/alert-event.js';
import type { AlertKeyParts } from '../alerts/alert-key.js';
import { alertId, alertKey, parseAlertKey } from '../alerts/alert-key.js';
import { formatWindowRange } from '../alerts/alert-event.js';
import { parseAlertState, serializeAlertState, step } from '../alerts/state-machine.js';
import type { DetectorRun } from './concept-drift.js';
import type { ColumnDrift, DriftReport } from './drift-report.js';

export interface EvaluationSubject {
  model: string;
  version: string;
  /** Output of performanceMetrics (perf service). */
  performance?: Record<string, number>;
  /** Concept-drift detector run over the errors joined since the last evaluation (perf service). */
  conceptDrift?: DetectorRun & { detector: string };
  /** Output of driftReport (drift service). */
  drift?: DriftReport;
  /**
   * The version got no predictions in the evaluation horizon although it has windows (it
   * was superseded, or its traffic stopped): nothing is observed, and its firing alerts
   * resolve (see retireVersion).
   */
  silent?: boolean;
}

export interface RuleEvaluation {
  /** Serialized states of every key evaluated now (merge over the stored ones). */
  states: Record<string, string>;
  alerts: AlertInput[];
}

interface Target {
  key: AlertKeyParts;
  observation: DescribedObservation;
  countNoun: string;
  detector?: string;
}

function columnObservation(c: ColumnDrift): DescribedObservation {
  return { value: c.value, verdict: c.drifted, count: c.count, threshold: c.threshold, statistic: c.statistic };
}

function targetsOf(ref: MetricRef, rule: AlertRule, s: EvaluationSubject): Target[] {
  const base = { model: s.model, version: s.version, kind: alertKindOf(ref) };
  switch (ref.family) {
    case 'performance': {
      const p = s.performance;
      if (!p) return [];
      const value = p[ref.name];
      if (value === undefined) return [];
      const coverage = ref.name === 'label_coverage';
      return [
        {
          key: { ...base, metric: ref.name, feature: null },
          observation: { value, count: (coverage ? p.predictions : p.count) ?? 0 },
          countNoun: coverage ? 'predictions' : 'labelled predictions',
        },
      ];
    }
    case 'concept_drift': {
      const c = s.conceptDrift;
      if (!c) return [];
      return [
        {
          key: { ...base, metric: 'concept_drift', feature: null },
          // No new errors since the last evaluation: nothing to decide, the state stays as it is.
          observation: c.count > 0 ? { value: c.detections, verdict: c.drifted, count: c.count, statistic: c.detector } : { value: 0, count: 0 },
          countNoun: 'labelled predictions',
          detector: c.detector,
        },
      ];
    }
    case 'prediction_drift': {
      const d = s.drift;
      if (!d?.prediction) return [];
      return [{ key: { ...base, metric: 'prediction_drift', feature: null }, observation: columnObservation(d.prediction), countNoun: 'predictions' }];
    }
    case 'dataset_drift_share': {
      const d = s.drift;
      if (!d) return [];
      const ds = d.datasetDrift;
      return [
        {
          key: { ...base, metric: 'dataset_drift_share', feature: null },
          observation: { value: ds.share, verdict: ds.drifted, count: d.count, threshold: ds.driftShare },
          countNoun: 'predictions',
        },
      ];
    }
    default: {
      const d = s.drift;
      if (!d) return [];
      const features = ref.feature === '*' ? Object.keys(d.columns) : ref.feature in d.columns ? [ref.feature] : [];
      const out: Target[] = [];
      for (const feature of features) {
        const key = { ...base, metric: ref.family, feature };
        if (ref.family === 'drift') {
          out.push({ key, observation: columnObservation(d.columns[feature] as ColumnDrift), countNoun: 'predictions' });
          continue;
        }
        const q = d.dataQuality[feature];
        if (!q) continue;
        const value = ref.family === 'missing_rate' ? q.missingRate : ref.family === 'out_of_range' ? q.outOfRangeShare : q.unseenShare;
        // A wildcard only covers features the metric applies to (out_of_range: numeric, unseen: categorical).
        if (ref.feature === '*' && Number.isNaN(value) && ref.family !== 'missing_rate') continue;
        out.push({ key, observation: { value, count: d.count }, countNoun: 'predictions' });
      }
      return out;
    }
  }
}

export function evaluateRules(rules: readonly AlertRule[], subject: EvaluationSubject, storedStates: Readonly<Record<string, string>>, end: number, window: Pick<Window, 'start' | 'end'>): RuleEvaluation {
  if (subject.silent === true) return retireVersion(rules, subject, storedStates, end, window);
  // A rule naming one feature takes precedence over a wildcard rule for the same key.
  const chosen = new Map<string, { rule: AlertRule; target: Target; specific: boolean }>();
  for (const rule of rules) {
    const ref = parseMetric(rule.metric);
    if (ref === null) throw new RangeError(`unknown metric ${rule.metric}`);
    const specific = !('feature' in ref) || ref.feature !== '*';
    for (const target of targetsOf(ref, rule, subject)) {
      const key = alertKey(target.key);
      const existing = chosen.get(key);
      if (existing && (existing.specific || !specific)) continue;
      chosen.set(key, { rule, target, specific });
    }
  }
  const states: Record<string, string> = {};
  const alerts: AlertInput[] = [];
  for (const [key, { rule, target }] of chosen) {
    const stored = storedStates[key];
    const result = step(stored === undefined ? undefined : parseAlertState(stored), target.observation, rule, end);
    states[key] = serializeAlertState(result.state);
    if (!result.transition) continue;
    const context: Parameters<typeof buildAlert>[0] = {
      key: target.key,
      rule,
      transition: result.transition,
      observation: target.observation,
      window: { start: window.start, end: window.end, count: target.observation.count },
      countNoun: target.countNoun,
      time: end,
    };
    if (target.detector !== undefined) context.detector = target.detector;
    alerts.push(buildAlert(context));
  }
  return { states, alerts };
}

/**
 * A version without predictions in the evaluation horizon: its windows are empty, so the
 * state machine would skip every observation (an empty window is neither a breach nor a
 * recovery) and a firing alert would fire forever. Every firing alert of the version
 * resolves instead, saying why, and a pending one goes back to ok. States of other
 * versions, and of alerts that are ok, are left as they are (nothing to publish).
 */
export function retireVersion(
  rules: readonly AlertRule[],
  subject: Pick<EvaluationSubject, 'model' | 'version'>,
  storedStates: Readonly<Record<string, string>>,
  end: number,
  window: Pick<Window, 'start' | 'end'>,
): RuleEvaluation {
  const states: Record<string, string> = {};
  const alerts: AlertInput[] = [];
  for (const [key, json] of Object.entries(storedStates)) {
    let parts: AlertKeyParts;
    try {
      parts = parseAlertKey(key);
    } catch {
      continue;
    }
    if (parts.model !== subject.model || parts.version !== subject.version) continue;
    const state = parseAlertState(json);
    if (state.status === 'ok') continue;
    const was = state.severity ?? 'WARNING';
    const firing = state.status === 'firing';
    states[key] = serializeAlertState({ ...state, status: 'ok', severity: null, count: 0, since: null, ...(firing ? { lastResolvedAt: end } : {}) });
    if (!firing) continue;
    const rule = rules.find((r) => {
      const ref = parseMetric(r.metric);
      return ref !== null && alertKindOf(ref) === parts.kind && ruleMetricName(ref) === parts.metric;
    });
    const details: Record<string, string> = { reason: 'version_silent' };
    if (rule) Object.assign(details, { rule: rule.metric, for: String(rule.for) });
    const what = parts.feature === null ? parts.metric : `${parts.metric} of ${parts.feature}`;
    alerts.push({
      id: alertId(key, window.end),
      key,
      model: parts.model,
      modelVersion: parts.version,
      kind: parts.kind,
      status: 'RESOLVED',
      severity: was,
      metric: parts.metric,
      feature: parts.feature,
      value: state.value ?? 0,
      threshold: rule?.warning ?? rule?.critical ?? 0,
      window: { start: window.start, end: window.end, count: 0 },
      detector: null,
      message:
        `${what} (resolved, was ${was.toLowerCase()}): version ${parts.version} of ${parts.model} no longer receives predictions ` +
        `(none on window ${formatWindowRange(window.start, window.end)})`,
      time: end,
      details,
    });
  }
  return { states, alerts };
}

/** The `metric` segment of the alert keys a rule's metric makes (see targetsOf). */
function ruleMetricName(ref: MetricRef): string {
  return ref.family === 'performance' ? ref.name : ref.family;
}
