// Applies the selected (or Evidently's default) drift test to one column and decides drift.
import { countUnique } from './binning.js';
import { chiSquareTest, chiSquareTestBinned } from './chi-square-test.js';
import { hellinger, hellingerBinned } from './hellinger.js';
import { jensenShannon, jensenShannonBinned } from './jensen-shannon.js';
import { klDivergence, klDivergenceBinned } from './kl-divergence.js';
import { ksTest, ksTestBinned } from './ks-test.js';
import { psi, psiBinned } from './psi.js';
import { STAT_TESTS, defaultTest } from './stat-tests.js';
import type { ColumnDriftResult, ColumnType, RawValue, StatTestName } from './types.js';
import { wassersteinNormed, wassersteinNormedBinned } from './wasserstein.js';
import { zTest, zTestBinned } from './z-test.js';

export interface TestChoice {
  /** Overrides the default test; must be allowed for the column type. */
  test?: StatTestName;
  /** Overrides the test's default threshold. */
  threshold?: number;
}

export interface RawColumnDriftInput extends TestChoice {
  columnType: ColumnType;
  /** Reference sample, missing and infinite values already removed. */
  reference: readonly RawValue[];
  current: readonly RawValue[];
}

export interface BinnedColumnDriftInput extends TestChoice {
  columnType: ColumnType;
  /**
   * Aligned counts: fixed-edge histogram bins (underflow/overflow included, missing excluded) or
   * categories from alignCategoryCounts (sorted, so index 0 is the z-test's first category).
   */
  reference: readonly number[];
  current: readonly number[];
  /** A value standing for each bin (e.g. its midpoint); required by wasserstein and ks. */
  binValues?: readonly number[];
  /**
   * Distinct values of reference ∪ current for the default-test choice; defaults to the number of
   * bins non-empty on either side, which is exact for categorical counts.
   */
  nUnique?: number;
}

function chooseTest(columnType: ColumnType, choice: TestChoice, nUnique: () => number, referenceSize: number) {
  const name = choice.test ?? defaultTest(columnType, nUnique(), referenceSize);
  const spec = STAT_TESTS[name];
  if (choice.test !== undefined && !spec.allowedColumnTypes.includes(columnType)) {
    throw new RangeError(`test ${name} does not apply to ${columnType} columns`);
  }
  return { spec, threshold: choice.threshold ?? spec.defaultThreshold };
}

function result(name: StatTestName, value: number, threshold: number): ColumnDriftResult {
  const spec = STAT_TESTS[name];
  const out: ColumnDriftResult = { statistic: name, value, threshold, drifted: spec.isDrift(value, threshold) };
  if (spec.returns === 'p_value') out.pValue = value;
  return out;
}

/** Drift of one column from raw samples, binned the way Evidently bins them. */
export function detectColumnDrift(input: RawColumnDriftInput): ColumnDriftResult {
  const { columnType, reference, current } = input;
  const { spec, threshold } = chooseTest(
    columnType,
    input,
    () => countUnique([...reference, ...current]),
    reference.length,
  );
  return result(spec.name, rawValue(spec.name, reference, current, columnType), threshold);
}

function rawValue(
  name: StatTestName,
  reference: readonly RawValue[],
  current: readonly RawValue[],
  columnType: ColumnType,
): number {
  switch (name) {
    case 'psi':
      return psi(reference, current, columnType);
    case 'kl_div':
      return klDivergence(reference, current, columnType);
    case 'jensenshannon':
      return jensenShannon(reference, current, columnType);
    case 'hellinger':
      return hellinger(reference, current, columnType);
    case 'wasserstein':
      return wassersteinNormed(reference, current);
    case 'chisquare':
      return chiSquareTest(reference, current).pValue;
    case 'z':
      return zTest(reference, current).pValue;
    case 'ks':
      return ksTest(reference, current).pValue;
  }
}

/** Drift of one column from window counts (the streaming form). */
export function detectBinnedColumnDrift(input: BinnedColumnDriftInput): ColumnDriftResult {
  const { columnType, reference, current } = input;
  const referenceSize = reference.reduce((a, b) => a + b, 0);
  const nonEmptyBins = () => reference.filter((r, i) => r > 0 || (current[i] ?? 0) > 0).length;
  const { spec, threshold } = chooseTest(columnType, input, () => input.nUnique ?? nonEmptyBins(), referenceSize);
  return result(spec.name, binnedValue(spec.name, input), threshold);
}

function binnedValue(name: StatTestName, input: BinnedColumnDriftInput): number {
  const { reference, current } = input;
  switch (name) {
    case 'psi':
      return psiBinned(reference, current);
    case 'kl_div':
      return klDivergenceBinned(reference, current);
    case 'jensenshannon':
      return jensenShannonBinned(reference, current);
    case 'hellinger':
      return hellingerBinned(reference, current);
    case 'wasserstein':
      return wassersteinNormedBinned(reference, current, requireBinValues(name, input));
    case 'chisquare':
      return chiSquareTestBinned(reference, current).pValue;
    case 'z':
      return zTestBinned(reference, current).pValue;
    case 'ks':
      return ksTestBinned(reference, current, requireBinValues(name, input)).pValue;
  }
}

function requireBinValues(name: StatTestName, input: BinnedColumnDriftInput): readonly number[] {
  if (!input.binValues) throw new RangeError(`${name} on binned data needs binValues`);
  return input.binValues;
}
