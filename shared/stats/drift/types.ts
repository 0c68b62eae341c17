// Shared vocabulary of the drift statistics.

/** Column kinds the drift tests distinguish (Evidently's Numerical / Categorical). */
export type ColumnType = 'numerical' | 'categorical';

/** A raw categorical or numerical observation; missing values must be removed beforehand. */
export type RawValue = number | string | boolean;

export type StatTestName =
  | 'psi'
  | 'kl_div'
  | 'jensenshannon'
  | 'hellinger'
  | 'wasserstein'
  | 'chisquare'
  | 'z'
  | 'ks';

/** Outcome of one drift test on one column. */
export interface ColumnDriftResult {
  statistic: StatTestName;
  /** Distance for distance tests, p-value for hypothesis tests (as Evidently's drift_score). */
  value: number;
  threshold: number;
  drifted: boolean;
  /** Set for hypothesis tests (chisquare, z, ks): equals `value`. */
  pValue?: number;
}

/** Reference and current distributions over the same bins/categories, as shares (not renormalized). */
export interface BinnedPercents {
  reference: number[];
  current: number[];
}
