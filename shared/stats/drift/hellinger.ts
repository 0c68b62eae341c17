// Hellinger distance, Evidently's "hellinger": sqrt(1 - BC) with the Bhattacharyya coefficient BC
// clipped to [0, 1]; no empty-bin fill (a zero share simply contributes nothing).
import { alignCategoryCounts, asNumbers, binnedShares, valueCounts } from './binning.js';
import { histogramCounts, sturgesBinEdges } from './histogram.js';
import type { ColumnType, RawValue } from './types.js';

function distanceFromCoefficient(coefficient: number): number {
  return Math.sqrt(1 - Math.min(1, Math.max(0, coefficient)));
}

/** Hellinger distance of two aligned count vectors: BC = Σ sqrt(p_i · q_i) over shares. */
export function hellingerBinned(referenceCounts: readonly number[], currentCounts: readonly number[]): number {
  const { reference, current } = binnedShares(referenceCounts, currentCounts, false);
  let coefficient = 0;
  for (let i = 0; i < reference.length; i++) {
    coefficient += Math.sqrt((reference[i] as number) * (current[i] as number));
  }
  return distanceFromCoefficient(coefficient);
}

/**
 * Hellinger distance of raw samples as Evidently computes it. Categorical: over the observed
 * categories. Numerical: numpy density histograms on "sturges" edges computed from the UNIQUE values
 * of reference ∪ current (not from all values, unlike the other binned tests), integrated with the
 * average bin width.
 */
export function hellinger(reference: readonly RawValue[], current: readonly RawValue[], columnType: ColumnType): number {
  if (reference.length === 0 || current.length === 0) {
    throw new RangeError('reference and current must both be non-empty');
  }
  if (columnType === 'categorical') {
    const aligned = alignCategoryCounts(valueCounts(reference), valueCounts(current));
    return hellingerBinned(aligned.reference, aligned.current);
  }
  const ref = asNumbers(reference);
  const cur = asNumbers(current);
  const edges = sturgesBinEdges([...new Set(ref.concat(cur))]);
  const refDensity = density(histogramCounts(ref, edges), edges);
  const curDensity = density(histogramCounts(cur, edges), edges);
  const first = edges[0] as number;
  const last = edges[edges.length - 1] as number;
  const averageWidth = (last - first) / (edges.length - 1);
  let coefficient = 0;
  for (let i = 0; i < refDensity.length; i++) {
    coefficient += Math.sqrt((refDensity[i] as number) * (curDensity[i] as number)) * averageWidth;
  }
  return distanceFromCoefficient(coefficient);
}

// numpy.histogram(density=True): counts / bin width / total count.
function density(counts: readonly number[], edges: readonly number[]): number[] {
  let total = 0;
  for (const c of counts) total += c;
  return counts.map((c, i) => c / ((edges[i + 1] as number) - (edges[i] as number)) / total);
}
