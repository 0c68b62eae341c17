// Drift and data quality of one window against a version's reference, from the window
// sums of the `feat:`, `pred:` and `dq:` families.
import type { ModelConfig } from '../config/monitoring-config.js';
import { detectBinnedColumnDrift } from '../stats/drift/column-drift.js';
import { datasetDrift } from '../stats/drift/dataset-drift.js';
import { STAT_TESTS } from '../stats/drift/stat-tests.js';
import type { ColumnDriftResult, ColumnType } from '../stats/drift/types.js';
import { CategoricalCounts } from '../stats/window/categorical-counts.js';
import type { CounterInput } from '../stats/window/counters.js';
import { NumericHistogram } from '../stats/window/numeric-histogram.js';
import { classShares, type PredictionShares } from './class-shares.js';
import { DQ_FIELDS } from './feature-deltas.js';
import { splitFeatureCounters } from './feature-fields.js';
import type { ColumnReference } from './reference-profile.js';
import type { ReferenceProfile } from './reference-profile.js';

export interface ColumnDrift extends ColumnDriftResult {
  /** Non-missing values of the column in the window. */
  count: number;
}

export interface DataQuality {
  /** Missing values / predictions in the window. */
  missingRate: number;
  /** Values outside the reference's range / non-missing values (numeric features). */
  outOfRangeShare: number;
  /** Categories the reference never saw / non-missing values (categorical and boolean features). */
  unseenShare: number;
}

export interface DriftReport {
  columns: Record<string, ColumnDrift>;
  prediction: ColumnDrift | null;
  /** Predicted-class shares of the window and of the reference (classification only). */
  predictionShares?: PredictionShares | null;
  datasetDrift: { share: number; drifted: boolean; driftShare: number; columns: number };
  dataQuality: Record<string, DataQuality>;
  /** Predictions in the window. */
  count: number;
}

export interface DriftWindows {
  feat?: CounterInput;
  pred?: CounterInput;
  dq?: CounterInput;
}

export type DriftSettings = Pick<ModelConfig, 'drift'>;

interface Aligned {
  columnType: ColumnType;
  reference: number[];
  current: number[];
  binValues?: number[];
  nUnique?: number;
  count: number;
}

function align(column: ColumnReference, counters: CounterInput): Aligned {
  if (column.type === 'numeric') {
    const h = NumericHistogram.fromCounters(column.edges, counters);
    const e = column.edges;
    const last = e.length - 1;
    const mids = column.counts.map((_, i) => ((e[i] as number) + (e[i + 1] as number)) / 2);
    return {
      columnType: 'numerical',
      // Underflow and overflow are bins too: values beyond the reference's range are the clearest drift there is.
      reference: [column.underflow, ...column.counts, column.overflow],
      current: [h.underflow, ...h.bins, h.overflow],
      binValues: [e[0] as number, ...mids, e[last] as number],
      // Evidently counts distinct values of reference ∪ current; a window keeps bins, so the reference's count stands in.
      nUnique: column.nUnique,
      count: h.total - h.missing,
    };
  }
  const cc = CategoricalCounts.fromCounters(column.vocabulary, counters, Math.max(column.vocabulary.length, 1));
  return {
    columnType: 'categorical',
    reference: [...column.counts, column.other],
    current: [...cc.vocabularyCounts(), cc.other],
    count: cc.total - cc.missing,
  };
}

function columnDrift(column: ColumnReference, counters: CounterInput, choice: { test?: keyof typeof STAT_TESTS; threshold?: number } | undefined): ColumnDrift {
  const a = align(column, counters);
  // A test the column's type does not allow (possible when the type was inferred, not declared) falls back to the default.
  const test = choice?.test !== undefined && STAT_TESTS[choice.test].allowedColumnTypes.includes(a.columnType) ? choice.test : undefined;
  const input = { columnType: a.columnType, reference: a.reference, current: a.current } as Parameters<typeof detectBinnedColumnDrift>[0];
  if (a.binValues) input.binValues = a.binValues;
  if (a.nUnique !== undefined) input.nUnique = a.nUnique;
  if (test !== undefined) input.test = test;
  if (test !== undefined && choice?.threshold !== undefined) input.threshold = choice.threshold;
  if (a.count === 0) {
    // No data in the window: no distribution to compare, and never a drift.
    const r = detectBinnedColumnDrift({ ...input, current: a.reference });
    return { statistic: r.statistic, value: Number.NaN, threshold: r.threshold, drifted: false, count: 0 };
  }
  return { ...detectBinnedColumnDrift(input), count: a.count };
}

/** Shares of a categorical prediction column, aligned on the reference's vocabulary as the drift test is. */
function predictionShares(column: ColumnReference, counters: CounterInput): PredictionShares | null {
  if (column.type === 'numeric') return null;
  const current = CategoricalCounts.fromCounters(column.vocabulary, counters, Math.max(column.vocabulary.length, 1));
  return {
    current: classShares(column.vocabulary, current.vocabularyCounts(), current.other),
    reference: classShares(column.vocabulary, column.counts, column.other),
  };
}

function share(numerator: number, denominator: number): number {
  return denominator > 0 ? numerator / denominator : Number.NaN;
}

export function driftReport(reference: ReferenceProfile, windows: DriftWindows, settings: DriftSettings): DriftReport {
  const feat = splitFeatureCounters(windows.feat ?? {}).byFeature;
  const dq = splitFeatureCounters(windows.dq ?? {});
  const n = dq.shared[DQ_FIELDS.count] ?? 0;
  const columns: Record<string, ColumnDrift> = {};
  const dataQuality: Record<string, DataQuality> = {};
  for (const [feature, column] of Object.entries(reference.features)) {
    const choice = settings.drift.features[feature];
    columns[feature] = columnDrift(column, feat.get(feature) ?? {}, choice);
    const q = dq.byFeature.get(feature) ?? {};
    const missing = q[DQ_FIELDS.missing] ?? 0;
    dataQuality[feature] = {
      missingRate: share(missing, n),
      outOfRangeShare: column.type === 'numeric' ? share(q[DQ_FIELDS.outOfRange] ?? 0, n - missing) : Number.NaN,
      unseenShare: column.type !== 'numeric' && column.categories !== null ? share(q[DQ_FIELDS.unseen] ?? 0, n - missing) : Number.NaN,
    };
  }
  const prediction = reference.prediction ? columnDrift(reference.prediction, windows.pred ?? {}, undefined) : null;
  const shares = reference.prediction ? predictionShares(reference.prediction, windows.pred ?? {}) : null;
  const list = Object.values(columns);
  const { driftShare } = settings.drift;
  const dataset =
    list.length === 0
      ? { share: Number.NaN, drifted: false, driftShare, columns: 0 }
      : (() => {
          const d = datasetDrift(list, driftShare);
          return { share: d.shareOfDriftedColumns, drifted: d.drifted, driftShare, columns: d.numberOfColumns };
        })();
  return { columns, prediction, predictionShares: shares, datasetDrift: dataset, dataQuality, count: n };
}
