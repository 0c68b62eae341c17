// First Wasserstein distance normed by the reference's population standard deviation (floored at
// 0.001), Evidently's "wasserstein". The distance is SciPy's wasserstein_distance: ∫ |F_u - F_v|.
import { asNumbers } from './binning.js';
import type { RawValue } from './types.js';

/** Evidently divides by max(std(reference), MIN_NORM) so a constant reference does not divide by 0. */
export const WASSERSTEIN_MIN_NORM = 0.001;

/** scipy.stats.wasserstein_distance(u, v, uWeights, vWeights) in one dimension. */
export function wassersteinDistance(
  uValues: readonly number[],
  vValues: readonly number[],
  uWeights?: readonly number[],
  vWeights?: readonly number[],
): number {
  const u = sortedWithCumulativeShare(uValues, uWeights);
  const v = sortedWithCumulativeShare(vValues, vWeights);
  const all = uValues.concat(vValues).sort((a, b) => a - b);
  let distance = 0;
  let ui = 0;
  let vi = 0;
  let uCdf = 0;
  let vCdf = 0;
  for (let k = 0; k < all.length - 1; k++) {
    const x = all[k] as number;
    while (ui < u.values.length && (u.values[ui] as number) <= x) uCdf = u.cdf[ui++] as number;
    while (vi < v.values.length && (v.values[vi] as number) <= x) vCdf = v.cdf[vi++] as number;
    distance += Math.abs(uCdf - vCdf) * ((all[k + 1] as number) - x);
  }
  return distance;
}

function sortedWithCumulativeShare(
  values: readonly number[],
  weights: readonly number[] | undefined,
): { values: number[]; cdf: number[] } {
  if (values.length === 0) throw new RangeError('distribution must have at least one value');
  if (weights && weights.length !== values.length) throw new RangeError('weights and values differ in length');
  const order = values.map((_, i) => i).sort((a, b) => (values[a] as number) - (values[b] as number));
  let total = 0;
  for (const i of order) {
    const w = weights ? (weights[i] as number) : 1;
    if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`weights must be finite and ≥ 0, got ${w}`);
    total += w;
  }
  if (!(total > 0)) throw new RangeError('weights must sum to a positive value');
  const sorted: number[] = [];
  const cdf: number[] = [];
  let running = 0;
  for (const i of order) {
    running += weights ? (weights[i] as number) : 1;
    sorted.push(values[i] as number);
    cdf.push(running / total);
  }
  return { values: sorted, cdf };
}

/** Population standard deviation (ddof = 0), optionally weighted. */
export function populationStd(values: readonly number[], weights?: readonly number[]): number {
  let total = 0;
  let mean = 0;
  for (let i = 0; i < values.length; i++) {
    const w = weights ? (weights[i] as number) : 1;
    total += w;
    mean += w * (values[i] as number);
  }
  mean /= total;
  let variance = 0;
  for (let i = 0; i < values.length; i++) {
    const w = weights ? (weights[i] as number) : 1;
    const d = (values[i] as number) - mean;
    variance += w * d * d;
  }
  return Math.sqrt(variance / total);
}

/** Normed Wasserstein distance of raw numerical samples. */
export function wassersteinNormed(reference: readonly RawValue[], current: readonly RawValue[]): number {
  const ref = asNumbers(reference);
  const cur = asNumbers(current);
  const norm = Math.max(populationStd(ref), WASSERSTEIN_MIN_NORM);
  return wassersteinDistance(ref, cur) / norm;
}

/**
 * Normed Wasserstein distance of two histograms over the same bins, each bin's mass placed at
 * binValues[i] (e.g. the bin midpoint; the caller picks a value for underflow/overflow bins). This is
 * exactly SciPy's weighted wasserstein_distance on those points, and approximates the raw-sample value
 * to within about one bin width.
 */
export function wassersteinNormedBinned(
  referenceCounts: readonly number[],
  currentCounts: readonly number[],
  binValues: readonly number[],
): number {
  if (referenceCounts.length !== binValues.length || currentCounts.length !== binValues.length) {
    throw new RangeError('reference, current and binValues must have the same length');
  }
  if (sum(referenceCounts) === 0 || sum(currentCounts) === 0) return NaN;
  const norm = Math.max(populationStd(binValues, referenceCounts), WASSERSTEIN_MIN_NORM);
  return wassersteinDistance(binValues, binValues, referenceCounts, currentCounts) / norm;
}

function sum(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}
