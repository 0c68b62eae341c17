// numpy's histogram_bin_edges(bins="sturges") and histogram(a, edges), reproduced bit for bit so the
// raw-sample drift tests bin exactly as Evidently does.

export interface SturgesOptions {
  /**
   * numpy widens the bin width to 1 for integer dtypes; JS numbers carry no dtype, so callers whose
   * column is integer-typed in the reference pipeline say so here.
   */
  integerValued?: boolean;
}

/** Bin edges numpy.histogram_bin_edges(values, bins="sturges") returns. */
export function sturgesBinEdges(values: readonly number[], options: SturgesOptions = {}): number[] {
  let first = 0;
  let last = 1;
  if (values.length > 0) {
    first = Infinity;
    last = -Infinity;
    for (const v of values) {
      if (v < first) first = v;
      if (v > last) last = v;
    }
    if (!Number.isFinite(first) || !Number.isFinite(last)) {
      throw new RangeError(`autodetected range of [${first}, ${last}] is not finite`);
    }
  }
  const range = last - first;
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  let binCount = 1;
  if (values.length > 0) {
    // Sturges' width uses the data's peak-to-peak (0 for constant data), not the widened range.
    let width = range / (Math.log2(values.length) + 1);
    if (width) {
      if (options.integerValued && width < 1) width = 1;
      binCount = Math.ceil((last - first) / width);
    }
  }
  return linspace(first, last, binCount + 1);
}

// numpy.linspace(start, stop, num, endpoint=True): i·step + start, with the last point pinned to stop.
function linspace(start: number, stop: number, num: number): number[] {
  const div = num - 1;
  const delta = stop - start;
  const step = delta / div;
  const out = new Array<number>(num);
  for (let i = 0; i < num; i++) {
    out[i] = step === 0 ? ((i / div) * delta) + start : i * step + start;
  }
  if (num > 1) out[num - 1] = stop;
  return out;
}

/**
 * Counts numpy.histogram(values, edges) returns: bin i holds edges[i] ≤ v < edges[i+1], the last bin
 * also holds v = edges[last]; values outside the edges are not counted.
 */
export function histogramCounts(values: readonly number[], edges: readonly number[]): number[] {
  const binCount = edges.length - 1;
  if (binCount < 1) throw new RangeError('need at least two bin edges');
  const counts = new Array<number>(binCount).fill(0);
  const lowest = edges[0] as number;
  const highest = edges[binCount] as number;
  for (const v of values) {
    if (!(v >= lowest && v <= highest)) continue;
    const bin = v === highest ? binCount - 1 : lastEdgeAtOrBelow(edges, v);
    counts[bin] = (counts[bin] as number) + 1;
  }
  return counts;
}

// Index of the last edge ≤ v among edges[0..n-2] (binary search; v is within range).
function lastEdgeAtOrBelow(edges: readonly number[], v: number): number {
  let lo = 0;
  let hi = edges.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((edges[mid] as number) <= v) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
