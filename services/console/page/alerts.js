// The alert timeline: one row per alert (its latest transition), newest event time first.
import { el, fill } from './dom.js';
import { clock, num, versionLabel } from './format.js';

/** @param {HTMLElement} container @param {import('./store.js').Alert[]} alerts */
export function renderAlerts(container, alerts) {
  if (alerts.length === 0) {
    fill(container, [], 'no alerts');
    return;
  }
  const head = el('tr', null, ...['window end', 'status', 'severity', 'kind', 'what', 'value', 'version', 'fired', 'resolved', 'message'].map((h) => el('th', null, h)));
  const rows = alerts.map((a) =>
    el(
      'tr',
      { 'data-alert-key': a.key, 'data-status': a.status },
      el('td', null, clock(a.window.end)),
      el('td', null, el(`span.chip.${a.status === 'FIRING' ? 'firing' : 'resolved'}`, null, a.status)),
      el('td', null, a.severity),
      el('td', null, a.kind),
      el('td', null, a.feature ? `${a.metric} · ${a.feature}` : a.metric),
      el('td.num', null, `${num(a.value)} vs ${num(a.threshold)}`),
      el('td', null, versionLabel(a.modelVersion)),
      el('td', null, clock(a.firedAt)),
      el('td', null, clock(a.resolvedAt)),
      el('td.message', null, a.message),
    ),
  );
  fill(container, [el('table.alerts', null, el('thead', null, head), el('tbody', null, ...rows))], 'no alerts');
}
