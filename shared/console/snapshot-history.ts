// Metrics snapshots per model → horizon → version, each series sorted by window end with one
// entry per end, bounded by time (window end older than the history) and by a count per series.
//
// Two services publish a snapshot of the same window: the performance service (accuracy, f1,
// label coverage…) and the drift service (drift statistics, data quality, class shares). The
// entry of a window is both merged (mergeSnapshots); a re-published snapshot from either
// overrides what it carries.
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

/** `next` over `previous` of the same window: its metrics win, its drift list and shares when it has them. */
export function mergeSnapshots(previous: SnapshotEntry, next: SnapshotEntry): SnapshotEntry {
  return {
    ...next,
    count: Math.max(previous.count, next.count),
    time: Math.max(previous.time, next.time),
    labelCoverage: next.labelCoverage ?? previous.labelCoverage,
    metrics: { ...previous.metrics, ...next.metrics },
    drift: next.drift.length > 0 ? next.drift : previous.drift,
    predictionShares: next.predictionShares ?? previous.predictionShares,
    referenceShares: next.referenceShares ?? previous.referenceShares,
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

  /**
   * @param maxPerSeries entries kept per (model, version, horizon)
   * @param maxTotal entries kept in all; over it the longest series are cut to a common length
   */
  constructor(
    private readonly maxPerSeries: number,
    private readonly maxTotal: number = Number.POSITIVE_INFINITY,
  ) {}

  /** Snapshots held, all series together. */
  get size(): number {
    return this.entries;
  }

  /**
   * Adds the snapshot, or merges it into the entry of the same window; the entry as it now is,
   * or null when the snapshot is older than `cutoff` (outside the history) or than all the cap keeps.
   */
  add(model: string, horizon: string, entry: SnapshotEntry, cutoff: number): SnapshotEntry | null {
    if (entry.end < cutoff) return null;
    let byHorizon = this.series.get(model);
    if (!byHorizon) this.series.set(model, (byHorizon = new Map()));
    let byVersion = byHorizon.get(horizon);
    if (!byVersion) byHorizon.set(horizon, (byVersion = new Map()));
    let series = byVersion.get(entry.version);
    if (!series) byVersion.set(entry.version, (series = []));
    const at = lowerBound(series, entry.end);
    const known = series[at];
    if (known?.end === entry.end) {
      series[at] = mergeSnapshots(known, entry);
      return series[at];
    }
    series.splice(at, 0, entry);
    this.entries += 1;
    if (series.length > this.maxPerSeries) {
      series.splice(0, series.length - this.maxPerSeries);
      this.entries -= 1;
    }
    // Cut by 1 % more than needed, so the scan over every series runs once per many adds.
    if (this.entries > this.maxTotal) this.shrinkTo(Math.floor(this.maxTotal * 0.99));
    // A late snapshot older than everything kept may have been the one a cap just dropped.
    return series.includes(entry) ? entry : null;
  }

  /**
   * Cuts the longest series (their oldest windows) to one common length, the largest that brings
   * the total to `target` or below: a model with many versions or horizons loses history before
   * one with a single series does.
   */
  private shrinkTo(target: number): void {
    const all: SnapshotEntry[][] = [];
    for (const byHorizon of this.series.values()) for (const byVersion of byHorizon.values()) for (const series of byVersion.values()) all.push(series);
    const excessAt = (length: number): number => all.reduce((sum, series) => sum + Math.max(0, series.length - length), 0);
    const needed = this.entries - target;
    // The largest length whose cut removes at least what is needed (excessAt falls as length grows).
    let lo = 0;
    let hi = Math.max(...all.map((series) => series.length));
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (excessAt(mid) >= needed) lo = mid;
      else hi = mid - 1;
    }
    for (const series of all) {
      if (series.length > lo) {
        this.entries -= series.length - lo;
        series.splice(0, series.length - lo);
      }
    }
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
