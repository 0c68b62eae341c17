// Feature drift as a heatmap: one row per feature (and the predictions), one column per
// window end, each cell coloured by how far the statistic is towards its threshold
// (1 = at the threshold). A window with fewer predictions than the drift rules' minCount
// (GET /api/config) is drawn hatched grey: the rules do not judge it, so neither does the page.
import { el } from './dom.js';
import { clock, num, versionLabel } from './format.js';

/** @typedef {import('./store.js').Snapshot} Snapshot */

/** Hypothesis tests publish a p-value: drift when it is small (shared/stats/drift/stat-tests.ts). */
const P_VALUE_TESTS = new Set(['ks', 'chisquare', 'z']);
const PREDICTION_COLUMN = '@prediction';
const ROW_HEIGHT = 22;
const LABEL_WIDTH = 130;
const MIN_CELL = 4;
const UNJUDGED = '#e4e4e4';

/**
 * 0 = no drift at all, 1 = at the threshold, above = past it (capped at 3 for colour).
 * @param {import('./store.js').Drift} d
 */
export function severity(d) {
  if (P_VALUE_TESTS.has(d.statistic)) return d.value <= 0 ? 3 : Math.min(3, d.threshold / d.value);
  return d.threshold > 0 ? Math.min(3, d.value / d.threshold) : 0;
}

/** Green below the threshold, through yellow at it, to dark red at three times it. @param {number} s */
export function colour(s) {
  if (s < 1) return `hsl(${120 - 60 * s}, 65%, ${88 - 18 * s}%)`;
  return `hsl(${Math.max(0, 40 - 20 * (s - 1))}, 80%, ${62 - 12 * (s - 1)}%)`;
}

/**
 * How one cell is drawn: a window below minCount gets the neutral colour and no verdict,
 * whatever the service published; otherwise its colour and the service's verdict.
 * @param {Snapshot} s @param {import('./store.js').Drift} d @param {number} minCount
 * @returns {{ fill: string, verdict: 'drifted' | 'no drift' | null }}
 */
export function cellOf(s, d, minCount) {
  if (driftCount(s) < minCount) return { fill: UNJUDGED, verdict: null };
  return { fill: colour(severity(d)), verdict: d.drifted ? 'drifted' : 'no drift' };
}

/** Per window end, the snapshot of the version that served most of it. @param {Snapshot[]} snapshots */
function columnsOf(snapshots) {
  /** @type {Map<number, Snapshot>} */
  const byEnd = new Map();
  for (const s of snapshots) {
    if (s.drift.length === 0) continue;
    const current = byEnd.get(s.end);
    if (!current || s.count > current.count) byEnd.set(s.end, s);
  }
  return [...byEnd.values()].sort((a, b) => a.end - b.end);
}

export class DriftHeatmap {
  /** @param {HTMLElement} container */
  constructor(container) {
    this.container = container;
    this.canvas = /** @type {HTMLCanvasElement} */ (el('canvas', { class: 'heatmap', role: 'img' }));
    this.readout = el('p.readout.muted', null, 'Point at a cell for its values.');
    this.legend = el(
      'p.legend',
      null,
      el('span.swatch', { style: `background:${colour(0.2)}` }),
      ' well below threshold ',
      el('span.swatch', { style: `background:${colour(0.99)}` }),
      ' at threshold ',
      el('span.swatch', { style: `background:${colour(2)}` }),
      ' past it (drift) ',
      el('span.swatch.unjudged'),
      ' below minCount: no verdict',
    );
    /** @type {{ columns: Snapshot[], features: string[], cell: number, minCount: number } | null} */
    this.layout = null;
    this.canvas.addEventListener('mousemove', (event) => this.describe(event));
  }

  /** @param {Snapshot[]} snapshots @param {number} minCount */
  render(snapshots, minCount) {
    let columns = columnsOf(snapshots);
    if (columns.length === 0) {
      this.layout = null;
      this.container.replaceChildren(el('p.empty', null, snapshots.length ? 'no drift statistics in these snapshots yet' : 'no snapshots yet'));
      return;
    }
    if (!this.canvas.isConnected) this.container.replaceChildren(this.canvas, this.legend, this.readout);
    const features = [...new Set(columns.flatMap((s) => s.drift.map((d) => d.feature)))].sort((a, b) =>
      a === PREDICTION_COLUMN ? 1 : b === PREDICTION_COLUMN ? -1 : a.localeCompare(b),
    );
    const width = Math.max(320, Math.min(this.container.clientWidth - 4, 1200));
    const plotWidth = width - LABEL_WIDTH;
    // The newest windows win when there are more than fit.
    const fit = Math.floor(plotWidth / MIN_CELL);
    if (columns.length > fit) columns = columns.slice(-fit);
    const cell = Math.min(28, plotWidth / columns.length);
    const height = features.length * ROW_HEIGHT + 20;
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(width * ratio);
    this.canvas.height = Math.round(height * ratio);
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.canvas.setAttribute('aria-label', `drift of ${features.length} features over ${columns.length} windows`);
    const ctx = /** @type {CanvasRenderingContext2D} */ (this.canvas.getContext('2d'));
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.font = '12px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    features.forEach((feature, row) => {
      const y = row * ROW_HEIGHT;
      ctx.fillStyle = '#333';
      ctx.fillText(feature === PREDICTION_COLUMN ? 'predictions' : truncate(feature, 18), 4, y + ROW_HEIGHT / 2);
      columns.forEach((s, col) => {
        const x = LABEL_WIDTH + col * cell;
        const d = s.drift.find((entry) => entry.feature === feature);
        if (!d) return;
        ctx.fillStyle = cellOf(s, d, minCount).fill;
        ctx.fillRect(x, y + 1, Math.max(1, cell - 1), ROW_HEIGHT - 2);
      });
    });
    // Time axis: first and last window end, and the middle one.
    ctx.fillStyle = '#555';
    const axisY = features.length * ROW_HEIGHT + 10;
    const first = /** @type {Snapshot} */ (columns[0]);
    const last = /** @type {Snapshot} */ (columns[columns.length - 1]);
    ctx.textAlign = 'left';
    ctx.fillText(clock(first.end), LABEL_WIDTH, axisY);
    ctx.textAlign = 'right';
    ctx.fillText(clock(last.end), Math.min(width - 2, LABEL_WIDTH + columns.length * cell), axisY);
    ctx.textAlign = 'left';
    this.layout = { columns, features, cell, minCount };
  }

  /** @param {MouseEvent} event */
  describe(event) {
    if (!this.layout) return;
    const { columns, features, cell, minCount } = this.layout;
    const box = this.canvas.getBoundingClientRect();
    const col = Math.floor((event.clientX - box.left - LABEL_WIDTH) / cell);
    const row = Math.floor((event.clientY - box.top) / ROW_HEIGHT);
    const s = columns[col];
    const feature = features[row];
    if (!s || feature === undefined) return;
    const d = s.drift.find((entry) => entry.feature === feature);
    if (!d) return;
    const { verdict } = cellOf(s, d, minCount);
    const said = verdict === null ? `no verdict (${driftCount(s)} < minCount ${minCount})` : verdict;
    this.readout.textContent = `${feature} · window ending ${clock(s.end)} (${versionLabel(s.version)}, ${driftCount(s)} predictions) · ${d.statistic} ${num(d.value)} vs threshold ${num(d.threshold)} · ${said}`;
  }
}

/** The drift statistics' sample: the drift service's count when known (see mergeSnapshots). @param {Snapshot} s */
export function driftCount(s) {
  return s.driftCount ?? s.count;
}

/** @param {string} text @param {number} max */
function truncate(text, max) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
