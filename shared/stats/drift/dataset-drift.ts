// Dataset-level drift: Evidently flags the dataset when the share of drifted columns reaches drift_share.
import type { ColumnDriftResult } from './types.js';

export const DEFAULT_DRIFT_SHARE = 0.5;

export interface DatasetDriftResult {
  numberOfColumns: number;
  numberOfDriftedColumns: number;
  shareOfDriftedColumns: number;
  driftShare: number;
  /** shareOfDriftedColumns ≥ driftShare. */
  drifted: boolean;
}

export function datasetDrift(
  columns: readonly Pick<ColumnDriftResult, 'drifted'>[],
  driftShare: number = DEFAULT_DRIFT_SHARE,
): DatasetDriftResult {
  if (columns.length === 0) throw new RangeError('dataset drift needs at least one column');
  let drifted = 0;
  for (const c of columns) if (c.drifted) drifted += 1;
  const share = drifted / columns.length;
  return {
    numberOfColumns: columns.length,
    numberOfDriftedColumns: drifted,
    shareOfDriftedColumns: share,
    driftShare,
    drifted: share >= driftShare,
  };
}
