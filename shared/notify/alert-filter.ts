// Which alerts a sink wants: at least a severity, optionally only some kinds. A transition
// below the bar is skipped (not delivered, not dead-lettered). A RESOLVED carries the
// severity it fired with, so a sink that got the FIRING gets its RESOLVED too.
import type { Alert, AlertKind, Severity } from '../codec/events.generated.js';

export const SEVERITY_ORDER: readonly Severity[] = ['INFO', 'WARNING', 'CRITICAL'];
export const ALERT_KINDS: readonly AlertKind[] = ['DATA_DRIFT', 'PREDICTION_DRIFT', 'PERFORMANCE', 'CONCEPT_DRIFT', 'DATA_QUALITY'];

export interface AlertFilter {
  minSeverity: Severity;
  /** null: every kind. */
  kinds: readonly AlertKind[] | null;
}

export function wants(filter: AlertFilter, alert: Pick<Alert, 'severity' | 'kind'>): boolean {
  if (SEVERITY_ORDER.indexOf(alert.severity) < SEVERITY_ORDER.indexOf(filter.minSeverity)) return false;
  return filter.kinds === null || filter.kinds.includes(alert.kind);
}
