// Public API of the drift statistics.
export type { BinnedPercents, ColumnDriftResult, ColumnType, RawValue, StatTestName } from './types.js';
export { histogramCounts, sturgesBinEdges } from './histogram.js';
export type { SturgesOptions } from './histogram.js';
export {
  EMPTY_BIN_SHARE,
  EMPTY_BIN_SHRINK,
  NUMERICAL_BINNING_MIN_UNIQUE,
  alignCategoryCounts,
  binnedShares,
  compareRawValues,
  countsToShares,
  fillEmptyBins,
  rawSampleShares,
  valueCounts,
} from './binning.js';
export type { AlignedCounts } from './binning.js';
export { psi, psiBinned } from './psi.js';
export { klDivergence, klDivergenceBinned } from './kl-divergence.js';
export { jensenShannon, jensenShannonBinned } from './jensen-shannon.js';
export { hellinger, hellingerBinned } from './hellinger.js';
export {
  WASSERSTEIN_MIN_NORM,
  wassersteinDistance,
  wassersteinNormed,
  wassersteinNormedBinned,
} from './wasserstein.js';
export { chiSquareTest, chiSquareTestBinned } from './chi-square-test.js';
export type { ChiSquareResult } from './chi-square-test.js';
export { zTest, zTestBinned } from './z-test.js';
export type { ZTestResult } from './z-test.js';
export { ksTest, ksTestBinned } from './ks-test.js';
export { STAT_TESTS, defaultTest } from './stat-tests.js';
export type { StatTestSpec } from './stat-tests.js';
export { detectBinnedColumnDrift, detectColumnDrift } from './column-drift.js';
export type { BinnedColumnDriftInput, RawColumnDriftInput, TestChoice } from './column-drift.js';
export { DEFAULT_DRIFT_SHARE, datasetDrift } from './dataset-drift.js';
export type { DatasetDriftResult } from './dataset-drift.js';
