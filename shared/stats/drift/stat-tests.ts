// Evidently's per-test metadata: default threshold, which column types may use the test, and which
// side of the threshold means drift.
import type { ColumnType, StatTestName } from './types.js';

export interface StatTestSpec {
  name: StatTestName;
  /** Hypothesis tests return a p-value (drift when small); the others a distance (drift when large). */
  returns: 'p_value' | 'distance';
  defaultThreshold: number;
  allowedColumnTypes: readonly ColumnType[];
  isDrift(value: number, threshold: number): boolean;
}

const atLeast = (value: number, threshold: number): boolean => value >= threshold;
const below = (value: number, threshold: number): boolean => value < threshold;
// Evidently's KS alone treats p = threshold as drift.
const atMost = (value: number, threshold: number): boolean => value <= threshold;
const BOTH: readonly ColumnType[] = ['numerical', 'categorical'];

export const STAT_TESTS: Readonly<Record<StatTestName, StatTestSpec>> = {
  psi: { name: 'psi', returns: 'distance', defaultThreshold: 0.1, allowedColumnTypes: BOTH, isDrift: atLeast },
  kl_div: { name: 'kl_div', returns: 'distance', defaultThreshold: 0.1, allowedColumnTypes: BOTH, isDrift: atLeast },
  jensenshannon: {
    name: 'jensenshannon',
    returns: 'distance',
    defaultThreshold: 0.1,
    allowedColumnTypes: BOTH,
    isDrift: atLeast,
  },
  hellinger: {
    name: 'hellinger',
    returns: 'distance',
    defaultThreshold: 0.1,
    allowedColumnTypes: BOTH,
    isDrift: atLeast,
  },
  wasserstein: {
    name: 'wasserstein',
    returns: 'distance',
    defaultThreshold: 0.1,
    allowedColumnTypes: ['numerical'],
    isDrift: atLeast,
  },
  chisquare: {
    name: 'chisquare',
    returns: 'p_value',
    defaultThreshold: 0.05,
    allowedColumnTypes: ['categorical'],
    isDrift: below,
  },
  z: { name: 'z', returns: 'p_value', defaultThreshold: 0.05, allowedColumnTypes: ['categorical'], isDrift: below },
  ks: { name: 'ks', returns: 'p_value', defaultThreshold: 0.05, allowedColumnTypes: ['numerical'], isDrift: atMost },
};

/** Reference sizes above this switch the default from hypothesis tests to distances. */
export const LARGE_REFERENCE_SIZE = 1000;
/** Numerical columns with at most this many unique values are treated like categorical ones. */
export const FEW_UNIQUE_VALUES = 5;
/** Columns with at most this many unique values are binary. */
export const BINARY_UNIQUE_VALUES = 2;

/**
 * Evidently's default test for a column. nUnique counts distinct values of reference and current
 * together (missing values removed); referenceSize is the reference's length.
 *
 * reference ≤ 1000: numerical with > 5 unique → ks; otherwise (categorical, or numerical with ≤ 5
 * unique) → chisquare, or z when ≤ 2 unique. reference > 1000: numerical with > 5 unique →
 * wasserstein, otherwise jensenshannon.
 */
export function defaultTest(columnType: ColumnType, nUnique: number, referenceSize: number): StatTestName {
  const fewValues = columnType === 'categorical' || nUnique <= FEW_UNIQUE_VALUES;
  if (referenceSize <= LARGE_REFERENCE_SIZE) {
    if (!fewValues) return 'ks';
    return nUnique > BINARY_UNIQUE_VALUES ? 'chisquare' : 'z';
  }
  return fewValues ? 'jensenshannon' : 'wasserstein';
}
