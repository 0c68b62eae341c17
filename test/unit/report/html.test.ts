import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { escapeHtml, loadUplotAssets, renderReportHtml } from '../../../shared/report/html.js';
import { writeReport } from '../../../shared/report/write.js';
import { HOSTILE, sampleReport } from './sample-report.js';

function inlineScripts(html: string): { type: string | null; body: string }[] {
  return [...html.matchAll(/<script(?:\s+type="([^"]+)")?[^>]*>([\s\S]*?)<\/script>/g)].map((m) => ({
    type: m[1] ?? null,
    body: m[2]!,
  }));
}

describe('renderReportHtml', () => {
  const report = sampleReport();
  const html = renderReportHtml(report);

  it('references nothing outside the file', () => {
    expect(html).not.toMatch(/<(script|link|img|iframe|source)\b[^>]*\b(src|href)\s*=/i);
    expect(html).not.toMatch(/@import|url\(\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/<link\b/i);
  });

  it('inlines uPlot and its stylesheet', () => {
    const uplot = loadUplotAssets();
    expect(html).toContain(uplot.css);
    expect(html).toContain(uplot.js.slice(0, 2000));
    expect(uplot.js.length).toBeGreaterThan(10_000);
  });

  it('embeds the report data, which parses back to the same report', () => {
    const data = inlineScripts(html).find((s) => s.type === 'application/json');
    expect(data).toBeDefined();
    expect(JSON.parse(data!.body)).toEqual(report);
  });

  it('escapes every string that came from input data', () => {
    expect(html).not.toContain(HOSTILE);
    expect(html).not.toContain('<img');
    expect(html).toContain(escapeHtml(`churn${HOSTILE}`));
    expect(html).toContain(escapeHtml(`spend drifted ${HOSTILE}`));
    expect(html).toContain(escapeHtml(`model churn: no config ${HOSTILE}`));
    // Only our own three script elements exist: data, uPlot, page script.
    expect(inlineScripts(html)).toHaveLength(3);
  });

  it('has one alert row per transition and a chart slot per model and horizon', () => {
    const rows = html.match(/<td class="(firing|resolved)">/g) ?? [];
    expect(rows).toEqual(['<td class="firing">', '<td class="resolved">']);
    expect(html.match(/data-chart="metrics"/g)).toHaveLength(2);
    expect(html.match(/data-chart="drift"/g)).toHaveLength(2);
  });

  it('ships scripts that compile', () => {
    for (const script of inlineScripts(html).filter((s) => s.type === null)) {
      expect(() => new Script(script.body)).not.toThrow();
    }
  });

  it('writes report.json and report.html', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-report-'));
    const written = await writeReport(join(dir, 'nested'), report);
    expect(JSON.parse(readFileSync(written.json, 'utf8'))).toEqual(report);
    expect(readFileSync(written.html, 'utf8')).toBe(html);
  });

  it('builds the charts from the data (page script run against a stand-in DOM and uPlot)', () => {
    const charts = runPageScript(html);
    const metrics = charts.filter((c) => c.chart === 'metrics' && c.horizon === '5m');
    expect(metrics).toHaveLength(1);
    const [x, ...columns] = metrics[0]!.data;
    const fiveMinute = report.models[0]!.windows.filter((w) => w.horizon === '5m');
    expect(x).toEqual(fiveMinute.map((w) => w.window.end / 1000));
    expect(metrics[0]!.labels.slice(0, 2)).toEqual(['accuracy', 'f1']);
    expect(columns[0]).toEqual(fiveMinute.map((w) => w.metrics.accuracy ?? null));
    expect(columns.at(-1)).toEqual(fiveMinute.map((w) => w.labelCoverage));
    const drift = charts.filter((c) => c.chart === 'drift' && c.horizon === '1h');
    expect(drift.map((c) => c.title)).toEqual(['spend — wasserstein', `${HOSTILE} — psi`]);
    expect(drift[0]!.data[1]).toEqual(report.models[0]!.windows.filter((w) => w.horizon === '1h').map((w) => w.drift[0]!.value));
  });
});

describe('renderReportHtml presents the windows as the alert rules judged them', () => {
  it('lists alerts by event time, not in the order the services published them', () => {
    const report = sampleReport();
    const model = report.models[0]!;
    const [firing, resolved] = model.alerts;
    // The drift service published its resolution before the performance service's older alert.
    const performance = { ...firing!, id: 'perf', key: 'perf', kind: 'PERFORMANCE' as const, metric: 'accuracy', feature: null,
      window: { ...firing!.window, end: firing!.window.end - 300_000 }, time: resolved!.time + 1 };
    model.alerts = [resolved!, firing!, performance];
    const html = renderReportHtml(report);
    const kinds = [...html.matchAll(/<tr><td>[^<]*<\/td><td>(\w+)<\/td><td class="(firing|resolved)">/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(kinds).toEqual(['PERFORMANCE firing', 'DATA_DRIFT firing', 'DATA_DRIFT resolved']);
  });

  it("opens the evaluation horizon's section, and only it", () => {
    const report = sampleReport();
    report.models[0]!.evaluationHorizon = '1h';
    const html = renderReportHtml(report);
    expect(html).toMatch(/<details open><summary>Window 1h \(evaluation horizon/);
    expect(html).toMatch(/<details><summary>Window 5m<\/summary>/);
  });

  it('opens the shortest horizon of a report that names no evaluation horizon', () => {
    const html = renderReportHtml(sampleReport());
    expect(html).toMatch(/<details open><summary>Window 5m<\/summary>/);
    expect(html).toMatch(/<details><summary>Window 1h<\/summary>/);
  });

  it('keeps counts and drift/quality figures out of the performance chart', () => {
    const report = sampleReport();
    for (const w of report.models[0]!.windows) {
      if (w.metrics.accuracy === undefined) continue;
      Object.assign(w.metrics, { predictions: 6000, count: 5800, drift_predictions: 5000, dataset_drift_share: 0.5, 'missing_rate:spend': 0.01, label_coverage: 0.95 });
    }
    const metrics = runPageScript(renderReportHtml(report)).find((c) => c.chart === 'metrics' && c.horizon === '5m')!;
    expect(metrics.labels).toEqual(['accuracy', 'f1', 'f1_macro', 'label coverage']);
  });

  it('draws no drift verdict for a window below the drift rules\' minCount', () => {
    const report = sampleReport();
    const model = report.models[0]!;
    // Window counts are 6001..6006: the first three are below 6004.
    model.driftMinCount = { '*': 6004 };
    const spend = runPageScript(renderReportHtml(report)).find((c) => c.chart === 'drift' && c.horizon === '5m' && c.title.startsWith('spend'))!;
    const [, value, threshold, unjudged] = spend.data;
    expect(spend.labels).toEqual(['wasserstein', 'threshold', 'below minCount 6004 (no verdict)']);
    expect(value).toEqual([null, null, null, 0.8, 0.8, 0.8]);
    expect(threshold).toEqual([null, null, null, 0.1, 0.1, 0.1]);
    expect(unjudged).toEqual([0.02, 0.02, 0.02, null, null, null]);
  });

  it("judges drift on the drift service's own sample size when the report has it", () => {
    const report = sampleReport();
    const model = report.models[0]!;
    model.driftMinCount = { '*': 1000 };
    for (const w of model.windows) w.metrics.drift_predictions = w.window.count === 6001 ? 900 : 5000;
    const spend = runPageScript(renderReportHtml(report)).find((c) => c.chart === 'drift' && c.horizon === '5m' && c.title.startsWith('spend'))!;
    expect(spend.data[1]).toEqual([null, 0.02, 0.02, 0.8, 0.8, 0.8]);
    expect(spend.data[3]).toEqual([0.02, null, null, null, null, null]);
  });
});

interface CapturedChart {
  chart: string;
  horizon: string;
  title: string;
  labels: string[];
  data: (number | null)[][];
}

/** Runs the page's own script with just enough DOM to see which charts it would draw. */
function runPageScript(html: string): CapturedChart[] {
  const scripts = inlineScripts(html);
  const json = scripts.find((s) => s.type === 'application/json')!.body;
  const page = scripts.filter((s) => s.type === null).at(-1)!.body;
  const containers = [...html.matchAll(/data-chart="(\w+)" data-model="(\d+)" data-horizon="([^"]+)"/g)].map((m) => ({
    dataset: { chart: m[1]!, model: m[2]!, horizon: m[3]! },
    children: [] as unknown[],
    appendChild(child: unknown) {
      this.children.push(child);
    },
  }));
  const captured: CapturedChart[] = [];
  let current: (typeof containers)[number] | null = null;
  const context = {
    document: {
      getElementById: (id: string) => (id === 'dw-report' ? { textContent: json } : null),
      querySelectorAll: () => ({
        forEach(fn: (c: (typeof containers)[number]) => void) {
          for (const c of containers) {
            current = c;
            fn(c);
          }
        },
      }),
      createElement: () => ({}),
    },
    uPlot: function (opts: { title: string; series: { label?: string }[] }, data: (number | null)[][]) {
      captured.push({
        chart: current!.dataset.chart,
        horizon: current!.dataset.horizon,
        title: opts.title,
        labels: opts.series.slice(1).map((s) => s.label!),
        data,
      });
    },
  };
  new Script(page).runInNewContext(context);
  return captured;
}
