// One alert transition as one terminal line (`driftwatch alerts tail`): when, which model and
// version, what kind, whether it fires or resolves, how severe, on which metric and feature,
// and the value against its threshold.
import type { Alert } from '../../shared/codec/events.generated.js';

const time = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Four significant digits: enough to compare a PSI or an accuracy with its threshold. */
const number = (value: number): string => (Number.isFinite(value) ? String(Number(value.toPrecision(4))) : String(value));

export function alertLine(alert: Alert): string {
  const subject = alert.feature === null ? alert.metric : `${alert.metric}[${alert.feature}]`;
  return [
    time(alert.time),
    alert.model,
    `v${alert.modelVersion}`,
    alert.kind.padEnd(16),
    alert.status.padEnd(8),
    alert.severity.padEnd(8),
    subject,
    `value ${number(alert.value)} vs threshold ${number(alert.threshold)}`,
  ].join('  ');
}
