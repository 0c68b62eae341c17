// An incident record (the retrainer's, shared/codec events.generated.ts) in readable text, for
// `driftwatch incidents` and the `npm start` demo. Pure formatting, no I/O.
//
// The summary: one line per part (what triggered it, champion → challenger, the decision, the
// data, the metric before/during the drift, champion vs challenger on the test split, the
// quantized variants, the verification). The details: tables of the triggers, the drift
// diagnosis, the per-class metrics, the data's time split, the search and every test metric.
import type { Incident, IncidentTrigger, IncidentVariant } from '../codec/events.generated.js';
import { table } from './text-table.js';

// ---- values --------------------------------------------------------------------------------

function time(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function num(value: number | null | undefined, digits = 4): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits);
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function seconds(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`;
}

// ---- summary -------------------------------------------------------------------------------

const SHOWN_TRIGGERS = 3;

export function triggerText(trigger: IncidentTrigger): string {
  if (trigger.kind === 'MANUAL' && trigger.alertId === null) return 'MANUAL';
  const what = [trigger.kind, trigger.severity, trigger.metric, trigger.feature].filter((p): p is string => p !== null && p !== '').join(' ');
  const value = trigger.value === null ? '' : ` ${num(trigger.value)}${trigger.threshold === null ? '' : ` vs ${num(trigger.threshold)}`}`;
  const alert = trigger.alertId === null ? '' : ` (alert ${trigger.alertId})`;
  return `${what}${value}${alert}`;
}

function triggersText(triggers: readonly IncidentTrigger[]): string {
  if (triggers.length === 0) return '-';
  const shown = triggers.slice(0, SHOWN_TRIGGERS).map(triggerText).join('; ');
  return triggers.length > SHOWN_TRIGGERS ? `${shown}; +${triggers.length - SHOWN_TRIGGERS} more` : shown;
}

function variantText(v: IncidentVariant): string {
  const parity = [
    v.classAgreement === null ? null : `agreement ${num(v.classAgreement, 3)}`,
    v.metricDelta === null ? null : `Δ ${num(v.metricDelta)}`,
    v.bytes > 0 ? bytes(v.bytes) : null,
  ].filter((p): p is string => p !== null);
  return `${v.precision} ${v.kept ? 'kept' : 'dropped'}${parity.length ? ` (${parity.join(', ')})` : ''}${!v.kept && v.reason ? `: ${v.reason}` : ''}`;
}

function decisionText(incident: Incident): string {
  const head = incident.decision ?? (incident.status === 'FAILED' ? 'FAILED' : incident.status === 'OPEN' || incident.status === 'TRAINING' ? '(pending)' : '-');
  return incident.reason ? `${head}: ${incident.reason}` : head;
}

function metricText(incident: Incident): string {
  const d = incident.diagnosis;
  if (d === null) return '-';
  const name = incident.metric ?? 'metric';
  const coverage = d.labelCoverage === null ? '' : ` (label coverage ${num(d.labelCoverage, 2)})`;
  return `${name} before drift ${num(d.metricBefore)} → during ${num(d.metricDuring)}${coverage}`;
}

function gateText(incident: Incident): string {
  const name = incident.metric;
  if (name === null) return '-';
  const champion = incident.championMetrics[name];
  const challenger = incident.challengerMetrics[name];
  if (champion === undefined && challenger === undefined) return '-';
  const championPart = incident.championVersion === null ? 'no champion' : `champion ${num(champion)}`;
  return `${name}: ${championPart} vs challenger ${num(challenger)}`;
}

function dataText(incident: Incident): string {
  const data = incident.data;
  if (data === null) return '-';
  const split = data.train.size + data.validation.size + data.test.size > 0 ? `; train ${data.train.size} / validation ${data.validation.size} / test ${data.test.size}` : '';
  return `${data.predictions} predictions, ${data.labels} labels, ${data.joined} joined (${time(data.from)} .. ${time(data.to)})${split}`;
}

function verificationText(incident: Incident): string {
  const v = incident.verification;
  if (v === null) return '-';
  const baseline = v.baseline === null ? 'no baseline' : `baseline ${num(v.baseline)} − ${num(v.tolerance, 2)}`;
  if (v.status === 'PENDING') return `PENDING (${v.labelled} labelled predictions so far; ${baseline})`;
  const observed = `${num(v.observed)} ${v.status === 'RECOVERED' ? '≥' : '<'} ${baseline}`;
  return `${v.status}: ${observed} on ${v.labelled} labelled predictions at ${time(v.at)}`;
}

/** The summary's lines, indented, one per part, without the heading line. */
export function incidentSummaryLines(incident: Incident): string[] {
  const took = incident.updatedAt > incident.openedAt ? ` (${seconds(incident.updatedAt - incident.openedAt)} later)` : '';
  const lines: [string, string][] = [
    ['opened', `${time(incident.openedAt)}, updated ${time(incident.updatedAt)}${took}`],
    ['triggers', triggersText(incident.triggers)],
    ['versions', `champion ${incident.championVersion ?? '(none)'} → challenger ${incident.challengerVersion ?? '-'}`],
    ['decision', decisionText(incident)],
    ['data', dataText(incident)],
    ['drift', metricText(incident)],
    ['test split', gateText(incident)],
    ['variants', incident.variants.length ? incident.variants.map(variantText).join('; ') : '-'],
    ['verification', verificationText(incident)],
  ];
  const width = Math.max(...lines.map(([k]) => k.length));
  return lines.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
}

/** The summary block of one incident: `id  model  status`, then the summary lines. */
export function incidentText(incident: Incident): string {
  return `${incident.id}  ${incident.model}  ${incident.status}\n` + incidentSummaryLines(incident).join('\n') + '\n';
}

/** Every incident's block, blank-line separated; a sentence when there are none. */
export function incidentsText(incidents: readonly Incident[], model?: string): string {
  if (incidents.length === 0) return model === undefined ? 'No incidents: no retrain has run yet.\n' : `No incidents for model ${model}.\n`;
  return incidents.map(incidentText).join('\n');
}

// ---- details -------------------------------------------------------------------------------

/**
 * The tables behind the summary, each after a blank line and its title: the triggers (all of
 * them, with their windows), the drift diagnosis, the per-class metrics, the data's time split,
 * the search (the challenger's grid point starred) and champion vs challenger on every metric.
 */
export function incidentDetailLines(incident: Incident): string[] {
  const metric = incident.metric ?? 'metric';
  const out: string[] = [];
  const section = (title: string, header: string[], rows: string[][]): void => {
    out.push('', `${title}:`, ...table(header, rows).trimEnd().split('\n'));
  };
  if (incident.triggers.length > 0) {
    section(
      'Triggers',
      ['KIND', 'SEVERITY', 'METRIC', 'FEATURE', 'VALUE', 'THRESHOLD', 'WINDOW', 'ALERT'],
      incident.triggers.map((t) => [
        t.kind,
        t.severity ?? '-',
        t.metric ?? '-',
        t.feature ?? '-',
        num(t.value),
        num(t.threshold),
        t.windowStart === null && t.windowEnd === null ? '-' : `${time(t.windowStart)} .. ${time(t.windowEnd)}`,
        t.alertId ?? '-',
      ]),
    );
  }
  const d = incident.diagnosis;
  if (d !== null) {
    if (d.driftedFeatures.length > 0 || d.predictionDrift !== null) {
      const findings = [...d.driftedFeatures, ...(d.predictionDrift ? [d.predictionDrift] : [])];
      section(
        `Drift before vs during${d.driftStart === null ? '' : ` (drift start ${time(d.driftStart)})`}`,
        ['FEATURE', 'STAT', 'VALUE', 'THRESHOLD', 'DRIFTED'],
        findings.map((f) => [f.feature, f.stat, num(f.value), num(f.threshold), f.drifted ? 'yes' : 'no']),
      );
      if (d.driftedFeatures.length > 0 && d.driftedFeatures.every((f) => !f.drifted)) {
        out.push('No feature drifted: the inputs look the same, the concept changed.');
      }
    }
    if (d.perClass.length > 0) {
      section(
        'Per class',
        ['CLASS', 'RECALL BEFORE', 'RECALL DURING', 'PRECISION BEFORE', 'PRECISION DURING', 'SUPPORT BEFORE', 'SUPPORT DURING'],
        d.perClass.map((c) => [c.label, num(c.recallBefore), num(c.recallDuring), num(c.precisionBefore), num(c.precisionDuring), String(c.supportBefore), String(c.supportDuring)]),
      );
    }
  }
  const data = incident.data;
  if (data !== null && data.train.size + data.validation.size + data.test.size > 0) {
    section(
      'Split by time (oldest train, newest test)',
      ['SPLIT', 'SIZE', 'FROM', 'TO'],
      (['train', 'validation', 'test'] as const).map((name) => [name, String(data[name].size), time(data[name].from), time(data[name].to)]),
    );
  }
  if (incident.search.length > 0) {
    const best = incident.challengerVersion === null ? -1 : bestRow(incident);
    section(
      'Search (validation)',
      ['', 'LEARNING RATE', 'EPOCHS', 'L2', `VAL ${metric.toUpperCase()}`, 'VAL LOSS', 'STOPPED AT', 'SECONDS'],
      incident.search.map((r, i) => [
        i === best ? '*' : '',
        String(r.learningRate),
        String(r.epochs),
        String(r.l2),
        num(r.validationMetric),
        num(r.validationLoss),
        String(r.stoppedEpoch),
        num(r.seconds, 1),
      ]),
    );
  }
  const names = Object.keys(incident.challengerMetrics).filter((k) => k !== 'count');
  if (names.length > 0) {
    const count = incident.challengerMetrics.count;
    section(
      `Champion vs challenger on the test split${count === undefined ? '' : ` (${count} examples)`}`,
      ['METRIC', `CHAMPION ${incident.championVersion ?? '(none)'}`, `CHALLENGER ${incident.challengerVersion ?? '-'}`],
      names.map((k) => [k, num(incident.championMetrics[k]), num(incident.challengerMetrics[k])]),
    );
  }
  return out;
}

/** One incident in detail: the summary block, then the tables. */
export function incidentDetailText(incident: Incident): string {
  return incidentText(incident) + incidentDetailLines(incident).map((line) => `${line}\n`).join('');
}

/**
 * The grid point the challenger was trained with, as the grid search picks it (shared/learning/
 * grid-search.ts): the best validation metric, a tie to the lower loss, then the earlier point.
 */
function bestRow(incident: Incident): number {
  const metricOf = (value: number) => (Number.isNaN(value) ? -Infinity : value);
  let best = -1;
  incident.search.forEach((r, i) => {
    const b = incident.search[best];
    if (b === undefined) best = i;
    else if (metricOf(r.validationMetric) !== metricOf(b.validationMetric)) {
      if (metricOf(r.validationMetric) > metricOf(b.validationMetric)) best = i;
    } else if (r.validationLoss < b.validationLoss) best = i;
  });
  return best;
}
