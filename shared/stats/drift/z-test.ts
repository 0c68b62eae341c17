// Two-proportion z-test, Evidently's "z": the first category in sorted order is coded 0, every
// other category 1, and the two-sided p-value compares the share of 1s in reference and current
// with a pooled variance.
import { normalSf } from '../distributions/normal.js';
import { alignCategoryCounts, valueCounts } from './binning.js';
import type { RawValue } from './types.js';

export interface ZTestResult {
  statistic: number;
  pValue: number;
}

/**
 * z-test of two aligned count vectors whose index 0 is the first category in sorted order (as
 * alignCategoryCounts produces). When both sides hold the same single category the p-value is 1.
 */
export function zTestBinned(referenceCounts: readonly number[], currentCounts: readonly number[]): ZTestResult {
  if (referenceCounts.length !== currentCounts.length) {
    throw new RangeError('reference and current must have the same categories');
  }
  const n1 = total(referenceCounts);
  const n2 = total(currentCounts);
  if (n1 === 0 || n2 === 0) return { statistic: NaN, pValue: NaN };
  const refOnly = soleCategory(referenceCounts);
  if (refOnly !== undefined && refOnly === soleCategory(currentCounts)) {
    return { statistic: 0, pValue: 1 };
  }
  // Evidently codes by the first category OBSERVED in sorted order, i.e. the first non-empty index.
  let first = 0;
  while (first < referenceCounts.length && referenceCounts[first] === 0 && currentCounts[first] === 0) first++;
  const p1 = (n1 - (referenceCounts[first] ?? 0)) / n1;
  const p2 = (n2 - (currentCounts[first] ?? 0)) / n2;
  const pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
  const statistic = (p1 - p2) / Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  // Evidently computes 2·(1 - Φ(|z|)); 2·sf(|z|) is the same value without cancellation in the tail.
  return { statistic, pValue: 2 * normalSf(Math.abs(statistic)) };
}

function total(counts: readonly number[]): number {
  let s = 0;
  for (const c of counts) s += c;
  return s;
}

function soleCategory(counts: readonly number[]): number | undefined {
  let found: number | undefined;
  for (let i = 0; i < counts.length; i++) {
    if ((counts[i] as number) > 0) {
      if (found !== undefined) return undefined;
      found = i;
    }
  }
  return found;
}

/** z-test of raw categorical samples. */
export function zTest(reference: readonly RawValue[], current: readonly RawValue[]): ZTestResult {
  const aligned = alignCategoryCounts(valueCounts(reference), valueCounts(current));
  return zTestBinned(aligned.reference, aligned.current);
}
