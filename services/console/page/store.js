// What the page knows about the selected model: loaded from the API, then kept current by
// the SSE events. Every entity is keyed the way the API keys it, so an event that repeats
// what a load already returned (the two race at start-up) replaces it rather than adding to it.

/** @typedef {{ feature: string, statistic: string, value: number, threshold: number, drifted: boolean, pValue: number | null }} Drift */
/** @typedef {{ version: string, start: number, end: number, count: number, time: number, labelCoverage: number | null,
 *   metrics: Record<string, number>, drift: Drift[], predictionShares: Record<string, number> | null,
 *   referenceShares: Record<string, number> | null, driftCount?: number }} Snapshot */
/** @typedef {{ key: string, model: string, modelVersion: string, kind: string, status: string, severity: string, metric: string,
 *   feature: string | null, value: number, threshold: number, window: { start: number, end: number, count: number },
 *   message: string, time: number, firedAt: number, resolvedAt: number | null }} Alert */
/** @typedef {{ version: string, status: string, time: number, parentVersion: string | null, trigger: { kind: string, alertId: string | null },
 *   metric: string | null, challengerMetrics: Record<string, number>, championMetrics: Record<string, number>, reason: string | null,
 *   incidentId: string | null, trainingSize: number, events: { status: string, time: number }[] }} Version */
/** @typedef {{ id: string, model: string, status: string, openedAt: number, updatedAt: number, [field: string]: any }} Incident */

/** Model statuses that make their version the champion (schemas/model.avsc). */
const CHAMPION_CHANGES = new Set(['PROMOTED', 'ROLLED_BACK']);

/** Keeps at most this many snapshots per horizon: the API's history, and enough for every chart. */
const MAX_SNAPSHOTS = 5000;

export class ModelStore {
  /** @param {string} model */
  constructor(model) {
    this.model = model;
    /** @type {string | null} */
    this.champion = null;
    /**
     * The drift rules' minCount per horizon for this model, when GET /api/models/:model gives
     * it (a model's own rules and horizons may differ from the defaults /api/config reports).
     * @type {Record<string, number> | null}
     */
    this.minCount = null;
    /** When the champion became champion: an older champion change never overrides it. */
    this.championSince = Number.NEGATIVE_INFINITY;
    /** @type {string[]} */
    this.horizons = [];
    /** @type {Map<string, Map<string, Snapshot>>} horizon → `${version}@${end}` → snapshot */
    this.snapshots = new Map();
    /** @type {Map<string, Alert>} */
    this.alerts = new Map();
    /** @type {Map<string, Version>} */
    this.versions = new Map();
    /** @type {Map<string, Incident>} */
    this.incidents = new Map();
  }

  /** @param {{ champion: string | null, horizons: string[], versions: Version[], minCount?: Record<string, number> }} detail */
  setDetail(detail) {
    this.minCount = detail.minCount ?? null;
    for (const h of detail.horizons) this.addHorizon(h);
    for (const v of detail.versions) this.versions.set(v.version, v);
    this.champion = detail.champion;
    const current = detail.versions.find((v) => v.version === detail.champion);
    this.championSince = current ? current.time : Number.NEGATIVE_INFINITY;
  }

  /** @param {string} horizon */
  addHorizon(horizon) {
    if (!this.horizons.includes(horizon)) this.horizons.push(horizon);
    if (!this.snapshots.has(horizon)) this.snapshots.set(horizon, new Map());
  }

  /** @param {string} horizon @param {Snapshot} snapshot */
  putSnapshot(horizon, snapshot) {
    this.addHorizon(horizon);
    const byKey = /** @type {Map<string, Snapshot>} */ (this.snapshots.get(horizon));
    const key = `${snapshot.version}@${snapshot.end}`;
    byKey.set(key, mergeSnapshots(byKey.get(key), snapshot));
    if (byKey.size > MAX_SNAPSHOTS) {
      const oldest = [...byKey.entries()].sort((a, b) => a[1].end - b[1].end).slice(0, byKey.size - MAX_SNAPSHOTS);
      for (const [key] of oldest) byKey.delete(key);
    }
  }

  /** Snapshots of one horizon, by window end (then version). @param {string} horizon @returns {Snapshot[]} */
  snapshotsOf(horizon) {
    return [...(this.snapshots.get(horizon)?.values() ?? [])].sort((a, b) => a.end - b.end || a.version.localeCompare(b.version));
  }

  /** @param {Alert} alert */
  putAlert(alert) {
    this.alerts.set(alert.key, alert);
  }

  /** Newest event time first, as the API sorts them: window end, then publish time. @returns {Alert[]} */
  alertTimeline() {
    return [...this.alerts.values()].sort((a, b) => b.window.end - a.window.end || b.time - a.time);
  }

  /**
   * A model event: the version's latest state. PROMOTED and ROLLED_BACK are champion changes
   * (a rollback publishes ROLLED_BACK for the version rolled back *to*); the newest one names
   * the champion.
   * @param {Version} version
   */
  putVersion(version) {
    const previous = this.versions.get(version.version);
    // An out-of-order (older) event never overwrites a newer state.
    if (previous && previous.time > version.time) return;
    this.versions.set(version.version, version);
    if (CHAMPION_CHANGES.has(version.status) && version.time >= this.championSince) {
      this.champion = version.version;
      this.championSince = version.time;
    }
  }

  /** Versions, newest first. @returns {Version[]} */
  versionList() {
    return [...this.versions.values()].sort((a, b) => versionOrder(b.version, a.version));
  }

  /** @param {Incident} incident */
  putIncident(incident) {
    const previous = this.incidents.get(incident.id);
    if (previous && previous.updatedAt > incident.updatedAt) return;
    this.incidents.set(incident.id, incident);
  }

  /** Newest opened first. @returns {Incident[]} */
  incidentList() {
    return [...this.incidents.values()].sort((a, b) => b.openedAt - a.openedAt);
  }
}

/**
 * The performance and the drift service each publish a snapshot of the same (version, window):
 * one with the metrics and label coverage, one with the drift statistics and prediction
 * shares. Whichever arrives second must not erase what the first brought. The drift
 * service's count (its statistics' sample) is kept apart as `driftCount`: minCount applies to it.
 * @param {Snapshot | undefined} previous @param {Snapshot} next @returns {Snapshot}
 */
export function mergeSnapshots(previous, next) {
  const own = next.drift.length > 0 ? { driftCount: next.count } : {};
  if (!previous) return { ...next, ...own };
  return {
    ...previous,
    ...next,
    ...own,
    count: Math.max(previous.count, next.count),
    metrics: { ...previous.metrics, ...next.metrics },
    drift: next.drift.length > 0 ? next.drift : previous.drift,
    labelCoverage: next.labelCoverage ?? previous.labelCoverage,
    predictionShares: next.predictionShares ?? previous.predictionShares,
    referenceShares: next.referenceShares ?? previous.referenceShares,
  };
}

/** Numeric-aware version order ('v10' after 'v9'). @param {string} a @param {string} b */
export function versionOrder(a, b) {
  return a.localeCompare(b, undefined, { numeric: true });
}
