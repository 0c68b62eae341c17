// What the demo prints: one short line per event, a progress line every few seconds, and the
// incident record in a readable form at the end. Pure formatting, no I/O.
import type { Alert, Incident, ModelEvent } from '../../shared/codec/index.js';
import { incidentDetailLines, incidentSummaryLines } from '../../shared/report/incident-text.js';
import type { DemoEvent, ProgressReport } from './loop-demo.js';

const clock = (ms: number | null | undefined): string => (ms === null || ms === undefined ? '–' : new Date(ms).toISOString().slice(11, 19));
const pct = (value: number | null | undefined): string => (value === null || value === undefined || !Number.isFinite(value) ? '  –  ' : `${(value * 100).toFixed(1)}%`);
const num = (value: number | null | undefined, digits = 3): string => (value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits));

export function alertLine(alert: Alert): string {
  const subject = alert.feature === null ? alert.metric : `${alert.metric}(${alert.feature})`;
  if (alert.status === 'RESOLVED') return `alert RESOLVED ${alert.kind} ${subject} v${alert.modelVersion}: ${num(alert.value)} — ${alert.message}`;
  return (
    `alert FIRING ${alert.severity} ${alert.kind} ${subject} v${alert.modelVersion}: ${num(alert.value)} ` +
    `(threshold ${num(alert.threshold)}, window ${clock(alert.window.start)}–${clock(alert.window.end)})`
  );
}

function metricsLine(event: ModelEvent): string {
  const metric = event.metric ?? 'accuracy';
  const challenger = event.challengerMetrics[metric];
  const champion = event.championMetrics[metric];
  return `${metric} on the same test split: challenger v${event.version} ${num(challenger)} vs champion v${event.parentVersion ?? '–'} ${num(champion)}`;
}

export function modelLine(event: ModelEvent): string {
  switch (event.status) {
    case 'CANDIDATE':
      return `v${event.version} CANDIDATE (trained on ${event.trainingSize} examples, parent v${event.parentVersion ?? '–'}): ${metricsLine(event)}`;
    case 'PROMOTED':
      return `v${event.version} PROMOTED: ${metricsLine(event)}`;
    case 'REJECTED':
      return `v${event.version} REJECTED: ${event.reason ?? 'no reason given'}`;
    default:
      return `v${event.version} ${event.status}${event.reason ? `: ${event.reason}` : ''}`;
  }
}

export function incidentLine(incident: Incident): string | null {
  switch (incident.status) {
    case 'TRAINING': {
      const alerts = incident.triggers.length;
      return `retrain started: incident ${incident.id}, ${alerts} trigger${alerts === 1 ? '' : 's'}`;
    }
    case 'RECOVERED':
    case 'NOT_RECOVERED': {
      const v = incident.verification;
      return (
        `verification ${incident.status}: v${incident.challengerVersion} ${incident.metric} ${num(v?.observed)} on ${v?.labelled ?? 0} ` +
        `labelled predictions vs pre-drift baseline ${num(v?.baseline)} − tolerance ${num(v?.tolerance, 2)}`
      );
    }
    case 'FAILED':
      return `retrain FAILED: ${incident.reason ?? 'unknown error'}`;
    default:
      return null; // OPEN, and PROMOTED / REJECTED (the model events say it)
  }
}

export function progressLine(p: ProgressReport): string {
  return (
    `· serving v${p.version ?? '–'}  rolling accuracy ${pct(p.rollingAccuracy).padStart(6)}  ` +
    `${Math.round(p.predictionsPerS)} predictions/s  (${p.predictions} predicted, ${p.labels} labelled)`
  );
}

/** The line for one event, or null for events printed another way. */
export function eventLine(event: DemoEvent): string | null {
  switch (event.type) {
    case 'started':
    case 'console':
      // Header lines, printed by runDemo itself.
      return null;
    case 'bootstrap-training':
      return `training v1 on ${event.rows} labelled rows of ${event.concept} …`;
    case 'bootstrap':
      return (
        `v${event.version} PROMOTED (bootstrap): test ${event.metric} ${num(event.metrics[event.metric])}, ${event.train} training rows, ` +
        `backend ${event.backend ?? '–'}, ${event.seconds.toFixed(1)} s`
      );
    case 'serving':
      return `app: ModelWatcher loaded v${event.version}; predicting`;
    case 'drift':
      return `>>> concept switch at prediction ${event.atPrediction}: ${event.before} → ${event.after}`;
    case 'alert':
      return alertLine(event.alert);
    case 'model':
      return modelLine(event.event);
    case 'incident':
      return incidentLine(event.incident);
    case 'swap':
      return `app: hot-swapped to v${event.to} (from v${event.from}) at prediction ${event.atPrediction}, rolling accuracy ${pct(event.rollingAccuracy)}`;
    case 'progress':
      return progressLine(event.progress);
    case 'stopping':
      return `stopping: ${event.reason}`;
  }
}

/**
 * The incident record: a heading, then the summary and the tables `driftwatch incidents <model>
 * <id>` prints (shared/report/incident-text.ts).
 */
export function incidentLines(incident: Incident): string[] {
  const heading = `Incident ${incident.id}  (${incident.model}: v${incident.championVersion ?? '–'} → v${incident.challengerVersion ?? '–'}, status ${incident.status})`;
  return [heading, ...incidentSummaryLines(incident), ...incidentDetailLines(incident)];
}
