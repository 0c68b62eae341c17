// Evidently's get_binned_data conventions: how raw samples become per-bin shares, how categories
// are aligned, and how empty bins are filled so log-ratios stay finite.
import { histogramCounts, sturgesBinEdges } from './histogram.js';
import type { BinnedPercents, ColumnType, RawValue } from './types.js';

/** Evidently bins a numerical column only when its reference has more unique values than this. */
export const NUMERICAL_BINNING_MIN_UNIQUE = 20;
/** Share written into empty bins (Evidently's feel_zeroes). */
export const EMPTY_BIN_SHARE = 0.0001;
/** When the smallest non-empty share is already ≤ EMPTY_BIN_SHARE, empty bins get that share / 1e6. */
export const EMPTY_BIN_SHRINK = 1e6;

/** counts[i] / total; an empty window (total 0) has no distribution, so every share is NaN. */
export function countsToShares(counts: readonly number[]): number[] {
  let total = 0;
  for (const c of counts) {
    if (!(c >= 0) || !Number.isFinite(c)) throw new RangeError(`counts must be finite and ≥ 0, got ${c}`);
    total += c;
  }
  return counts.map((c) => (total > 0 ? c / total : NaN));
}

/**
 * Replaces zero shares with 0.0001, or with (smallest non-zero share) / 1e6 when that smallest share
 * is itself ≤ 0.0001, as Evidently does; shares are not renormalized afterwards. A vector without
 * any non-zero share is returned unchanged.
 */
export function fillEmptyBins(shares: readonly number[]): number[] {
  let smallest = Infinity;
  for (const s of shares) if (s !== 0 && s < smallest) smallest = s;
  if (smallest === Infinity) return shares.slice();
  const fill = smallest <= EMPTY_BIN_SHARE ? smallest / EMPTY_BIN_SHRINK : EMPTY_BIN_SHARE;
  return shares.map((s) => (s === 0 ? fill : s));
}

/**
 * Shares of two aligned count vectors (fixed-edge histogram bins or aligned categories), with the
 * empty-bin fill applied to each side when fillZeroes is true.
 */
export function binnedShares(
  referenceCounts: readonly number[],
  currentCounts: readonly number[],
  fillZeroes: boolean,
): BinnedPercents {
  if (referenceCounts.length !== currentCounts.length) {
    throw new RangeError(
      `reference and current must have the same bins (${referenceCounts.length} vs ${currentCounts.length})`,
    );
  }
  const reference = countsToShares(referenceCounts);
  const current = countsToShares(currentCounts);
  return fillZeroes
    ? { reference: fillEmptyBins(reference), current: fillEmptyBins(current) }
    : { reference, current };
}

export interface AlignedCounts<K> {
  /** Categories observed in reference or current, sorted as Python's sorted() would order them. */
  keys: K[];
  reference: number[];
  current: number[];
}

/**
 * Aligns two category→count maps over the union of categories that occur at least once; a category
 * seen only in current (unseen) gets reference count 0 and vice versa. Categories with count 0 on
 * both sides are dropped, because Evidently's keys are the values actually observed.
 */
export function alignCategoryCounts<K extends RawValue>(
  referenceCounts: ReadonlyMap<K, number>,
  currentCounts: ReadonlyMap<K, number>,
): AlignedCounts<K> {
  const keys: K[] = [];
  const seen = new Set<K>();
  for (const source of [referenceCounts, currentCounts]) {
    for (const [key, count] of source) {
      if (count > 0 && !seen.has(key)) {
        seen.add(key);
        keys.push(key);
      }
    }
  }
  // A fixed order makes results reproducible and gives the z-test its "first category".
  keys.sort(compareRawValues);
  return {
    keys,
    reference: keys.map((k) => referenceCounts.get(k) ?? 0),
    current: keys.map((k) => currentCounts.get(k) ?? 0),
  };
}

/** Occurrences of each distinct value, in first-seen order. */
export function valueCounts<K extends RawValue>(values: readonly K[]): Map<K, number> {
  const counts = new Map<K, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

export function countUnique(values: readonly RawValue[]): number {
  return new Set(values).size;
}

/**
 * Evidently's get_binned_data on raw samples: a numerical column whose reference has more than 20
 * unique values is cut into numpy "sturges" bins computed on reference+current together; any other
 * column is compared category by category over the observed values.
 */
export function rawSampleShares(
  reference: readonly RawValue[],
  current: readonly RawValue[],
  columnType: ColumnType,
  fillZeroes: boolean,
): BinnedPercents {
  if (reference.length === 0 || current.length === 0) {
    throw new RangeError('reference and current must both be non-empty');
  }
  if (columnType === 'numerical' && countUnique(reference) > NUMERICAL_BINNING_MIN_UNIQUE) {
    const ref = asNumbers(reference);
    const cur = asNumbers(current);
    const edges = sturgesBinEdges(ref.concat(cur));
    return binnedShares(histogramCounts(ref, edges), histogramCounts(cur, edges), fillZeroes);
  }
  const aligned = alignCategoryCounts(valueCounts(reference), valueCounts(current));
  return binnedShares(aligned.reference, aligned.current, fillZeroes);
}

export function asNumbers(values: readonly RawValue[]): number[] {
  return values.map((v) => {
    if (typeof v !== 'number') throw new TypeError(`numerical column holds a non-number: ${String(v)}`);
    return v;
  });
}

/**
 * Python's ordering for the values a column can hold: numbers and booleans numerically (False < True),
 * strings by code point. Mixing strings with numbers is an error, as in Python.
 */
export function compareRawValues(a: RawValue, b: RawValue): number {
  const aIsText = typeof a === 'string';
  const bIsText = typeof b === 'string';
  if (aIsText !== bIsText) throw new TypeError(`cannot order ${typeof a} against ${typeof b}`);
  if (aIsText && bIsText) return a < b ? -1 : a > b ? 1 : 0;
  return Number(a) - Number(b);
}
