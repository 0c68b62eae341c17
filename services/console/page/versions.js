// Model versions with the metrics their promotion decision compared; the champion is marked.
import { el, fill } from './dom.js';
import { clock, num, versionLabel } from './format.js';

/** Statuses of a version that became champion: by promotion, or by a rollback to it. */
const CHAMPION_CHANGES = new Set(['PROMOTED', 'ROLLED_BACK']);

/** Versions that served before can be made champion again. @param {import('./store.js').Version} v */
function canRollBackTo(v) {
  return CHAMPION_CHANGES.has(v.status);
}

/**
 * @param {HTMLElement} container @param {import('./store.js').Version[]} versions @param {string | null} champion
 * @param {(version: string) => void} onRollback called when a "roll back to" button is clicked
 */
export function renderVersions(container, versions, champion, onRollback) {
  if (versions.length === 0) {
    fill(container, [], 'no versions yet');
    return;
  }
  const head = el('tr', null, ...['version', 'status', 'since', 'from', 'trigger', 'metric: challenger vs champion', 'trained on', ''].map((h) => el('th', null, h)));
  const rows = versions.map((v) => {
    const isChampion = v.version === champion;
    const metric = v.metric;
    const compared = metric ? `${metric}: ${num(v.challengerMetrics[metric])} vs ${num(v.championMetrics[metric])}` : '–';
    return el(
      'tr',
      { 'data-version': v.version, 'data-status': v.status, ...(isChampion ? { 'data-champion': 'true', class: 'champion' } : {}) },
      el('td', null, isChampion ? el('strong', { title: 'serving (champion)' }, `★ ${versionLabel(v.version)}`) : versionLabel(v.version)),
      el(
        'td',
        null,
        el(`span.chip.${v.status.toLowerCase()}`, v.status === 'ROLLED_BACK' ? { title: 'made champion again by a rollback' } : null, v.status === 'ROLLED_BACK' ? 'ROLLED BACK TO' : v.status),
        // A promotion does not publish an event for the version it replaces: say it here.
        CHAMPION_CHANGES.has(v.status) && champion !== null && !isChampion ? el('span.muted', null, ' · replaced') : null,
      ),
      el('td', null, clock(v.time)),
      el('td', null, versionLabel(v.parentVersion)),
      el('td', null, v.trigger.kind === 'ALERT' ? 'alert' : v.trigger.kind.toLowerCase()),
      el('td', { title: v.reason ?? '' }, compared),
      el('td.num', null, v.trainingSize > 0 ? `${v.trainingSize} rows` : '–'),
      el('td', null, !isChampion && champion !== null && canRollBackTo(v) ? rollbackButton(v.version, onRollback) : null),
    );
  });
  fill(container, [el('table.versions', null, el('thead', null, head), el('tbody', null, ...rows))], 'no versions yet');
}

/** @param {string} version @param {(version: string) => void} onRollback */
function rollbackButton(version, onRollback) {
  const button = el('button.small', { type: 'button', 'data-rollback': version }, `Roll back to ${versionLabel(version)}`);
  button.addEventListener('click', () => onRollback(version));
  return button;
}
