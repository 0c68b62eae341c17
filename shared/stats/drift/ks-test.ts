// Two-sample Kolmogorov–Smirnov test, Evidently's "ks" (scipy.stats.ks_2samp, two-sided, method
// auto). The binned form runs the same test on each bin's representative value repeated by its
// count, i.e. the raw test on data rounded to the bins (ties included).
import { ksTwoSample } from '../distributions/ks-two-sample.js';
import type { KsTwoSampleResult } from '../distributions/ks-two-sample.js';
import { asNumbers } from './binning.js';
import type { RawValue } from './types.js';

export function ksTest(reference: readonly RawValue[], current: readonly RawValue[]): KsTwoSampleResult {
  return ksTwoSample(asNumbers(reference), asNumbers(current));
}

export function ksTestBinned(
  referenceCounts: readonly number[],
  currentCounts: readonly number[],
  binValues: readonly number[],
): KsTwoSampleResult {
  if (referenceCounts.length !== binValues.length || currentCounts.length !== binValues.length) {
    throw new RangeError('reference, current and binValues must have the same length');
  }
  const reference = expand(referenceCounts, binValues);
  const current = expand(currentCounts, binValues);
  if (reference.length === 0 || current.length === 0) return { statistic: NaN, pValue: NaN };
  return ksTwoSample(reference, current);
}

function expand(counts: readonly number[], binValues: readonly number[]): Float64Array {
  let n = 0;
  for (const c of counts) {
    if (!Number.isInteger(c) || c < 0) throw new RangeError(`KS needs integer counts, got ${c}`);
    n += c;
  }
  const out = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < counts.length; i++) {
    out.fill(binValues[i] as number, k, k + (counts[i] as number));
    k += counts[i] as number;
  }
  return out;
}
