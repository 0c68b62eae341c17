// Chi-square goodness-of-fit of current counts against reference counts rescaled to the current
// size, Evidently's "chisquare" (scipy.stats.chisquare(f_obs=current, f_exp=reference·n_cur/n_ref)).
// Returns the p-value.
import { chiSquareSf } from '../distributions/chi-square.js';
import { alignCategoryCounts, valueCounts } from './binning.js';
import type { RawValue } from './types.js';

export interface ChiSquareResult {
  statistic: number;
  degreesOfFreedom: number;
  pValue: number;
}

/**
 * Chi-square test of two aligned count vectors. Bins empty on both sides are dropped (Evidently only
 * sees observed categories), so they neither add a degree of freedom nor produce 0/0. A category
 * absent from the reference but present in current has expected count 0: statistic ∞, p-value 0.
 * A single observed category leaves 0 degrees of freedom and a NaN p-value, as SciPy does.
 */
export function chiSquareTestBinned(
  referenceCounts: readonly number[],
  currentCounts: readonly number[],
): ChiSquareResult {
  if (referenceCounts.length !== currentCounts.length) {
    throw new RangeError('reference and current must have the same bins');
  }
  let referenceTotal = 0;
  let currentTotal = 0;
  for (let i = 0; i < referenceCounts.length; i++) {
    referenceTotal += referenceCounts[i] as number;
    currentTotal += currentCounts[i] as number;
  }
  // An empty window has no distribution to test (Evidently refuses empty columns).
  if (referenceTotal === 0 || currentTotal === 0) return { statistic: NaN, degreesOfFreedom: NaN, pValue: NaN };
  const scale = currentTotal / referenceTotal;
  let statistic = 0;
  let observedCategories = 0;
  for (let i = 0; i < referenceCounts.length; i++) {
    const ref = referenceCounts[i] as number;
    const observed = currentCounts[i] as number;
    if (ref === 0 && observed === 0) continue;
    observedCategories += 1;
    const expected = ref * scale;
    statistic += expected === 0 ? Infinity : ((observed - expected) * (observed - expected)) / expected;
  }
  const degreesOfFreedom = observedCategories - 1;
  return { statistic, degreesOfFreedom, pValue: chiSquareSf(statistic, degreesOfFreedom) };
}

/** Chi-square test of raw categorical samples (categories aligned over the observed values). */
export function chiSquareTest(reference: readonly RawValue[], current: readonly RawValue[]): ChiSquareResult {
  const aligned = alignCategoryCounts(valueCounts(reference), valueCounts(current));
  return chiSquareTestBinned(aligned.reference, aligned.current);
}
