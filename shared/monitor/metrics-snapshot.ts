// The metrics-snapshot event of one model version, one horizon, one evaluation.
import type { ColumnDrift as ColumnDriftEvent, MetricsSnapshotInput, Window } from '../codec/events.generated.js';
import { shareMetrics } from './class-shares.js';
import type { DriftReport } from './drift-report.js';

/** Feature name under which the prediction distribution's drift appears in a snapshot. */
export const PREDICTION_COLUMN = '@prediction';

export interface SnapshotInput {
  model: string;
  version: string;
  /** Horizon name, e.g. '5m'. */
  horizon: string;
  window: Window;
  time: number;
  performance?: Record<string, number>;
  drift?: DriftReport;
}

// Avro doubles carry NaN, but the codec refuses non-finite numbers; an absent metric says "undefined here" plainly.
function finiteEntries(values: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(values)) if (Number.isFinite(v)) out[k] = v;
  return out;
}

function driftEntry(feature: string, c: DriftReport['columns'][string]): ColumnDriftEvent | null {
  if (!Number.isFinite(c.value)) return null;
  return { feature, statistic: c.statistic, value: c.value, threshold: c.threshold, drifted: c.drifted, pValue: c.pValue ?? null };
}

export function metricsSnapshot(input: SnapshotInput): MetricsSnapshotInput {
  const metrics: Record<string, number> = input.performance ? finiteEntries(input.performance) : {};
  const drift: ColumnDriftEvent[] = [];
  const d = input.drift;
  if (d) {
    for (const [feature, column] of Object.entries(d.columns)) {
      const entry = driftEntry(feature, column);
      if (entry) drift.push(entry);
    }
    if (d.prediction) {
      const entry = driftEntry(PREDICTION_COLUMN, d.prediction);
      if (entry) drift.push(entry);
    }
    Object.assign(
      metrics,
      finiteEntries({ dataset_drift_share: d.datasetDrift.share, predictions: d.count }),
      finiteEntries(d.predictionShares ? shareMetrics(d.predictionShares) : {}),
      ...Object.entries(d.dataQuality).map(([f, q]) => finiteEntries({ [`missing_rate:${f}`]: q.missingRate, [`out_of_range:${f}`]: q.outOfRangeShare, [`unseen_categories:${f}`]: q.unseenShare })),
    );
  }
  const coverage = input.performance?.label_coverage;
  return {
    model: input.model,
    modelVersion: input.version,
    horizon: input.horizon,
    window: input.window,
    labelCoverage: coverage !== undefined && Number.isFinite(coverage) ? coverage : null,
    metrics,
    drift,
    time: input.time,
  };
}
