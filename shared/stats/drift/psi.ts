// Population Stability Index, Evidently's "psi": Σ (ref - cur) · ln(ref / cur) over shares with the
// empty-bin fill, so disjoint supports give a large but finite value.
import { binnedShares, rawSampleShares } from './binning.js';
import type { BinnedPercents, ColumnType, RawValue } from './types.js';

export function psiFromShares({ reference, current }: BinnedPercents): number {
  let sum = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i] as number;
    const c = current[i] as number;
    sum += (r - c) * Math.log(r / c);
  }
  return sum;
}

/** PSI of two aligned count vectors (histogram bins or aligned categories). */
export function psiBinned(referenceCounts: readonly number[], currentCounts: readonly number[]): number {
  return psiFromShares(binnedShares(referenceCounts, currentCounts, true));
}

/** PSI of raw samples, binned as Evidently does. */
export function psi(reference: readonly RawValue[], current: readonly RawValue[], columnType: ColumnType): number {
  return psiFromShares(rawSampleShares(reference, current, columnType, true));
}
