import type { RegressionSums } from '../window/regression-sums.js';
import { MAPE_EPS } from '../window/regression-sums.js';

export interface RegressionReport {
  count: number;
  mae: number;
  rmse: number;
  /** sklearn's MAPE: a fraction, not a percentage; y = 0 divides by float64 eps. */
  mape: number;
  r2: number;
}

/**
 * Regression errors matching sklearn's mean_absolute_error, root_mean_squared_error,
 * mean_absolute_percentage_error and r2_score. An empty window gives NaN everywhere.
 * R² needs two samples (NaN otherwise, as sklearn); when y is constant it is 1 for a
 * perfect fit and 0 otherwise (sklearn's force_finite=True).
 */
export function regressionReport(sums: RegressionSums): RegressionReport {
  const n = sums.count;
  if (n === 0) return { count: 0, mae: Number.NaN, rmse: Number.NaN, mape: Number.NaN, r2: Number.NaN };
  return {
    count: n,
    mae: sums.sumAbsError / n,
    rmse: Math.sqrt(sums.sumSquaredError / n),
    mape: (sums.sumAbsPercentageError + sums.sumAbsErrorNearZero / MAPE_EPS) / n,
    r2: rSquared(sums),
  };
}

export function rSquared(sums: RegressionSums): number {
  const n = sums.count;
  if (n < 2) return Number.NaN;
  const totalSquares = sums.sumTrueSquared - (sums.sumTrue * sums.sumTrue) / n;
  // Σy² − (Σy)²/n carries rounding of a few ulps of Σy² per sample; below that, y is
  // constant as far as these sums can tell.
  const roundingFloor = 4 * n * Number.EPSILON * sums.sumTrueSquared;
  if (totalSquares <= roundingFloor) return sums.sumSquaredError === 0 ? 1 : 0;
  return 1 - sums.sumSquaredError / totalSquares;
}
