// The live dashboard: loads the selected model from the API, then applies the SSE events
// of /api/events to the same store and redraws. Redraws are batched to one per frame, so
// a burst of events (a replay, a reconnect) costs one drawing.
import { ApiError, getJson, postJson, subscribe } from './api.js';
import { renderAlerts } from './alerts.js';
import { PerformanceCharts } from './charts.js';
import { renderDistribution } from './distribution.js';
import { fill } from './dom.js';
import { clock, versionLabel } from './format.js';
import { DriftHeatmap } from './heatmap.js';
import { renderIncidents } from './incidents.js';
import { ModelStore, versionOrder } from './store.js';
import { renderVersions } from './versions.js';

/** @param {string} id */
const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

const ui = {
  picker: /** @type {HTMLSelectElement} */ (byId('model-picker')),
  summary: byId('model-summary'),
  retrain: /** @type {HTMLButtonElement} */ (byId('retrain')),
  notice: byId('notice'),
  live: byId('live'),
  banner: byId('banner'),
  driftHorizon: /** @type {HTMLSelectElement} */ (byId('drift-horizon')),
  distribution: byId('distribution'),
  distributionNote: byId('distribution-note'),
  versions: byId('versions'),
  alerts: byId('alerts'),
  incidents: byId('incidents'),
};
const charts = new PerformanceCharts(byId('performance-charts'));
const heatmap = new DriftHeatmap(byId('drift-heatmap'));

/** @type {{ minCount: Record<string, number> }} */
let config = { minCount: {} };
/** @type {any[]} */
let models = [];
/** @type {ModelStore | null} */
let store = null;
/** Events that arrive while a model loads: applied once it is in, so none is lost. @type {[string, any][] | null} */
let pending = null;
/** Colour slot per version, stable across redraws. @type {Map<string, number>} */
const colours = new Map();
/** Problems by source ('api', 'events'); the banner shows them all. @type {Map<string, string>} */
const problems = new Map();

/** @param {string} source @param {string | null} message */
function problem(source, message) {
  if (message === null) problems.delete(source);
  else problems.set(source, message);
  ui.banner.hidden = problems.size === 0;
  ui.banner.textContent = [...problems.values()].join(' · ');
}

/** @param {unknown} error */
function describe(error) {
  return error instanceof ApiError ? error.message : `unexpected error: ${/** @type {Error} */ (error).message}`;
}

let frame = 0;
function scheduleDraw() {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    draw();
  });
}

/** The horizon the heatmap and the distribution show: chosen, else the first one with a minCount, else the shortest. */
function driftHorizon() {
  if (!store) return null;
  const chosen = ui.driftHorizon.value;
  if (chosen && store.horizons.includes(chosen)) return chosen;
  const current = store;
  return current.horizons.find((h) => (current.minCount ?? config.minCount)[h] !== undefined) ?? current.horizons[0] ?? null;
}

function draw() {
  if (!store) return;
  const current = store;
  for (const v of [...new Set([...current.versions.keys(), ...current.horizons.flatMap((h) => current.snapshotsOf(h).map((s) => s.version))])].sort(versionOrder)) {
    if (!colours.has(v)) colours.set(v, colours.size);
  }
  const horizons = [...current.horizons];
  charts.render(horizons, (h) => current.snapshotsOf(h), colours, markersOf(current));
  syncHorizonPicker(horizons);
  const horizon = driftHorizon();
  const snapshots = horizon ? current.snapshotsOf(horizon) : [];
  heatmap.render(snapshots, horizon ? minCountOf(current, horizon) : 0);
  renderDistribution(ui.distribution, ui.distributionNote, snapshots, horizon ?? '');
  renderVersions(ui.versions, current.versionList(), current.champion, rollback);
  ui.retrain.disabled = false;
  renderAlerts(ui.alerts, current.alertTimeline());
  renderIncidents(ui.incidents, current.incidentList());
  const firing = [...current.alerts.values()].filter((a) => a.status === 'FIRING').length;
  ui.summary.textContent = `champion ${versionLabel(current.champion)} · ${firing} firing alert${firing === 1 ? '' : 's'}`;
}

/** The fewest predictions a window of `horizon` needs for a drift verdict: the model's own, else the console's. @param {ModelStore} current @param {string} horizon */
function minCountOf(current, horizon) {
  return current.minCount?.[horizon] ?? config.minCount[horizon] ?? 0;
}

/** When alerts fired and versions were promoted, for the lines on the performance charts. @param {ModelStore} current */
function markersOf(current) {
  /** @type {import('./charts.js').Marker[]} */
  const markers = [];
  for (const a of current.alerts.values()) markers.push({ at: a.firedAt, label: a.feature ?? a.metric, kind: 'alert' });
  for (const v of current.versions.values()) {
    for (const e of v.events ?? []) {
      if (e.status === 'PROMOTED') markers.push({ at: e.time, label: `${versionLabel(v.version)} promoted`, kind: 'promotion' });
      else if (e.status === 'ROLLED_BACK') markers.push({ at: e.time, label: `rolled back to ${versionLabel(v.version)}`, kind: 'promotion' });
    }
  }
  return markers;
}

/** @param {string[]} horizons */
function syncHorizonPicker(horizons) {
  const have = [...ui.driftHorizon.options].map((o) => o.value);
  if (have.join('|') === horizons.join('|')) return;
  const selected = driftHorizon();
  ui.driftHorizon.replaceChildren(...horizons.map((h) => new Option(h, h, false, h === selected)));
}

function renderPicker() {
  const selected = store?.model ?? null;
  if (models.length === 0) {
    ui.picker.replaceChildren(new Option('no models yet', ''));
    ui.picker.disabled = true;
    return;
  }
  ui.picker.replaceChildren(
    ...models.map((m) => new Option(m.firingAlerts > 0 ? `${m.model} (${m.firingAlerts} firing)` : m.model, m.model, false, m.model === selected)),
  );
  ui.picker.disabled = false;
}

async function loadModels() {
  const body = await getJson('/api/models');
  models = body.models;
  renderPicker();
}

/** Loads everything about one model; events arriving meanwhile wait in `pending`. @param {string} model */
async function loadModel(model) {
  pending = [];
  const next = new ModelStore(model);
  try {
    const detail = await getJson(`/api/models/${encodeURIComponent(model)}`);
    next.setDetail(detail);
    const [alerts, incidents, ...windows] = await Promise.all([
      getJson('/api/alerts', { model }),
      getJson('/api/incidents', { model }),
      ...next.horizons.map((horizon) => getJson(`/api/models/${encodeURIComponent(model)}/windows`, { horizon })),
    ]);
    for (const a of alerts.alerts) next.putAlert(a);
    for (const i of incidents.incidents) next.putIncident(i);
    for (const w of windows) for (const s of w.snapshots) next.putSnapshot(w.horizon, s);
    store = next;
    const waiting = pending;
    pending = null;
    for (const [kind, data] of waiting) apply(kind, data);
    problem('api', null);
  } catch (error) {
    pending = null;
    throw error;
  }
  renderPicker();
  scheduleDraw();
}

/** @param {string} kind @param {any} data */
function apply(kind, data) {
  if (pending) {
    pending.push([kind, data]);
    return;
  }
  if (!models.some((m) => m.model === data.model)) {
    // A model the page has not seen: list it (and show it, when nothing was shown).
    void refreshModels();
    return;
  }
  if (!store || data.model !== store.model) return;
  if (kind === 'snapshot') store.putSnapshot(data.horizon, data.snapshot);
  else if (kind === 'alert') store.putAlert(data);
  else if (kind === 'model') store.putVersion(data);
  else if (kind === 'incident') store.putIncident(data);
  if (kind === 'alert' || kind === 'model') {
    const entry = models.find((m) => m.model === data.model);
    if (entry && kind === 'alert') entry.firingAlerts = [...store.alerts.values()].filter((a) => a.status === 'FIRING').length;
    renderPicker();
  }
  scheduleDraw();
}

let refreshing = false;
async function refreshModels() {
  if (refreshing) return;
  refreshing = true;
  try {
    await loadModels();
    if (!store && models.length > 0) await loadModel(chosenModel());
    problem('api', null);
  } catch (error) {
    problem('api', describe(error));
  } finally {
    refreshing = false;
  }
}

/** The model in the URL's #model=..., else the first listed. */
function chosenModel() {
  const wanted = new URLSearchParams(location.hash.slice(1)).get('model');
  return models.some((m) => m.model === wanted) ? /** @type {string} */ (wanted) : models[0].model;
}

/** After a lost connection the events in between are gone: reload what is shown. */
async function reload() {
  try {
    await loadModels();
    if (models.length > 0) await loadModel(store && models.some((m) => m.model === store?.model) ? store.model : chosenModel());
  } catch (error) {
    problem('api', describe(error));
  }
}

let lostSince = /** @type {number | null} */ (null);
function connect() {
  subscribe(apply, (status) => {
    if (status === 'open') {
      ui.live.textContent = 'live';
      ui.live.className = 'live up';
      problem('events', null);
      if (lostSince !== null) {
        lostSince = null;
        void reload();
      }
    } else {
      lostSince ??= Date.now();
      ui.live.textContent = 'reconnecting…';
      ui.live.className = 'live down';
      problem('events', `live updates lost at ${clock(lostSince)}; reconnecting (the page reloads what it missed once back)`);
    }
  });
}

ui.picker.addEventListener('change', () => {
  const model = ui.picker.value;
  if (!model) return;
  history.replaceState(null, '', `${location.pathname}${location.search}#model=${encodeURIComponent(model)}`);
  charts.render([], () => [], colours);
  colours.clear();
  loadModel(model).catch((error) => problem('api', describe(error)));
});
ui.driftHorizon.addEventListener('change', scheduleDraw);
ui.retrain.addEventListener('click', () => void retrain());

/** A line beside the header saying what an action did. @param {string} text */
function notify(text) {
  ui.notice.textContent = text;
}

async function retrain() {
  const model = store?.model;
  if (!model || !confirm(`Ask the retrainer to retrain ${model} now?`)) return;
  try {
    const reply = await postJson(`/api/models/${encodeURIComponent(model)}/retrain`);
    notify(`retrain of ${model} requested${reply?.status ? ` (${reply.status})` : ''}; the incident appears below`);
    problem('action', null);
  } catch (error) {
    problem('action', describe(error));
  }
}

/** Makes `version` the champion again; the model events that follow redraw the table. @param {string} version */
async function rollback(version) {
  const model = store?.model;
  if (!model || !confirm(`Roll ${model} back to ${versionLabel(version)}? It becomes the champion at once.`)) return;
  try {
    const reply = await postJson(`/api/models/${encodeURIComponent(model)}/rollback`, { version, reason: 'rolled back from the dashboard' });
    notify(`${model}: champion is now ${versionLabel(reply.champion)}`);
    problem('action', null);
  } catch (error) {
    problem('action', describe(error));
  }
}
window.addEventListener('resize', () => {
  // Chart widths follow the page: rebuild them at the new size.
  charts.render([], () => [], colours);
  scheduleDraw();
});

// For the browser test and devtools: what the charts hold, read-only.
Object.defineProperty(window, 'driftwatch', {
  value: Object.freeze({
    chartPoints: () => charts.pointCounts(),
    model: () => store?.model ?? null,
  }),
});

async function start() {
  try {
    config = await getJson('/api/config');
  } catch (error) {
    problem('api', describe(error));
  }
  connect();
  await refreshModels();
  if (models.length === 0) {
    for (const panel of [ui.distribution, ui.versions, ui.alerts, ui.incidents]) fill(panel, [], 'no models yet: waiting for the first snapshot');
  }
}

void start();
