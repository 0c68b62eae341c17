// Where did the drift start? An alert only says it lies somewhere in the alert's window
// (5 minutes by default), and training on the minutes before the change as if they were
// after it teaches the old concept again. When the serving model's own logged predictions
// show it, the change point of its error rate is a sharper answer: the split of the error
// sequence that maximizes the Bernoulli likelihood ratio of "two rates" over "one rate".
// Drift that leaves the error rate alone (features shifting under a model that copes) has no
// such split, and the caller keeps the alert's window start.

export interface ErrorObservation {
  time: number;
  predictedClass: string | null;
  label: string;
}

export interface DriftStartOptions {
  /** Fewest observations on each side of a split. Default 50. */
  minSegment?: number;
  /**
   * Likelihood-ratio statistic (2·log Λ) a split must exceed. The maximum over all splits of
   * a sequence without change is far above the χ²(1) quantiles, so the default, 30, is well
   * past what thousands of candidate splits of a stable stream reach.
   */
  threshold?: number;
}

/**
 * The event time of the first observation after the most likely rise of the error rate among
 * `observations` (sorted by time) at or after `searchFrom`; null when no split is significant
 * or the rate does not rise.
 */
export function estimateDriftStart(
  observations: readonly ErrorObservation[],
  searchFrom: number,
  options: DriftStartOptions = {},
): number | null {
  const minSegment = options.minSegment ?? 50;
  const threshold = options.threshold ?? 30;
  const errors: number[] = [];
  const times: number[] = [];
  for (const o of observations) {
    if (o.time < searchFrom || o.predictedClass === null) continue;
    errors.push(o.predictedClass === o.label ? 0 : 1);
    times.push(o.time);
  }
  const n = errors.length;
  if (n < 2 * minSegment) return null;
  const total = errors.reduce((a, b) => a + b, 0);
  const whole = logLikelihood(total, n);
  let best = -Infinity;
  let bestAt = -1;
  let before = 0;
  for (let k = 1; k < n; k++) {
    before += errors[k - 1]!;
    if (k < minSegment || n - k < minSegment) continue;
    const after = total - before;
    if (after / (n - k) <= before / k) continue; // only a rise of the error rate is a drift
    const statistic = 2 * (logLikelihood(before, k) + logLikelihood(after, n - k) - whole);
    if (statistic > best) {
      best = statistic;
      bestAt = k;
    }
  }
  return best > threshold ? times[bestAt]! : null;
}

/** Log-likelihood of `k` errors in `n` trials at their maximum-likelihood rate. */
function logLikelihood(k: number, n: number): number {
  const term = (x: number): number => (x === 0 ? 0 : x * Math.log(x / n));
  return term(k) + term(n - k);
}
