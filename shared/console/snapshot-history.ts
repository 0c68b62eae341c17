// Metrics snapshots per model → horizon → version, each series sorted by window end with one
// entry per end (a re-published snapshot of the same window replaces the earlier one), bounded
// by time (window end older than the history) and by a count per series.
import type { ColumnDrift, MetricsSnapshot } from '../codec/index.js';
import { PREDICTION_SHARE_PREFIX, REFERENCE_SHARE_PREFIX, sharesFromMetrics, withoutShares } from '../monitor/class-shares.js';

export interface SnapshotEntry {
  version: string;
  start: number;
  end: number;
  count: number;
  time: number;
  labelCoverage: number | null;
  metrics: Record<string, number>;
  drift: ColumnDrift[];
  predictionShares: Record<string, number> | null;
  referenceShares: Record<string, number> | null;
}

export interface WindowQuery {
  version?: string;
  /** Only windows whose end is ≥ this. */
  since?: number;
  /** The newest `limit` windows (still in ascending order). */
  limit?: number;
}

export function snapshotEntry(snapshot: MetricsSnapshot): SnapshotEntry {
  return {
    version: snapshot.modelVersion,
    start: snapshot.window.start,
    end: snapshot.window.end,
    count: snapshot.window.count,
    time: snapshot.time,
    labelCoverage: snapshot.labelCoverage,
    metrics: withoutShares(snapshot.metrics),
    drift: snapshot.drift,
    predictionShares: sharesFromMetrics(snapshot.metrics, PREDICTION_SHARE_PREFIX),
    referenceShares: sharesFromMetrics(snapshot.metrics, REFERENCE_SHARE_PREFIX),
  };
}

/** Index of the first entry whose end is ≥ `end` (binary search; series are sorted by end). */
function lowerBound(series: readonly SnapshotEntry[], end: number): number {
  let lo = 0;
  let hi = series.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (series[mid]!.end < end) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class SnapshotHistory {
  private readonly series = new Map<string, Map<string, Map<string, SnapshotEntry[]>>>();
  private entries = 0;

  constructor(private readonly maxPerSeries: number) {}

  /** Snapshots held, all series together. */
  get size(): number {
    return this.entries;
  }

  /** Adds (or replaces) the snapshot; false when it is older than `cutoff` (outside the history). */
  add(model: string, horizon: string, entry: SnapshotEntry, cutoff: number): boolean {
    if (entry.end < cutoff) return false;
    let byHorizon = this.series.get(model);
    if (!byHorizon) this.series.set(model, (byHorizon = new Map()));
    let byVersion = byHorizon.get(horizon);
    if (!byVersion) byHorizon.set(horizon, (byVersion = new Map()));
    let series = byVersion.get(entry.version);
    if (!series) byVersion.set(entry.version, (series = []));
    const at = lowerBound(series, entry.end);
    if (series[at]?.end === entry.end) {
      series[at] = entry;
      return true;
    }
    series.splice(at, 0, entry);
    this.entries += 1;
    if (series.length > this.maxPerSeries) {
      series.splice(0, series.length - this.maxPerSeries);
      this.entries -= 1;
    }
    // A late snapshot older than everything kept may have been the one the cap just dropped.
    return series.includes(entry);
  }

  /** Drops windows that ended before `cutoff`, and series and models left empty. */
  prune(cutoff: number): void {
    for (const [model, byHorizon] of this.series) {
      for (const [horizon, byVersion] of byHorizon) {
        for (const [version, series] of byVersion) {
          const keep = lowerBound(series, cutoff);
          if (keep > 0) {
            series.splice(0, keep);
            this.entries -= keep;
          }
          if (series.length === 0) byVersion.delete(version);
        }
        if (byVersion.size === 0) byHorizon.delete(horizon);
      }
      if (byHorizon.size === 0) this.series.delete(model);
    }
  }

  models(): string[] {
    return [...this.series.keys()];
  }

  horizons(model: string): string[] {
    return [...(this.series.get(model)?.keys() ?? [])];
  }

  versions(model: string): string[] {
    const versions = new Set<string>();
    for (const byVersion of this.series.get(model)?.values() ?? []) for (const version of byVersion.keys()) versions.add(version);
    return [...versions];
  }

  /** Time of the newest snapshot of the model, or null. */
  lastSnapshotAt(model: string): number | null {
    let last: number | null = null;
    for (const byVersion of this.series.get(model)?.values() ?? []) {
      for (const series of byVersion.values()) for (const entry of series) if (last === null || entry.time > last) last = entry.time;
    }
    return last;
  }

  /** The model's windows of one horizon, all versions merged, sorted by end (then version). */
  windows(model: string, horizon: string, query: WindowQuery = {}): SnapshotEntry[] {
    const byVersion = this.series.get(model)?.get(horizon);
    if (!byVersion) return [];
    const picked: SnapshotEntry[] = [];
    for (const [version, series] of byVersion) {
      if (query.version !== undefined && version !== query.version) continue;
      const from = query.since === undefined ? 0 : lowerBound(series, query.since);
      for (let i = from; i < series.length; i++) picked.push(series[i]!);
    }
    picked.sort((a, b) => a.end - b.end || (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
    return query.limit === undefined ? picked : picked.slice(Math.max(0, picked.length - query.limit));
  }
}
