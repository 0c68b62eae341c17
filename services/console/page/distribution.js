// The latest window's prediction distribution beside the reference the drift service
// compares it with: one pair of bars per class.
import { el, fill } from './dom.js';
import { clock, percent, versionLabel } from './format.js';

/** @typedef {import('./store.js').Snapshot} Snapshot */

/** The newest snapshot that carries prediction shares. @param {Snapshot[]} snapshots */
export function latestWithShares(snapshots) {
  for (let i = snapshots.length - 1; i >= 0; i--) {
    const s = /** @type {Snapshot} */ (snapshots[i]);
    if (s.predictionShares) return s;
  }
  return null;
}

/** @param {HTMLElement} container @param {HTMLElement} note @param {Snapshot[]} snapshots @param {string} horizon */
export function renderDistribution(container, note, snapshots, horizon) {
  const latest = latestWithShares(snapshots);
  if (!latest || !latest.predictionShares) {
    note.textContent = '';
    fill(container, [], snapshots.length ? 'no prediction shares in the snapshots yet' : 'no snapshots yet');
    return;
  }
  const predicted = latest.predictionShares;
  const reference = latest.referenceShares ?? {};
  note.textContent = `${horizon} window ending ${clock(latest.end)} · ${versionLabel(latest.version)}`;
  const classes = [...new Set([...Object.keys(reference), ...Object.keys(predicted)])].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const rows = classes.map((name) =>
    el(
      'div.bar-row',
      { 'data-class': name },
      el('span.bar-label', null, name),
      el(
        'span.bars',
        null,
        bar('now', predicted[name]),
        bar('reference', reference[name]),
      ),
    ),
  );
  fill(container, [el('p.legend', null, el('span.swatch.now'), ' this window ', el('span.swatch.reference'), ' reference'), ...rows], 'no classes');
}

/** @param {'now' | 'reference'} kind @param {number | undefined} share */
function bar(kind, share) {
  const width = share === undefined ? 0 : Math.max(0, Math.min(1, share)) * 100;
  return el('span.bar-line', null, el(`span.bar.${kind}`, { style: `width:${width.toFixed(1)}%` }), el('span.bar-value', null, percent(share)));
}
