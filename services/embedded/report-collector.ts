// Turns what the embedded services published during a replay (metrics snapshots, alerts,
// dead letters) into the Report of shared/report/types.ts.
//
// Windows: the performance service and the drift service each publish a snapshot per
// (version, horizon, window end); the report merges the two into one window, so a reader
// finds accuracy and the drift of `spend` of the same window in one place. Where both
// publish a metric of the same name (`predictions`) the performance service's value is
// kept: it counts every prediction of the window, while the drift service leaves out the
// predictions that built the reference; the drift service's count stays readable as
// `drift_predictions` (the sample its statistics were computed on). Merging is also what makes a redelivered
// snapshot (at-least-once) harmless; alerts are deduplicated by their id.
import type { Alert, DeadLetter, MetricsSnapshot } from '../../shared/codec/index.js';
import { parseDuration } from '../../shared/config/monitoring-config.js';
import type { ModelReport, WindowReport } from '../../shared/report/types.js';

/** The drift service's `predictions` (its statistics' sample size), kept beside the performance service's. */
export const DRIFT_COUNT_METRIC = 'drift_predictions';

interface ModelCollection {
  versions: string[];
  windows: Map<string, WindowReport>;
  alerts: Map<string, Alert>;
}

export class ReportCollector {
  private readonly models = new Map<string, ModelCollection>();
  private readonly deadLetters: Record<string, number> = {};

  /** Registers a model version in order of first appearance (predictions fed, in order). */
  sawVersion(model: string, version: string): void {
    const collection = this.model(model);
    if (!collection.versions.includes(version)) collection.versions.push(version);
  }

  addSnapshot(snapshot: MetricsSnapshot): void {
    const collection = this.model(snapshot.model);
    const key = `${snapshot.modelVersion}\u0000${snapshot.horizon}\u0000${snapshot.window.end}`;
    // A drift snapshot carries the drift statistics (and dataset_drift_share); a performance one never does.
    const fromDrift = snapshot.drift.length > 0 || 'dataset_drift_share' in snapshot.metrics;
    const metrics = { ...snapshot.metrics };
    if (fromDrift && metrics.predictions !== undefined) metrics[DRIFT_COUNT_METRIC] = metrics.predictions;
    const existing = collection.windows.get(key);
    if (existing === undefined) {
      collection.windows.set(key, {
        modelVersion: snapshot.modelVersion,
        horizon: snapshot.horizon,
        horizonMs: parseDuration(snapshot.horizon),
        window: { ...snapshot.window },
        labelCoverage: snapshot.labelCoverage,
        metrics,
        drift: [...snapshot.drift],
      });
    } else if (fromDrift) {
      const driftCount = metrics[DRIFT_COUNT_METRIC];
      existing.metrics = { ...metrics, ...existing.metrics, ...(driftCount !== undefined ? { [DRIFT_COUNT_METRIC]: driftCount } : {}) };
      existing.drift = [...snapshot.drift];
    } else {
      existing.metrics = { ...existing.metrics, ...metrics };
      existing.labelCoverage = snapshot.labelCoverage;
      existing.window = { ...snapshot.window };
    }
  }

  addAlert(alert: Alert): void {
    this.model(alert.model).alerts.set(alert.id, alert);
  }

  addDeadLetter(deadLetter: DeadLetter): void {
    this.deadLetters[deadLetter.reason] = (this.deadLetters[deadLetter.reason] ?? 0) + 1;
  }

  deadLettersByReason(): Record<string, number> {
    return { ...this.deadLetters };
  }

  modelNames(): string[] {
    return [...this.models.keys()];
  }

  /** Models in order of first appearance; windows ordered by end, then horizon, then version. */
  modelReports(): ModelReport[] {
    return [...this.models].map(([model, c]) => ({
      model,
      versions: [...c.versions],
      windows: [...c.windows.values()].sort(
        (a, b) =>
          a.window.end - b.window.end ||
          a.horizonMs - b.horizonMs ||
          c.versions.indexOf(a.modelVersion) - c.versions.indexOf(b.modelVersion),
      ),
      // Map insertion order is publish order; a duplicate id keeps its first position.
      alerts: [...c.alerts.values()],
    }));
  }

  private model(model: string): ModelCollection {
    let collection = this.models.get(model);
    if (collection === undefined) {
      collection = { versions: [], windows: new Map(), alerts: new Map() };
      this.models.set(model, collection);
    }
    return collection;
  }
}
