// Each incident as its chain: what triggered it → what the diagnosis found → what the
// retrain decided → whether the verification saw the metric recover. A step not reached
// yet is drawn pending; the steps a failed job did not reach are drawn failed.
import { el, fill } from './dom.js';
import { clock, num, versionLabel } from './format.js';

/** @typedef {import('./store.js').Incident} Incident */
/** @typedef {'done' | 'pending' | 'bad' | 'skipped'} StepState */

/** @param {HTMLElement} container @param {Incident[]} incidents */
export function renderIncidents(container, incidents) {
  fill(container, incidents.map(incidentChain), 'no incidents');
}

/** @param {Incident} incident */
function incidentChain(incident) {
  const steps = [trigger(incident), diagnosis(incident), retrain(incident), verification(incident)];
  const chain = el('ol.chain');
  steps.forEach((step, i) => {
    if (i > 0) chain.append(el('li.arrow', { 'aria-hidden': 'true' }, '→'));
    chain.append(el(`li.step.${step.state}`, { 'data-step': step.name }, el('h3', null, step.name), ...step.lines.map((line) => el('p', null, line))));
  });
  return el(
    'article.incident',
    { 'data-incident': incident.id, 'data-status': incident.status },
    el('header', null, el('strong', null, `Incident ${incident.id}`), ` · ${incident.status} · opened ${clock(incident.openedAt)} · updated ${clock(incident.updatedAt)}`),
    chain,
  );
}

/** @param {Incident} incident */
function trigger(incident) {
  /** @type {any[]} */
  const triggers = incident.triggers ?? [];
  const lines = triggers.slice(0, 3).map((t) => {
    if (t.kind === 'MANUAL' && !t.alertId) return 'manual request';
    const what = [t.kind, t.metric, t.feature].filter(Boolean).join(' ');
    return t.value === null || t.value === undefined ? what : `${what} ${num(t.value)} vs ${num(t.threshold)}`;
  });
  if (triggers.length > 3) lines.push(`+${triggers.length - 3} more`);
  return { name: 'trigger', state: /** @type {StepState} */ ('done'), lines: lines.length ? lines : ['–'] };
}

/** @param {Incident} incident */
function diagnosis(incident) {
  const d = incident.diagnosis;
  if (!d) return { name: 'diagnosis', state: pendingOrBad(incident, 'diagnosis'), lines: [incident.status === 'FAILED' ? 'not reached' : 'pending'] };
  const metric = incident.metric ?? 'metric';
  /** @type {string[]} */
  const lines = [`${metric} ${num(d.metricBefore)} → ${num(d.metricDuring)}`];
  /** @type {any[]} */
  const drifted = d.driftedFeatures ?? [];
  if (drifted.length) lines.push(`drifted: ${drifted.slice(0, 3).map((f) => `${f.feature} (${f.stat} ${num(f.value)})`).join(', ')}`);
  if (d.predictionDrift) lines.push(`predictions: ${d.predictionDrift.stat} ${num(d.predictionDrift.value)}`);
  return { name: 'diagnosis', state: /** @type {StepState} */ ('done'), lines };
}

/** @param {Incident} incident */
function retrain(incident) {
  const metric = incident.metric;
  if (!incident.decision) {
    const waiting = incident.status === 'OPEN' ? 'waiting for the retrain lock' : incident.status === 'TRAINING' ? 'training…' : 'not reached';
    return { name: 'retrain', state: pendingOrBad(incident, 'retrain'), lines: [incident.reason && incident.status === 'FAILED' ? `failed: ${incident.reason}` : waiting] };
  }
  const lines = [`${incident.decision} ${incident.challengerVersion ? versionLabel(incident.challengerVersion) : ''}`.trim()];
  if (metric) lines.push(`${metric}: ${num(incident.challengerMetrics?.[metric])} vs champion ${versionLabel(incident.championVersion)} ${num(incident.championMetrics?.[metric])}`);
  if (incident.reason) lines.push(incident.reason);
  return { name: 'retrain', state: /** @type {StepState} */ (incident.decision === 'PROMOTED' ? 'done' : 'bad'), lines };
}

/** @param {Incident} incident */
function verification(incident) {
  const v = incident.verification;
  if (incident.decision === 'REJECTED') return { name: 'verification', state: /** @type {StepState} */ ('skipped'), lines: ['none: nothing promoted'] };
  if (!v || v.status === 'PENDING') {
    const progress = v ? `${v.labelled} labelled predictions so far` : 'waiting for a promoted version';
    return { name: 'verification', state: pendingOrBad(incident, 'verification'), lines: [progress] };
  }
  return {
    name: 'verification',
    state: /** @type {StepState} */ (v.status === 'RECOVERED' ? 'done' : 'bad'),
    lines: [v.status, `${num(v.observed)} vs baseline ${num(v.baseline)} (tolerance ${num(v.tolerance)})`, `on ${v.labelled} labelled · ${clock(v.at)}`],
  };
}

/** @param {Incident} incident @param {string} _step which step (for the reader of a call) @returns {StepState} */
function pendingOrBad(incident, _step) {
  return incident.status === 'FAILED' ? 'bad' : 'pending';
}
