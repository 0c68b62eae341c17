// Kullback–Leibler divergence KL(reference ‖ current), Evidently's "kl_div": scipy.stats.entropy of
// the filled shares, which renormalizes both sides to sum to 1 first.
import { binnedShares, rawSampleShares } from './binning.js';
import type { BinnedPercents, ColumnType, RawValue } from './types.js';

/** Σ p·ln(p/q) after normalizing p and q; terms with p = 0 contribute 0, p > 0 with q = 0 gives ∞. */
export function relativeEntropy(p: readonly number[], q: readonly number[]): number {
  const pTotal = sum(p);
  const qTotal = sum(q);
  let total = 0;
  for (let i = 0; i < p.length; i++) {
    total += relativeEntropyTerm((p[i] as number) / pTotal, (q[i] as number) / qTotal);
  }
  return total;
}

/** scipy.special.rel_entr(x, y). */
export function relativeEntropyTerm(x: number, y: number): number {
  if (Number.isNaN(x) || Number.isNaN(y)) return NaN;
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Infinity;
}

function sum(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

export function klDivergenceFromShares({ reference, current }: BinnedPercents): number {
  return relativeEntropy(reference, current);
}

/** KL divergence of two aligned count vectors. */
export function klDivergenceBinned(referenceCounts: readonly number[], currentCounts: readonly number[]): number {
  return klDivergenceFromShares(binnedShares(referenceCounts, currentCounts, true));
}

/** KL divergence of raw samples, binned as Evidently does. */
export function klDivergence(
  reference: readonly RawValue[],
  current: readonly RawValue[],
  columnType: ColumnType,
): number {
  return klDivergenceFromShares(rawSampleShares(reference, current, columnType, true));
}
