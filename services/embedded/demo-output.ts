// What the demo prints: one short line per event, a progress line every few seconds, and the
// incident record in a readable form at the end. Pure formatting, no I/O.
import type { Alert, Incident, ModelEvent } from '../../shared/codec/index.js';
import type { DemoEvent, ProgressReport } from './loop-demo.js';

const clock = (ms: number | null | undefined): string => (ms === null || ms === undefined ? '–' : new Date(ms).toISOString().slice(11, 19));
const pct = (value: number | null | undefined): string => (value === null || value === undefined || !Number.isFinite(value) ? '  –  ' : `${(value * 100).toFixed(1)}%`);
const num = (value: number | null | undefined, digits = 3): string => (value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits));
const kb = (bytes: number): string => (bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${bytes} B`);

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

function table(rows: string[][], indent = '    '): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => indent + r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd());
}

/** The incident record, section by section. */
export function incidentLines(incident: Incident): string[] {
  const out: string[] = [];
  const metric = incident.metric ?? 'accuracy';
  out.push(`Incident ${incident.id}  (${incident.model}: v${incident.championVersion ?? '–'} → v${incident.challengerVersion ?? '–'}, status ${incident.status})`);
  out.push(`  opened ${clock(incident.openedAt)}, last update ${clock(incident.updatedAt)}`);

  out.push('  Triggers');
  for (const t of incident.triggers) {
    out.push(
      `    ${t.kind} ${t.severity ?? ''} ${t.metric ?? ''}${t.feature ? `(${t.feature})` : ''} = ${num(t.value)} (threshold ${num(t.threshold)}), ` +
        `window ${clock(t.windowStart)}–${clock(t.windowEnd)}`,
    );
  }

  const d = incident.diagnosis;
  if (d) {
    out.push(`  Diagnosis (before vs during the drift, which started ${clock(d.driftStart)})`);
    out.push(`    ${metric}: ${num(d.metricBefore)} → ${num(d.metricDuring)}; label coverage ${pct(d.labelCoverage)}`);
    const drifted = d.driftedFeatures.slice(0, 5);
    if (drifted.length > 0) {
      out.push(
        `    top features by drift: ${drifted.map((f) => `${f.feature} ${f.stat} ${num(f.value)}${f.drifted ? ' (drifted)' : ''}`).join(', ')}` +
          (drifted.every((f) => !f.drifted) ? ' — none drifted: the inputs look the same, the concept changed' : ''),
      );
    }
    if (d.predictionDrift) out.push(`    prediction drift: ${d.predictionDrift.stat} ${num(d.predictionDrift.value)}${d.predictionDrift.drifted ? ' (drifted)' : ''}`);
    if (d.perClass.length > 0) {
      out.push(
        ...table([
          ['class', 'recall before', 'recall during', 'support before', 'support during'],
          ...d.perClass.map((c) => [c.label, num(c.recallBefore), num(c.recallDuring), String(c.supportBefore), String(c.supportDuring)]),
        ]),
      );
    }
  }

  const data = incident.data;
  if (data) {
    out.push(`  Data read from the log (${clock(data.from)}–${clock(data.to)})`);
    out.push(`    ${data.predictions} predictions, ${data.labels} labels, ${data.joined} joined examples`);
    const split = (name: string, s: { size: number; from: number | null; to: number | null }): string => `${name} ${s.size} (${clock(s.from)}–${clock(s.to)})`;
    out.push(`    split by time: ${split('train', data.train)}, ${split('validation', data.validation)}, ${split('test', data.test)}`);
  }

  if (incident.search.length > 0) {
    const best = [...incident.search].sort((a, b) => b.validationMetric - a.validationMetric || a.validationLoss - b.validationLoss)[0];
    out.push(`  Search (fine-tuned from v${incident.championVersion ?? '–'}; * = best by validation ${metric})`);
    out.push(
      ...table([
        ['', 'learning rate', 'epochs', 'L2', `val ${metric}`, 'val loss', 'stopped at', 'seconds'],
        ...incident.search.map((r) => [
          r === best ? '*' : ' ',
          String(r.learningRate),
          String(r.epochs),
          String(r.l2),
          num(r.validationMetric),
          num(r.validationLoss),
          String(r.stoppedEpoch),
          r.seconds.toFixed(1),
        ]),
      ]),
    );
  }

  const names = Object.keys(incident.challengerMetrics).filter((k) => k !== 'count');
  if (names.length > 0) {
    out.push(`  Champion vs challenger on the same test split (${incident.challengerMetrics.count ?? '?'} examples)`);
    out.push(
      ...table([
        ['metric', `champion v${incident.championVersion ?? '–'}`, `challenger v${incident.challengerVersion ?? '–'}`],
        ...names.map((k) => [k, num(incident.championMetrics[k]), num(incident.challengerMetrics[k])]),
      ]),
    );
  }

  if (incident.decision) out.push(`  Decision: ${incident.decision}${incident.reason ? ` — ${incident.reason}` : ''}`);

  if (incident.variants.length > 0) {
    out.push('  Variants (parity with the full-precision model on the test split)');
    out.push(
      ...table([
        ['precision', 'size', 'class agreement', `${metric} delta`, 'kept'],
        ...incident.variants.map((v) => [v.precision, kb(v.bytes), pct(v.classAgreement), num(v.metricDelta, 4), v.kept ? 'yes' : `no: ${v.reason ?? ''}`]),
      ]),
    );
  }

  const v = incident.verification;
  if (v) {
    out.push(
      `  Verification: ${v.status}` +
        (v.status === 'PENDING'
          ? ` (${v.labelled} labelled so far)`
          : ` — live ${metric} of v${incident.challengerVersion} ${num(v.observed)} on ${v.labelled} labelled predictions ` +
            `${v.status === 'RECOVERED' ? '≥' : '<'} baseline ${num(v.baseline)} − ${num(v.tolerance, 2)} (window ending ${clock(v.at)})`),
    );
  }
  return out;
}
