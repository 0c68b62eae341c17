// Renders a Report as one self-contained HTML file: the styles, uPlot and the data are all
// inline, so the file opens from disk, from an e-mail attachment or on an offline machine.
// Every string that came from input data (model and feature names, alert messages) is
// escaped on the server side or set with textContent in the page, never parsed as HTML.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Alert } from '../codec/index.js';
import { PERFORMANCE_METRICS } from '../config/monitoring-config.js';
import { PREDICTION_COLUMN } from '../monitor/metrics-snapshot.js';
import type { ModelReport, Report } from './types.js';

export interface UplotAssets {
  js: string;
  css: string;
}

let cachedAssets: UplotAssets | null = null;

/** uPlot's browser bundle and stylesheet, read from the installed package. */
export function loadUplotAssets(): UplotAssets {
  if (cachedAssets) return cachedAssets;
  const require = createRequire(import.meta.url);
  const read = (file: string): string => readFileSync(require.resolve(`uplot/dist/${file}`), 'utf8');
  cachedAssets = { js: read('uPlot.iife.min.js'), css: read('uPlot.min.css') };
  return cachedAssets;
}

export interface RenderOptions {
  title?: string;
  /** Defaults to the installed uPlot (loadUplotAssets). */
  uplot?: UplotAssets;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Text that may sit inside a <script> or <style> element: nothing in it can close the element. */
function scriptSafe(source: string): string {
  return source.replace(/<\/(script|style)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** JSON inside <script type="application/json">: `<` escaped, so no tag can start. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function isoTime(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace('.000Z', 'Z') : String(ms);
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) >= 1000 || Number.isInteger(value) ? String(value) : value.toPrecision(4);
}

function cell(text: string, className?: string): string {
  return className ? `<td class="${className}">${escapeHtml(text)}</td>` : `<td>${escapeHtml(text)}</td>`;
}

/** Alerts in event time (window end, then publish time): publish order interleaves the services. */
export function byEventTime(alerts: readonly Alert[]): Alert[] {
  return [...alerts].sort((a, b) => a.window.end - b.window.end || a.time - b.time);
}

function alertRows(alerts: Alert[]): string {
  return byEventTime(alerts)
    .map(
      (a) =>
        `<tr>${cell(isoTime(a.window.end))}${cell(a.kind)}${cell(a.status, a.status === 'FIRING' ? 'firing' : 'resolved')}` +
        `${cell(a.severity)}${cell(a.modelVersion)}${cell(a.metric)}${cell(a.feature ?? '')}${cell(formatNumber(a.value))}` +
        `${cell(formatNumber(a.threshold))}${cell(`${isoTime(a.window.start)} – ${isoTime(a.window.end)}`)}` +
        `${cell(String(a.window.count))}${cell(a.message)}</tr>`,
    )
    .join('\n');
}

function modelSection(model: ModelReport, index: number): string {
  const horizons = [...new Map(model.windows.map((w) => [w.horizon, w.horizonMs])).entries()].sort((a, b) => a[1] - b[1]);
  const firing = model.alerts.filter((a) => a.status === 'FIRING').length;
  const alertTable = model.alerts.length
    ? `<table class="alerts"><thead><tr><th>window end</th><th>kind</th><th>status</th><th>severity</th><th>version</th>` +
      `<th>metric</th><th>feature</th><th>value</th><th>threshold</th><th>window</th><th>count</th><th>message</th></tr></thead>` +
      `<tbody>\n${alertRows(model.alerts)}\n</tbody></table>`
    : '<p class="muted">No alerts.</p>';
  // The section the alerts were judged on is the one a reader needs first.
  const openHorizon = horizons.some(([name]) => name === model.evaluationHorizon) ? model.evaluationHorizon : horizons[0]?.[0];
  const horizonBlocks = horizons
    .map(
      ([horizon]) =>
        `<details${horizon === openHorizon ? ' open' : ''}><summary>Window ${escapeHtml(horizon)}${horizon === model.evaluationHorizon ? ' (evaluation horizon: alerts are judged on it)' : ''}</summary>` +
        `<h3>Performance</h3><div class="charts" data-chart="metrics" data-model="${index}" data-horizon="${escapeHtml(horizon)}"></div>` +
        `<h3>Drift per feature</h3><div class="charts" data-chart="drift" data-model="${index}" data-horizon="${escapeHtml(horizon)}"></div>` +
        `</details>`,
    )
    .join('\n');
  return (
    `<section class="model"><h2>Model ${escapeHtml(model.model)}</h2>` +
    `<p>Versions: ${escapeHtml(model.versions.join(', ') || '–')} · evaluations: ${model.windows.length} · ` +
    `alert transitions: ${model.alerts.length} (${firing} firing)</p>` +
    `<h3>Alerts</h3>${alertTable}\n${horizonBlocks || '<p class="muted">No evaluated windows.</p>'}</section>`
  );
}

function runSection(report: Report): string {
  const { run } = report;
  const deadLetters = Object.entries(run.counts.deadLetters);
  const rows: [string, string][] = [
    ['generated', isoTime(run.generatedAt)],
    ['duration', `${(run.durationMs / 1000).toFixed(1)} s`],
    ['predictions file', run.inputs.predictions ?? '–'],
    ['labels file', run.inputs.labels ?? '–'],
    ['config', run.inputs.config ?? 'none (defaults inferred)'],
    ['predictions', String(run.counts.predictions)],
    ['labels', String(run.counts.labels)],
    ['refused records', deadLetters.length ? deadLetters.map(([r, n]) => `${r}: ${n}`).join(', ') : '0'],
    ['event time', run.eventTime ? `${isoTime(run.eventTime.start)} – ${isoTime(run.eventTime.end)}` : '–'],
  ];
  const notes = run.notes.length ? `<ul>${run.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : '';
  return `<section><h2>Run</h2><table class="run">${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th>${cell(v)}</tr>`).join('')}</table>${notes}</section>`;
}

// Runs in the page. It builds charts from the embedded JSON; names reach the DOM only as
// text (uPlot sets titles and legend labels with textContent).
const PAGE_SCRIPT = String.raw`
(function () {
  var report = JSON.parse(document.getElementById('dw-report').textContent);
  var palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];
  var preferred = ['accuracy', 'f1', 'precision', 'recall', 'f1_macro', 'balanced_accuracy'];
  // Only these go on the performance chart: a snapshot also carries counts and drift/quality
  // figures (predictions, dataset_drift_share, missing_rate:x, ...) on other scales.
  var performanceMetrics = __PERFORMANCE_METRICS__;
  var predictionColumn = __PREDICTION_COLUMN__;
  // Mirrors minCountFor (shared/monitor/drift-min-count.ts).
  function minCountFor(model, feature) {
    var counts = model.driftMinCount || {};
    var own = counts[feature], wildcard = feature === predictionColumn ? undefined : counts['*'];
    var found = [own, wildcard].filter(function (n) { return typeof n === 'number'; });
    return found.length ? Math.min.apply(null, found) : 0;
  }
  // The drift statistics' sample (the drift service leaves out the predictions that built the reference).
  function driftCount(w) { return typeof w.metrics.drift_predictions === 'number' ? w.metrics.drift_predictions : w.window.count; }
  function markers(alerts) {
    return {
      hooks: {
        draw: [function (u) {
          var ctx = u.ctx, top = u.bbox.top, height = u.bbox.height;
          alerts.forEach(function (a) {
            var x = Math.round(u.valToPos(a.window.end / 1000, 'x', true));
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
            ctx.save();
            ctx.strokeStyle = a.status === 'FIRING' ? '#d62728' : '#2ca02c';
            ctx.lineWidth = 2;
            ctx.setLineDash(a.status === 'FIRING' ? [] : [6, 4]);
            ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + height); ctx.stroke();
            ctx.restore();
          });
        }]
      }
    };
  }
  function chart(container, title, names, xs, columns, alerts, hidden) {
    var series = [{}].concat(names.map(function (name, i) {
      return { label: name, stroke: /^below minCount/.test(name) ? '#aaaaaa' : palette[i % palette.length], width: 1.5, spanGaps: false, show: !hidden || !hidden(name, i) };
    }));
    var box = document.createElement('div');
    box.className = 'chart';
    container.appendChild(box);
    new uPlot({ title: title, width: 880, height: 260, series: series, scales: { x: { time: true } }, plugins: [markers(alerts)] },
      [xs].concat(columns), box);
  }
  document.querySelectorAll('.charts').forEach(function (container) {
    var model = report.models[Number(container.dataset.model)];
    var horizon = container.dataset.horizon;
    var windows = model.windows.filter(function (w) { return w.horizon === horizon; });
    var ends = [];
    windows.forEach(function (w) { if (ends.indexOf(w.window.end) < 0) ends.push(w.window.end); });
    ends.sort(function (a, b) { return a - b; });
    var xs = ends.map(function (e) { return e / 1000; });
    var at = {};
    ends.forEach(function (e, i) { at[e] = i; });
    function column() { return ends.map(function () { return null; }); }
    if (container.dataset.chart === 'metrics') {
      var names = [];
      windows.forEach(function (w) {
        Object.keys(w.metrics).forEach(function (k) {
          if (k !== 'label_coverage' && performanceMetrics.indexOf(k) >= 0 && names.indexOf(k) < 0) names.push(k);
        });
      });
      names.sort(function (a, b) {
        var ia = preferred.indexOf(a), ib = preferred.indexOf(b);
        return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || (a < b ? -1 : a > b ? 1 : 0);
      });
      var cols = names.map(column);
      var coverage = column();
      windows.forEach(function (w) {
        var i = at[w.window.end];
        names.forEach(function (k, j) { if (k in w.metrics) cols[j][i] = w.metrics[k]; });
        if (w.labelCoverage !== null) coverage[i] = w.labelCoverage;
      });
      var perf = model.alerts.filter(function (a) { return a.kind === 'PERFORMANCE' || a.kind === 'CONCEPT_DRIFT'; });
      if (names.length === 0) { var p = document.createElement('p'); p.className = 'muted'; p.textContent = 'No labelled windows.'; container.appendChild(p); return; }
      chart(container, 'Metrics (' + horizon + ' windows)', names.concat(['label coverage']), xs, cols.concat([coverage]), perf,
        function (name, i) { return i >= 5 && name !== 'label coverage'; });
      return;
    }
    var features = [];
    windows.forEach(function (w) { w.drift.forEach(function (d) { if (features.indexOf(d.feature) < 0) features.push(d.feature); }); });
    if (features.length === 0) { var q = document.createElement('p'); q.className = 'muted'; q.textContent = 'No drift statistics.'; container.appendChild(q); return; }
    features.forEach(function (feature) {
      // A window below the rules' minCount has no verdict: its value is drawn apart, in grey,
      // with no threshold to compare it with.
      var minCount = minCountFor(model, feature);
      var value = column(), threshold = column(), unjudged = column(), statistic = '';
      windows.forEach(function (w) {
        w.drift.forEach(function (d) {
          if (d.feature !== feature) return;
          var i = at[w.window.end];
          statistic = d.statistic;
          if (driftCount(w) < minCount) { unjudged[i] = d.value; return; }
          value[i] = d.value; threshold[i] = d.threshold;
        });
      });
      var related = model.alerts.filter(function (a) { return a.feature === feature; });
      var names = [statistic || 'value', 'threshold'], cols = [value, threshold];
      if (unjudged.some(function (v) { return v !== null; })) {
        names.push('below minCount ' + minCount + ' (no verdict)');
        cols.push(unjudged);
      }
      chart(container, feature + ' — ' + statistic, names, xs, cols, related);
    });
  });
})();
`;

function pageScript(): string {
  return PAGE_SCRIPT.replace('__PERFORMANCE_METRICS__', jsonForScript(PERFORMANCE_METRICS)).replace(
    '__PREDICTION_COLUMN__',
    jsonForScript(PREDICTION_COLUMN),
  );
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1180px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; } h2 { font-size: 18px; border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 32px; } h3 { font-size: 15px; }
table { border-collapse: collapse; margin: 8px 0; } th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
table.alerts { font-size: 12.5px; width: 100%; } td.firing { color: #b00020; font-weight: 600; } td.resolved { color: #1b7f2a; }
.muted { color: #777; } details { margin: 12px 0; } summary { cursor: pointer; font-weight: 600; font-size: 15px; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; } .chart { margin-bottom: 8px; }
.legend-note { font-size: 12.5px; color: #555; }
`;

export function renderReportHtml(report: Report, options: RenderOptions = {}): string {
  const uplot = options.uplot ?? loadUplotAssets();
  const title = options.title ?? `driftwatch report — ${report.models.map((m) => m.model).join(', ') || 'no models'}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${scriptSafe(uplot.css)}</style>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="legend-note">Charts plot each evaluated window at its end (event time, your time zone). Vertical lines mark alert transitions: solid red = firing, dashed green = resolved. Click a legend entry to show or hide a series.</p>
${runSection(report)}
${report.models.map(modelSection).join('\n')}
<script type="application/json" id="dw-report">${jsonForScript(report)}</script>
<script>${scriptSafe(uplot.js)}</script>
<script>${scriptSafe(pageScript())}</script>
</body>
</html>
`;
}
