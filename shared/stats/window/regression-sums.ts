import type { CounterInput, Counters } from './counters.js';
import { toNumber } from './counters.js';
import type { Revertible } from './mergeable.js';

/** sklearn's mean_absolute_percentage_error divides by max(|y|, float64 eps). */
export const MAPE_EPS = Number.EPSILON;

const FIELDS = {
  count: 'n',
  sumTrue: '~sy',
  sumTrueSquared: '~syy',
  sumAbsError: '~sae',
  sumSquaredError: '~sse',
  sumAbsPercentageError: '~sape',
  sumAbsErrorNearZero: '~saez',
} as const;

/** One of the sums a regression sample adds a term to. */
export type RegressionTerm = keyof typeof FIELDS;

/** The sums in the order of their counter fields, and of writeRegressionTerms' output. */
const TERMS = Object.keys(FIELDS) as RegressionTerm[];

/** Each term's counter field (`n`, `~sy`, ... `~saez`), in the Lua script's order. */
export const REGRESSION_COUNTER_FIELDS: readonly (readonly [RegressionTerm, string])[] = TERMS.map((key) => [key, FIELDS[key]] as const);

/**
 * What one (trueValue, predicted) sample adds to each sum, in REGRESSION_COUNTER_FIELDS
 * order, written into `out`: the one place these terms are computed. The performance
 * service's join renders its outcome deltas with them (shared/join/outcome-counters.ts), so
 * Redis and the embedded state only add numbers; it passes one array for every outcome, where
 * an object of seven doubles per outcome allocated about 190 bytes.
 */
export function writeRegressionTerms(trueValue: number, predictedValue: number, out: Float64Array): void {
  const error = trueValue - predictedValue;
  const absError = Math.abs(error);
  const scale = Math.abs(trueValue);
  const nearZero = scale < MAPE_EPS;
  out[0] = 1; // count
  out[1] = trueValue; // sumTrue
  out[2] = trueValue * trueValue; // sumTrueSquared
  out[3] = absError; // sumAbsError
  out[4] = error * error; // sumSquaredError
  out[5] = nearZero ? 0 : absError / scale; // sumAbsPercentageError
  out[6] = nearZero ? absError : 0; // sumAbsErrorNearZero
}

/** writeRegressionTerms' terms by sum. */
export function regressionTerms(trueValue: number, predictedValue: number): Record<RegressionTerm, number> {
  const out = new Float64Array(TERMS.length);
  writeRegressionTerms(trueValue, predictedValue, out);
  return Object.fromEntries(TERMS.map((key, i) => [key, out[i]!])) as Record<RegressionTerm, number>;
}

/**
 * Plain sums from which MAE, RMSE, MAPE and R² follow. Only sums can be merged and
 * reverted exactly by adding counters, which is why the R² denominator comes from
 * Σy² − (Σy)²/n rather than a shifted (Welford) form: that loses precision when the
 * spread of y is tiny next to its mean (about |mean|²·n·eps absolute error).
 *
 * MAPE's terms for |y| < eps (sklearn divides those by eps, giving values near 1e16) are
 * kept apart as a plain sum of absolute errors and divided by eps only when read:
 * mixing them into the ordinary percentage sum would wipe out every other term's digits
 * once such a sample is subtracted from a rolling window again.
 *
 * Float sums reverted by subtraction carry rounding relative to the largest values that
 * passed through the window, not to what is in it now; that stays around 1e-12 relative
 * for ordinary data.
 *
 * Counter fields: `n`, `~sy`, `~syy`, `~sae`, `~sse`, `~sape`, `~saez`.
 */
export class RegressionSums implements Revertible<RegressionSums> {
  count = 0;
  sumTrue = 0;
  sumTrueSquared = 0;
  sumAbsError = 0;
  sumSquaredError = 0;
  /** Σ |y − ŷ| / |y| over samples with |y| ≥ eps. */
  sumAbsPercentageError = 0;
  /** Σ |y − ŷ| over samples with |y| < eps, whose MAPE term is |y − ŷ| / eps. */
  sumAbsErrorNearZero = 0;

  update(trueValue: number, predictedValue: number): void {
    if (!Number.isFinite(trueValue) || !Number.isFinite(predictedValue)) {
      throw new RangeError(`regression values must be finite, got ${trueValue} and ${predictedValue}`);
    }
    const terms = regressionTerms(trueValue, predictedValue);
    for (const key of Object.keys(FIELDS) as RegressionTerm[]) this[key] += terms[key];
  }

  merge(other: RegressionSums): RegressionSums {
    return this.combine(other, 1);
  }

  subtract(other: RegressionSums): RegressionSums {
    return this.combine(other, -1);
  }

  clone(): RegressionSums {
    return new RegressionSums().merge(this);
  }

  toCounters(): Counters {
    const out: Counters = {};
    if (this.count === 0) return out;
    for (const key of Object.keys(FIELDS) as RegressionTerm[]) out[FIELDS[key]] = this[key];
    return out;
  }

  static fromCounters(counters: CounterInput): RegressionSums {
    const sums = new RegressionSums();
    const byField = new Map<string, RegressionTerm>(Object.entries(FIELDS).map(([k, f]) => [f, k as RegressionTerm]));
    for (const [field, raw] of Object.entries(counters)) {
      const key = byField.get(field);
      if (key === undefined) throw new RangeError(`unknown regression field ${field}`);
      sums[key] += toNumber(field, raw);
    }
    return sums;
  }

  private combine(other: RegressionSums, sign: 1 | -1): RegressionSums {
    const o = { ...other };
    for (const key of Object.keys(FIELDS) as RegressionTerm[]) this[key] += sign * o[key];
    if (this.count === 0) {
      for (const key of Object.keys(FIELDS) as RegressionTerm[]) this[key] = 0;
    }
    return this;
  }
}
