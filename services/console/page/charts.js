// Performance over time: one uPlot chart per horizon with accuracy, F1 and label coverage
// for each model version (a promoted version starts its own lines, so the old version's
// fall and the new one's recovery are both visible). Charts are kept between redraws and
// fed with setData; they are rebuilt only when the set of lines changes.
import { el } from './dom.js';
import { versionLabel } from './format.js';

/** @typedef {import('./store.js').Snapshot} Snapshot */

const VERSION_COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf'];
/** F1 as the performance service names it: the positive label's for a binary task, else macro. */
const F1_NAMES = ['f1', 'f1_macro'];

/**
 * @typedef {{ label: string, version: string, pick: (s: Snapshot) => number | null | undefined, dash?: number[], width?: number }} Line
 */

/** Lines for the versions present, each with accuracy, F1 and label coverage. @param {Snapshot[]} snapshots @returns {Line[]} */
function linesFor(snapshots) {
  const versions = [...new Set(snapshots.map((s) => s.version))];
  const f1 = F1_NAMES.find((name) => snapshots.some((s) => name in s.metrics)) ?? 'f1';
  return versions.flatMap((version) => [
    { label: `accuracy ${versionLabel(version)}`, version, pick: (s) => s.metrics.accuracy, width: 2 },
    { label: `${f1 === 'f1' ? 'F1' : 'F1 macro'} ${versionLabel(version)}`, version, pick: (s) => s.metrics[f1], dash: [6, 3] },
    { label: `label coverage ${versionLabel(version)}`, version, pick: (s) => s.labelCoverage, dash: [2, 3], width: 1 },
  ]);
}

/** uPlot's aligned data: x = window ends in seconds, one column per line. @param {Snapshot[]} snapshots @param {Line[]} lines */
function alignedData(snapshots, lines) {
  const ends = [...new Set(snapshots.map((s) => s.end))].sort((a, b) => a - b);
  const at = new Map(ends.map((end, i) => [end, i]));
  const columns = lines.map(() => ends.map(() => /** @type {number | null} */ (null)));
  for (const s of snapshots) {
    const i = /** @type {number} */ (at.get(s.end));
    lines.forEach((line, j) => {
      if (line.version !== s.version) return;
      const value = line.pick(s);
      if (typeof value === 'number' && Number.isFinite(value)) /** @type {(number | null)[]} */ (columns[j])[i] = value;
    });
  }
  return [ends.map((end) => end / 1000), ...columns];
}

/** @typedef {{ at: number, label: string, kind: 'alert' | 'promotion' }} Marker */

/** A uPlot plugin drawing vertical lines at `markers()` (ms): red dashed alerts, green promotions. @param {() => Marker[]} markers */
function markerPlugin(markers) {
  return {
    hooks: {
      draw: [
        (/** @type {any} */ u) => {
          const { ctx } = u;
          const { left, top, width, height } = u.bbox;
          ctx.save();
          ctx.font = `${Math.round(11 * devicePixelRatio)}px system-ui, sans-serif`;
          for (const m of markers()) {
            const x = Math.round(u.valToPos(m.at / 1000, 'x', true));
            if (x < left || x > left + width) continue;
            ctx.strokeStyle = m.kind === 'alert' ? '#d62728' : '#2ca02c';
            ctx.fillStyle = ctx.strokeStyle;
            ctx.lineWidth = 1.5 * devicePixelRatio;
            ctx.setLineDash(m.kind === 'alert' ? [5 * devicePixelRatio, 4 * devicePixelRatio] : []);
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, top + height);
            ctx.stroke();
            ctx.fillText(m.label, x + 3 * devicePixelRatio, top + (m.kind === 'alert' ? 12 : 26) * devicePixelRatio);
          }
          ctx.restore();
        },
      ],
    },
  };
}

export class PerformanceCharts {
  /** @param {HTMLElement} container */
  constructor(container) {
    this.container = container;
    /** Alert and promotion times drawn on every chart. @type {Marker[]} */
    this.markers = [];
    /** @type {Map<string, { plot: any, signature: string, box: HTMLElement }>} */
    this.charts = new Map();
  }

  /**
   * @param {string[]} horizons @param {(horizon: string) => Snapshot[]} snapshotsOf
   * @param {Map<string, number>} colourIndex version → colour slot @param {Marker[]} [markers]
   */
  render(horizons, snapshotsOf, colourIndex, markers = []) {
    this.markers = markers;
    const withData = horizons.filter((h) => snapshotsOf(h).length > 0);
    for (const [horizon, chart] of this.charts) {
      if (!withData.includes(horizon)) {
        chart.plot.destroy();
        this.charts.delete(horizon);
      }
    }
    if (withData.length === 0) {
      this.container.replaceChildren(el('p.empty', null, 'no snapshots yet'));
      return;
    }
    this.container.querySelector('.empty')?.remove();
    for (const horizon of withData) {
      const snapshots = snapshotsOf(horizon);
      const lines = linesFor(snapshots);
      const data = alignedData(snapshots, lines);
      const signature = lines.map((l) => l.label).join('|');
      let chart = this.charts.get(horizon);
      if (chart && chart.signature !== signature) {
        chart.plot.destroy();
        chart.box.remove();
        chart = undefined;
      }
      if (!chart) {
        const box = el('div.chart', { 'data-horizon': horizon });
        this.container.append(box);
        chart = { plot: this.create(horizon, lines, data, box, colourIndex), signature, box };
        this.charts.set(horizon, chart);
      } else chart.plot.setData(data);
    }
  }

  /** Points drawn per chart, by horizon (read by the browser test and handy in devtools). */
  pointCounts() {
    return Object.fromEntries(
      [...this.charts].map(([horizon, { plot }]) => {
        /** @type {(number | null)[][]} */
        const columns = plot.data.slice(1);
        return [horizon, columns.reduce((n, column) => n + column.filter((v) => v !== null).length, 0)];
      }),
    );
  }

  /** @param {string} horizon @param {Line[]} lines @param {any[]} data @param {HTMLElement} box @param {Map<string, number>} colourIndex */
  create(horizon, lines, data, box, colourIndex) {
    const width = Math.max(320, Math.min(this.container.clientWidth - 8, 1200));
    const series = [
      {},
      ...lines.map((line) => ({
        label: line.label,
        stroke: VERSION_COLOURS[(colourIndex.get(line.version) ?? 0) % VERSION_COLOURS.length],
        width: line.width ?? 1.5,
        dash: line.dash,
        spanGaps: false,
        value: (/** @type {any} */ _u, /** @type {number | null} */ v) => (v === null ? '–' : v.toFixed(3)),
      })),
    ];
    // @ts-expect-error uPlot is the global of the IIFE bundle the loader adds before this module.
    return new uPlot(
      { title: `${horizon} windows`, width, height: 240, series, scales: { x: { time: true }, y: { range: [0, 1] } }, axes: [{}, { size: 44 }],
        plugins: [markerPlugin(() => this.markers)] },
      data,
      box,
    );
  }
}
