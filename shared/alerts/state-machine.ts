// The lifecycle of one alert key, as a pure function of its previous state and one
// evaluation's observation: ok → pending → firing → (resolved) → ok. Only transitions are
// published, so everything that decides "publish or not" lives here and is unit tested.
import type { Severity } from '../codec/events.generated.js';
import type { AlertRule } from '../config/monitoring-config.js';

export type AlertStatus = 'ok' | 'pending' | 'firing';

export interface AlertState {
  status: AlertStatus;
  /** Severity while firing (or the one pending would fire with); null when ok. */
  severity: Severity | null;
  /** Consecutive evaluations the condition held. */
  count: number;
  /** Evaluation end at which the condition started holding; null when ok. */
  since: number | null;
  lastFiredAt: number | null;
  lastResolvedAt: number | null;
  /** The last observed value. */
  value: number | null;
}

export interface Observation {
  value: number;
  /** The statistic's own drift decision; used when the rule has no levels. */
  verdict?: boolean;
  /** Observations behind the value (labelled predictions, predictions, errors). */
  count: number;
}

export interface Transition {
  status: 'FIRING' | 'RESOLVED';
  severity: Severity;
}

export interface StepResult {
  state: AlertState;
  transition?: Transition;
  /** True when the observation was not used (fewer than minCount, or no value). */
  skipped?: boolean;
}

export type StepRule = Pick<AlertRule, 'comparison' | 'warning' | 'critical' | 'severity' | 'for' | 'hysteresis' | 'cooldownMs' | 'minCount'>;

export const INITIAL_ALERT_STATE: Readonly<AlertState> = Object.freeze({
  status: 'ok',
  severity: null,
  count: 0,
  since: null,
  lastFiredAt: null,
  lastResolvedAt: null,
  value: null,
});

/** True when the rule is decided by the observation's verdict rather than by levels. */
export function isVerdictRule(rule: StepRule): boolean {
  return rule.warning === undefined && rule.critical === undefined;
}

// `margin` moves the level towards the safe side: a firing alert stays firing until the
// value is back past level ∓ hysteresis.
function beyond(value: number, level: number | undefined, comparison: StepRule['comparison'], margin = 0): boolean {
  if (level === undefined) return false;
  return comparison === 'below' ? value < level + margin : value > level - margin;
}

/** Severity the observation calls for from a calm state, or null when the condition does not hold. */
export function conditionSeverity(observation: Observation, rule: StepRule): Severity | null {
  if (isVerdictRule(rule)) return observation.verdict === true ? rule.severity : null;
  if (beyond(observation.value, rule.critical, rule.comparison)) return 'CRITICAL';
  if (beyond(observation.value, rule.warning, rule.comparison)) return 'WARNING';
  return null;
}

/** Severity of an alert that is firing now: hysteresis keeps it at its level a little longer. */
function firingSeverity(observation: Observation, rule: StepRule, current: Severity): Severity | null {
  if (isVerdictRule(rule)) return observation.verdict === true ? rule.severity : null;
  const h = rule.hysteresis;
  const critical = beyond(observation.value, rule.critical, rule.comparison, current === 'CRITICAL' ? h : 0);
  if (critical) return 'CRITICAL';
  // A rule with only a critical level resolves off the critical level.
  const resolveLevel = rule.warning ?? rule.critical;
  if (beyond(observation.value, resolveLevel, rule.comparison, h)) return rule.warning === undefined ? 'CRITICAL' : 'WARNING';
  return null;
}

function usable(observation: Observation, rule: StepRule): boolean {
  if (observation.count < rule.minCount) return false;
  // An empty window's metrics are NaN: neither a breach nor a recovery.
  if (isVerdictRule(rule)) return observation.verdict !== undefined;
  return Number.isFinite(observation.value);
}

export function step(previous: AlertState | undefined, observation: Observation, rule: StepRule, evaluationEnd: number): StepResult {
  const state: AlertState = { ...(previous ?? INITIAL_ALERT_STATE) };
  if (!usable(observation, rule)) return { state, skipped: true };
  state.value = Number.isFinite(observation.value) ? observation.value : null;

  if (state.status === 'firing') {
    const severity = firingSeverity(observation, rule, state.severity ?? 'WARNING');
    if (severity === null) {
      const was = state.severity ?? 'WARNING';
      Object.assign(state, { status: 'ok', severity: null, count: 0, since: null, lastResolvedAt: evaluationEnd });
      return { state, transition: { status: 'RESOLVED', severity: was } };
    }
    state.count += 1;
    if (severity !== state.severity) {
      state.severity = severity;
      return { state, transition: { status: 'FIRING', severity } };
    }
    return { state };
  }

  const severity = conditionSeverity(observation, rule);
  if (severity === null) {
    Object.assign(state, { status: 'ok', severity: null, count: 0, since: null });
    return { state };
  }
  state.count += 1;
  state.since ??= evaluationEnd;
  state.severity = severity;
  const coolingDown = state.lastResolvedAt !== null && evaluationEnd - state.lastResolvedAt < rule.cooldownMs;
  if (state.count >= rule.for && !coolingDown) {
    state.status = 'firing';
    state.lastFiredAt = evaluationEnd;
    return { state, transition: { status: 'FIRING', severity } };
  }
  state.status = 'pending';
  return { state };
}

export function serializeAlertState(state: AlertState): string {
  return JSON.stringify(state);
}

const STATUSES: readonly string[] = ['ok', 'pending', 'firing'];
const SEVERITIES: readonly string[] = ['INFO', 'WARNING', 'CRITICAL'];

function nullableNumber(v: unknown): v is number | null {
  return v === null || (typeof v === 'number' && Number.isFinite(v));
}

/** Parses a stored state; throws on anything `serializeAlertState` could not have written. */
export function parseAlertState(json: string): AlertState {
  const v = JSON.parse(json) as Record<string, unknown>;
  const ok =
    v !== null &&
    typeof v === 'object' &&
    STATUSES.includes(v.status as string) &&
    (v.severity === null || SEVERITIES.includes(v.severity as string)) &&
    typeof v.count === 'number' &&
    Number.isInteger(v.count) &&
    v.count >= 0 &&
    nullableNumber(v.since) &&
    nullableNumber(v.lastFiredAt) &&
    nullableNumber(v.lastResolvedAt) &&
    nullableNumber(v.value);
  if (!ok) throw new TypeError(`not an alert state: ${json}`);
  return {
    status: v.status as AlertStatus,
    severity: v.severity as Severity | null,
    count: v.count as number,
    since: v.since as number | null,
    lastFiredAt: v.lastFiredAt as number | null,
    lastResolvedAt: v.lastResolvedAt as number | null,
    value: v.value as number | null,
  };
}
