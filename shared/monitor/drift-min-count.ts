// Which windows a drift verdict may be drawn for. The drift service computes `drifted` for
// every window, but the alert rules judge a window only once it holds the rule's minCount
// predictions: a verdict on a 40-prediction window is noise, and a report (or dashboard)
// that shows it contradicts the alert timeline beside it.
import type { AlertRule } from '../config/monitoring-config.js';
import { parseMetric } from '../config/monitoring-config.js';
import { PREDICTION_COLUMN } from './metrics-snapshot.js';

/** Drift rules' minCount by drift entry name (a feature, PREDICTION_COLUMN, or `*`); the smallest where rules overlap. */
export function driftMinCounts(rules: readonly AlertRule[]): Record<string, number> {
  const out: Record<string, number> = {};
  const keep = (key: string, minCount: number): void => {
    out[key] = Math.min(out[key] ?? Number.POSITIVE_INFINITY, minCount);
  };
  for (const rule of rules) {
    const ref = parseMetric(rule.metric);
    if (ref === null) continue;
    if (ref.family === 'drift') keep(ref.feature, rule.minCount);
    else if (ref.family === 'prediction_drift') keep(PREDICTION_COLUMN, rule.minCount);
  }
  return out;
}

/**
 * The minCount that applies to one drift entry: its own rule's or the `*` rule's, the
 * smaller if both exist (either may judge it). 0 when no rule judges it.
 */
export function minCountFor(minCounts: Record<string, number> | undefined, name: string): number {
  if (minCounts === undefined) return 0;
  const own = minCounts[name];
  const wildcard = name === PREDICTION_COLUMN ? undefined : minCounts['*'];
  const candidates = [own, wildcard].filter((n): n is number => n !== undefined);
  return candidates.length ? Math.min(...candidates) : 0;
}

/**
 * The fewest predictions any drift rule needs before it judges a window (the smallest
 * minCount of the rules), or undefined when no rule judges drift. A dashboard that has one
 * number per horizon shows no verdict below it.
 */
export function smallestDriftMinCount(rules: readonly AlertRule[]): number | undefined {
  const counts = Object.values(driftMinCounts(rules));
  return counts.length > 0 ? Math.min(...counts) : undefined;
}
