// Turns a state-machine transition into the Alert event consumers and people read.
import type { AlertInput, Window } from '../codec/events.generated.js';
import type { AlertRule } from '../config/monitoring-config.js';
import type { AlertKeyParts } from './alert-key.js';
import { alertId, alertKey } from './alert-key.js';
import type { Observation, Transition } from './state-machine.js';
import { isVerdictRule } from './state-machine.js';

export interface DescribedObservation extends Observation {
  /** The level the statistic is compared with when it decides itself (drift tests). */
  threshold?: number;
  /** Name of the statistic behind the value, e.g. 'psi', 'ks', 'adwin'. */
  statistic?: string;
}

export interface AlertContext {
  key: AlertKeyParts;
  rule: AlertRule;
  transition: Transition;
  observation: DescribedObservation;
  window: Window;
  /** What window.count counts, e.g. 'labelled predictions'. */
  countNoun: string;
  /** Event time of the alert; the evaluation end unless the caller knows better. */
  time?: number;
  detector?: string | null;
  details?: Record<string, string>;
}

/** Numbers short enough to read at a glance: 0.71, 1,234, 3.10e-5. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1000) return v.toLocaleString('en-US', { maximumFractionDigits: 0 });
  if (a >= 0.01) return v.toFixed(2);
  return v.toExponential(2);
}

function clock(t: number, withDate: boolean): string {
  const iso = new Date(t).toISOString();
  const time = iso.slice(11, 19).endsWith(':00') ? iso.slice(11, 16) : iso.slice(11, 19);
  return withDate ? `${iso.slice(0, 10)} ${time}` : time;
}

/** '2023-11-14 10:00–10:05 UTC', with the end's date too when the window spans midnight. */
export function formatWindowRange(start: number, end: number): string {
  const sameDay = new Date(start).toISOString().slice(0, 10) === new Date(end).toISOString().slice(0, 10);
  return `${clock(start, true)}–${clock(end, !sameDay)} UTC`;
}

function subject(ctx: AlertContext): string {
  const { key, observation } = ctx;
  const stat = observation.statistic ? `${observation.statistic} ` : '';
  switch (key.kind) {
    case 'DATA_DRIFT':
      return key.feature === null ? `dataset drift share ${formatNumber(observation.value)}` : `drift of ${key.feature}: ${stat}${formatNumber(observation.value)}`;
    case 'PREDICTION_DRIFT':
      return `prediction drift: ${stat}${formatNumber(observation.value)}`;
    case 'CONCEPT_DRIFT':
      return `concept drift in the error stream (${ctx.detector ?? observation.statistic ?? 'detector'})`;
    default:
      return `${key.metric}${key.feature === null ? '' : ` of ${key.feature}`} ${formatNumber(observation.value)}`;
  }
}

function comparisonText(ctx: AlertContext, firing: boolean, threshold: number): string {
  const { rule, observation, key } = ctx;
  if (key.kind === 'CONCEPT_DRIFT') return firing ? 'detected' : 'no longer detected';
  if (!isVerdictRule(rule)) {
    const side = rule.comparison === 'below' ? 'below' : 'above';
    return firing ? `${side} ${formatNumber(threshold)}` : `back ${side === 'below' ? 'above' : 'below'} ${formatNumber(threshold)}`;
  }
  const limit = observation.threshold === undefined ? '' : ` (threshold ${formatNumber(observation.threshold)})`;
  return firing ? `drift detected${limit}` : `no drift any more${limit}`;
}

/** The level the alert's severity refers to (for level rules) or the statistic's own threshold. */
export function alertThreshold(rule: AlertRule, transition: Transition, observation: DescribedObservation): number {
  if (isVerdictRule(rule)) return observation.threshold ?? Number.NaN;
  if (transition.severity === 'CRITICAL' && rule.critical !== undefined) return rule.critical;
  return (rule.warning ?? rule.critical) as number;
}

export function alertMessage(ctx: AlertContext, threshold: number): string {
  const firing = ctx.transition.status === 'FIRING';
  const severity = ctx.transition.severity.toLowerCase();
  const state = firing ? severity : `resolved, was ${severity}`;
  const count = `${ctx.window.count.toLocaleString('en-US')} ${ctx.countNoun}`;
  return `${subject(ctx)} ${comparisonText(ctx, firing, threshold)} (${state}) on window ${formatWindowRange(ctx.window.start, ctx.window.end)}, ${count}`;
}

export function buildAlert(ctx: AlertContext): AlertInput {
  const key = alertKey(ctx.key);
  const threshold = alertThreshold(ctx.rule, ctx.transition, ctx.observation);
  const details: Record<string, string> = { rule: ctx.rule.metric, for: String(ctx.rule.for), ...ctx.details };
  if (ctx.rule.comparison) details.comparison = ctx.rule.comparison;
  if (ctx.rule.hysteresis) details.hysteresis = String(ctx.rule.hysteresis);
  if (ctx.observation.statistic) details.statistic = ctx.observation.statistic;
  return {
    id: alertId(key, ctx.window.end),
    key,
    model: ctx.key.model,
    modelVersion: ctx.key.version,
    kind: ctx.key.kind,
    status: ctx.transition.status,
    severity: ctx.transition.severity,
    metric: ctx.key.metric,
    feature: ctx.key.feature,
    // Avro doubles carry NaN, but a NaN value or threshold tells a reader nothing: 0 with the detail says more.
    value: Number.isFinite(ctx.observation.value) ? ctx.observation.value : 0,
    threshold: Number.isFinite(threshold) ? threshold : 0,
    window: ctx.window,
    detector: ctx.detector ?? null,
    message: alertMessage(ctx, threshold),
    time: ctx.time ?? ctx.window.end,
    details,
  };
}
