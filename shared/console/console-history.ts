// Everything the console knows, rebuilt from the four topics it reads: snapshots, alerts, model
// versions and incidents, each bounded (see docs/console.md, "Memory"). Applying an event
// returns what changed as a ConsoleEvent (what the SSE stream sends), or null when nothing did.
import type { Alert, Incident, MetricsSnapshot, ModelEvent } from '../codec/index.js';
import { compareVersions } from '../sdk/models/model-registry.js';
import { AlertHistory, type AlertEntry, type AlertQuery } from './alert-history.js';
import { IncidentHistory, type RetrainEntry } from './incident-history.js';
import { ModelHistory, type VersionEntry } from './model-history.js';
import { SnapshotHistory, snapshotEntry, type SnapshotEntry, type WindowQuery } from './snapshot-history.js';

export type ConsoleEvent =
  | { type: 'snapshot'; data: { model: string; horizon: string; snapshot: SnapshotEntry } }
  | { type: 'alert'; data: AlertEntry }
  | { type: 'model'; data: VersionEntry & { model: string } }
  | { type: 'incident'; data: Incident };

export interface HistoryLimits {
  historyMs: number;
  maxSnapshotsPerSeries: number;
  /** All series together (default unbounded; the service sets DW_CONSOLE_MAX_SNAPSHOTS_TOTAL). */
  maxSnapshots?: number;
  maxAlerts: number;
  maxAlertHistory: number;
  maxIncidents: number;
}

export interface ModelSummary {
  model: string;
  champion: string | null;
  versions: string[];
  horizons: string[];
  lastSnapshotAt: number | null;
  firingAlerts: number;
}

export interface ModelDetail {
  model: string;
  champion: string | null;
  horizons: string[];
  versions: VersionEntry[];
}

export interface HistorySizes {
  snapshots: number;
  alerts: number;
  modelEvents: number;
  incidents: number;
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Horizons by length (5m before 1h before 24h) when they parse, else by name. */
function horizonOrder(a: string, b: string): number {
  const ms = (h: string): number => {
    const m = /^(\d+)(s|m|h|d)$/.exec(h);
    return m ? Number(m[1]) * { s: 1, m: 60, h: 3_600, d: 86_400 }[m[2] as 's' | 'm' | 'h' | 'd'] : Number.POSITIVE_INFINITY;
  };
  return ms(a) - ms(b) || byName(a, b);
}

export class ConsoleHistory {
  readonly snapshots: SnapshotHistory;
  readonly alertHistory: AlertHistory;
  readonly modelHistory = new ModelHistory();
  readonly incidentHistory: IncidentHistory;

  constructor(
    readonly limits: HistoryLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.snapshots = new SnapshotHistory(limits.maxSnapshotsPerSeries, limits.maxSnapshots);
    this.alertHistory = new AlertHistory(limits.maxAlerts, limits.maxAlertHistory);
    this.incidentHistory = new IncidentHistory(limits.maxIncidents);
  }

  /** Oldest event time kept. */
  cutoff(): number {
    return this.now() - this.limits.historyMs;
  }

  applySnapshot(snapshot: MetricsSnapshot): ConsoleEvent | null {
    const entry = this.snapshots.add(snapshot.model, snapshot.horizon, snapshotEntry(snapshot), this.cutoff());
    return entry && { type: 'snapshot', data: { model: snapshot.model, horizon: snapshot.horizon, snapshot: entry } };
  }

  applyAlert(alert: Alert): ConsoleEvent | null {
    const entry = this.alertHistory.add(alert, this.cutoff());
    return entry && { type: 'alert', data: entry };
  }

  /** Model events are not cut by time: the champion may have been promoted long ago. */
  applyModel(event: ModelEvent, offset: number): ConsoleEvent {
    return { type: 'model', data: { model: event.model, ...this.modelHistory.apply(event, offset) } };
  }

  applyIncident(incident: Incident): ConsoleEvent | null {
    return this.incidentHistory.add(incident, this.cutoff()) ? { type: 'incident', data: incident } : null;
  }

  /** Drops what fell out of the history since (the service calls it periodically). */
  prune(): void {
    const cutoff = this.cutoff();
    this.snapshots.prune(cutoff);
    this.alertHistory.prune(cutoff);
    this.incidentHistory.prune(cutoff);
  }

  sizes(): HistorySizes {
    return {
      snapshots: this.snapshots.size,
      alerts: this.alertHistory.size,
      modelEvents: this.modelHistory.size,
      incidents: this.incidentHistory.size,
    };
  }

  knows(model: string): boolean {
    return this.modelNames().includes(model);
  }

  modelNames(): string[] {
    const names = new Set([...this.snapshots.models(), ...this.modelHistory.modelNames(), ...this.alertHistory.models(), ...this.incidentHistory.models()]);
    return [...names].sort(byName);
  }

  models(): ModelSummary[] {
    return this.modelNames().map((model) => {
      const versions = new Set([...this.modelHistory.versions(model).map((v) => v.version), ...this.snapshots.versions(model)]);
      return {
        model,
        champion: this.modelHistory.champion(model),
        versions: [...versions].sort(compareVersions),
        horizons: this.snapshots.horizons(model).sort(horizonOrder),
        lastSnapshotAt: this.snapshots.lastSnapshotAt(model),
        firingAlerts: this.alertHistory.firing(model),
      };
    });
  }

  model(model: string): ModelDetail | null {
    if (!this.knows(model)) return null;
    return {
      model,
      champion: this.modelHistory.champion(model),
      horizons: this.snapshots.horizons(model).sort(horizonOrder),
      versions: this.modelHistory.versions(model),
    };
  }

  windows(model: string, horizon: string, query: WindowQuery = {}): SnapshotEntry[] {
    return this.snapshots.windows(model, horizon, query);
  }

  alerts(query: AlertQuery = {}): AlertEntry[] {
    return this.alertHistory.list(query);
  }

  incidents(model?: string): Incident[] {
    return this.incidentHistory.list(model);
  }

  retrains(model?: string): RetrainEntry[] {
    return this.incidentHistory.retrains(model);
  }
}
