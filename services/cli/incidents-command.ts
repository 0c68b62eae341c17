// `driftwatch incidents [model] [id]`: the retrainer's incident records (GET /incidents…),
// newest first, one summary block per incident: what triggered it, champion → challenger,
// the decision, the metric before/during the drift, champion vs challenger on the test split,
// the quantized variants and the verification. With an id, also the search and the diagnosis.
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Incident, IncidentTrigger, IncidentVariant } from '../../shared/codec/events.generated.js';
import { table } from './models-command.js';
import type { CliStreams } from './program.js';
import { callRetrainer, retrainerUrl, type RetrainerClientDeps } from './retrainer-http.js';

export type IncidentsCommandDeps = CliStreams & RetrainerClientDeps;

interface IncidentsOptions {
  url?: string;
  json?: boolean;
  limit: number;
}

// ---- formatting ----------------------------------------------------------------------------

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

/** The summary block of one incident. */
export function incidentText(incident: Incident): string {
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
  return `${incident.id}  ${incident.model}  ${incident.status}\n` + lines.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n') + '\n';
}

/** Every incident's block, blank-line separated; a sentence when there are none. */
export function incidentsText(incidents: readonly Incident[], model?: string): string {
  if (incidents.length === 0) return model === undefined ? 'No incidents: no retrain has run yet.\n' : `No incidents for model ${model}.\n`;
  return incidents.map(incidentText).join('\n');
}

/** One incident in detail: the summary, the search table and the diagnosis. */
export function incidentDetailText(incident: Incident): string {
  let text = incidentText(incident);
  if (incident.search.length > 0) {
    const best = incident.challengerVersion === null ? -1 : bestRow(incident);
    text +=
      '\nSearch (validation):\n' +
      table(
        ['', 'LEARNING RATE', 'EPOCHS', 'L2', 'METRIC', 'LOSS', 'STOPPED AT', 'SECONDS'],
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
  const d = incident.diagnosis;
  if (d !== null) {
    if (d.driftedFeatures.length > 0 || d.predictionDrift !== null) {
      const findings = [...d.driftedFeatures, ...(d.predictionDrift ? [d.predictionDrift] : [])];
      text +=
        `\nDrift before vs during${d.driftStart === null ? '' : ` (drift start ${time(d.driftStart)})`}:\n` +
        table(['FEATURE', 'STAT', 'VALUE', 'THRESHOLD', 'DRIFTED'], findings.map((f) => [f.feature, f.stat, num(f.value), num(f.threshold), f.drifted ? 'yes' : 'no']));
    }
    if (d.perClass.length > 0) {
      text +=
        '\nPer class:\n' +
        table(
          ['CLASS', 'RECALL BEFORE', 'RECALL DURING', 'PRECISION BEFORE', 'PRECISION DURING', 'SUPPORT BEFORE', 'SUPPORT DURING'],
          d.perClass.map((c) => [c.label, num(c.recallBefore), num(c.recallDuring), num(c.precisionBefore), num(c.precisionDuring), String(c.supportBefore), String(c.supportDuring)]),
        );
    }
  }
  return text;
}

/** The grid point with the best validation metric (the challenger), first on ties. */
function bestRow(incident: Incident): number {
  let best = -1;
  incident.search.forEach((r, i) => {
    if (best < 0 || r.validationMetric > incident.search[best]!.validationMetric) best = i;
  });
  return best;
}

// ---- command -------------------------------------------------------------------------------

const positiveInteger = (text: string): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError('must be an integer >= 1');
  return value;
};

async function incidents(deps: IncidentsCommandDeps, model: string | undefined, id: string | undefined, options: IncidentsOptions): Promise<void> {
  const base = retrainerUrl(options.url, deps.env ?? process.env);
  const path =
    model === undefined
      ? `/incidents?limit=${options.limit}`
      : id === undefined
        ? `/incidents/${encodeURIComponent(model)}?limit=${options.limit}`
        : `/incidents/${encodeURIComponent(model)}/${encodeURIComponent(id)}`;
  const { body } = await callRetrainer(deps, base, 'GET', path);
  if (options.json) {
    deps.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    return;
  }
  if (id !== undefined) deps.stdout.write(incidentDetailText(body as Incident));
  else deps.stdout.write(incidentsText(body as Incident[], model));
}

/** Adds `incidents [model] [id]` to the program. */
export function registerIncidentsCommand(program: Command, deps: IncidentsCommandDeps): void {
  program
    .command('incidents')
    .description("The retrainer's incident records, newest first: trigger, decision, metrics, variants, verification.")
    .argument('[model]', 'only this model')
    .argument('[id]', 'one incident in detail (with the search table and the diagnosis)')
    .option('--url <url>', 'the retrainer (default DW_RETRAINER_URL, else http://127.0.0.1:9466)')
    .option('--json', 'machine-readable output')
    .option('--limit <n>', 'at most this many incidents', positiveInteger, 20)
    .action((model: string | undefined, id: string | undefined, options: IncidentsOptions) => incidents(deps, model, id, options));
}
