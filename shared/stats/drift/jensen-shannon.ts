// Jensen–Shannon distance (natural log), Evidently's "jensenshannon": scipy.spatial.distance.jensenshannon
// of the shares WITHOUT the empty-bin fill (the mixture is never zero where either side is not).
import { binnedShares, rawSampleShares } from './binning.js';
import { relativeEntropyTerm } from './kl-divergence.js';
import type { BinnedPercents, ColumnType, RawValue } from './types.js';

export function jensenShannonFromShares({ reference, current }: BinnedPercents): number {
  let pTotal = 0;
  let qTotal = 0;
  for (let i = 0; i < reference.length; i++) {
    pTotal += reference[i] as number;
    qTotal += current[i] as number;
  }
  let divergence = 0;
  for (let i = 0; i < reference.length; i++) {
    const p = (reference[i] as number) / pTotal;
    const q = (current[i] as number) / qTotal;
    const m = (p + q) / 2;
    divergence += relativeEntropyTerm(p, m) + relativeEntropyTerm(q, m);
  }
  return Math.sqrt(divergence / 2);
}

/** Jensen–Shannon distance of two aligned count vectors. */
export function jensenShannonBinned(referenceCounts: readonly number[], currentCounts: readonly number[]): number {
  return jensenShannonFromShares(binnedShares(referenceCounts, currentCounts, false));
}

/** Jensen–Shannon distance of raw samples, binned as Evidently does. */
export function jensenShannon(
  reference: readonly RawValue[],
  current: readonly RawValue[],
  columnType: ColumnType,
): number {
  return jensenShannonFromShares(rawSampleShares(reference, current, columnType, false));
}
