// The predicted-class distribution of a window next to the reference's, as shares. The drift
// service puts them in its snapshots' metrics (`prediction_share:<class>`, `reference_share:<class>`)
// so a dashboard can draw "predictions vs reference" without a second data path; the console
// reads them back with sharesFromMetrics. One formula, here, for both sides.

export const PREDICTION_SHARE_PREFIX = 'prediction_share:';
export const REFERENCE_SHARE_PREFIX = 'reference_share:';
/** The bucket of classes outside the reference's vocabulary. */
export const OTHER_CLASS = '@other';

export interface PredictionShares {
  /** The window's predicted classes; empty when the window had no prediction. */
  current: Record<string, number>;
  reference: Record<string, number>;
}

/**
 * Each class's count over all non-missing predictions; `other` (classes outside the vocabulary)
 * appears as OTHER_CLASS only when it is non-zero. Empty when there is nothing to divide by.
 */
export function classShares(vocabulary: readonly string[], counts: readonly number[], other: number): Record<string, number> {
  const total = counts.reduce((sum, n) => sum + n, 0) + other;
  const shares: Record<string, number> = {};
  if (total <= 0) return shares;
  vocabulary.forEach((label, i) => (shares[label] = (counts[i] ?? 0) / total));
  if (other > 0) shares[OTHER_CLASS] = other / total;
  return shares;
}

/** The metrics entries of a snapshot that carry the shares. */
export function shareMetrics(shares: PredictionShares): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [label, share] of Object.entries(shares.current)) out[`${PREDICTION_SHARE_PREFIX}${label}`] = share;
  for (const [label, share] of Object.entries(shares.reference)) out[`${REFERENCE_SHARE_PREFIX}${label}`] = share;
  return out;
}

/** The shares under `prefix` in a snapshot's metrics, by class; null when there are none. */
export function sharesFromMetrics(metrics: Record<string, number>, prefix: string): Record<string, number> | null {
  let shares: Record<string, number> | null = null;
  for (const [name, value] of Object.entries(metrics)) {
    if (!name.startsWith(prefix)) continue;
    (shares ??= {})[name.slice(prefix.length)] = value;
  }
  return shares;
}

/** The metrics without the share entries (they are reported apart). */
export function withoutShares(metrics: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(metrics)) {
    if (!name.startsWith(PREDICTION_SHARE_PREFIX) && !name.startsWith(REFERENCE_SHARE_PREFIX)) out[name] = value;
  }
  return out;
}
