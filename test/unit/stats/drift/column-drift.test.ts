import { describe, expect, it } from 'vitest';
import {
  STAT_TESTS,
  alignCategoryCounts,
  datasetDrift,
  defaultTest,
  detectBinnedColumnDrift,
  detectColumnDrift,
  psiBinned,
  valueCounts,
  wassersteinNormedBinned,
} from '../../../../shared/stats/drift/index.js';

describe('defaultTest (Evidently get_default_stattest)', () => {
  it.each([
    ['numerical', 6, 1000, 'ks'],
    ['numerical', 5, 1000, 'chisquare'],
    ['numerical', 3, 10, 'chisquare'],
    ['numerical', 2, 10, 'z'],
    ['numerical', 1, 10, 'z'],
    ['categorical', 40, 1000, 'chisquare'],
    ['categorical', 2, 1000, 'z'],
    ['numerical', 6, 1001, 'wasserstein'],
    ['numerical', 5, 1001, 'jensenshannon'],
    ['categorical', 2, 5000, 'jensenshannon'],
    ['categorical', 50, 5000, 'jensenshannon'],
  ] as const)('%s with %i unique values and reference %i → %s', (type, nUnique, size, expected) => {
    expect(defaultTest(type, nUnique, size)).toBe(expected);
  });
});

describe('drift direction and thresholds', () => {
  it('distances drift at value ≥ threshold (default 0.1)', () => {
    for (const name of ['psi', 'kl_div', 'jensenshannon', 'hellinger', 'wasserstein'] as const) {
      expect(STAT_TESTS[name].defaultThreshold).toBe(0.1);
      expect(STAT_TESTS[name].isDrift(0.1, 0.1)).toBe(true);
      expect(STAT_TESTS[name].isDrift(0.0999, 0.1)).toBe(false);
    }
  });

  it('chisquare and z drift at p < threshold, ks at p ≤ threshold (default 0.05)', () => {
    for (const name of ['chisquare', 'z'] as const) {
      expect(STAT_TESTS[name].defaultThreshold).toBe(0.05);
      expect(STAT_TESTS[name].isDrift(0.05, 0.05)).toBe(false);
      expect(STAT_TESTS[name].isDrift(0.0499, 0.05)).toBe(true);
    }
    expect(STAT_TESTS.ks.defaultThreshold).toBe(0.05);
    expect(STAT_TESTS.ks.isDrift(0.05, 0.05)).toBe(true);
  });

  it('a NaN value never counts as drift', () => {
    for (const spec of Object.values(STAT_TESTS)) expect(spec.isDrift(NaN, spec.defaultThreshold)).toBe(false);
  });
});

describe('detectColumnDrift on raw samples', () => {
  const reference = ['a', 'a', 'b', 'c', 'c', 'c'];
  const current = ['a', 'b', 'b', 'd'];

  it('applies an overridden test and threshold', () => {
    const counts = alignCategoryCounts(valueCounts(reference), valueCounts(current));
    const value = psiBinned(counts.reference, counts.current);
    const above = detectColumnDrift({ columnType: 'categorical', reference, current, test: 'psi', threshold: value + 0.01 });
    expect(above).toEqual({ statistic: 'psi', value, threshold: value + 0.01, drifted: false });
    const at = detectColumnDrift({ columnType: 'categorical', reference, current, test: 'psi', threshold: value });
    expect(at.drifted).toBe(true);
  });

  it('refuses a test that does not apply to the column type', () => {
    expect(() => detectColumnDrift({ columnType: 'categorical', reference, current, test: 'ks' })).toThrow(RangeError);
    expect(() => detectColumnDrift({ columnType: 'categorical', reference, current, test: 'wasserstein' })).toThrow(
      RangeError,
    );
  });
});

describe('detectBinnedColumnDrift on window counts', () => {
  it('picks the default from the non-empty bins and the reference total', () => {
    const categorical = detectBinnedColumnDrift({ columnType: 'categorical', reference: [0, 500, 600], current: [0, 50, 40] });
    expect(categorical.statistic).toBe('jensenshannon');
    const small = detectBinnedColumnDrift({ columnType: 'categorical', reference: [0, 50, 60], current: [0, 50, 40] });
    expect(small.statistic).toBe('z');
    expect(small.pValue).toBe(small.value);
  });

  it('uses the caller-supplied unique count and bin values for numerical histograms', () => {
    const reference = [10, 200, 400, 300, 100, 5];
    const current = [0, 50, 300, 400, 200, 40];
    const binValues = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5];
    const result = detectBinnedColumnDrift({ columnType: 'numerical', reference, current, binValues, nUnique: 1000 });
    expect(result.statistic).toBe('wasserstein');
    expect(result.value).toBe(wassersteinNormedBinned(reference, current, binValues));
    expect(result.drifted).toBe(result.value >= 0.1);
  });

  it('needs bin values for wasserstein and ks', () => {
    expect(() =>
      detectBinnedColumnDrift({ columnType: 'numerical', reference: [5, 5], current: [5, 5], test: 'wasserstein' }),
    ).toThrow(/binValues/);
    expect(() =>
      detectBinnedColumnDrift({ columnType: 'numerical', reference: [5, 5], current: [5, 5], test: 'ks' }),
    ).toThrow(/binValues/);
  });

  it('an empty window gives NaN and no drift for every test rather than throwing', () => {
    for (const test of Object.keys(STAT_TESTS) as (keyof typeof STAT_TESTS)[]) {
      const columnType = STAT_TESTS[test].allowedColumnTypes[0] ?? 'numerical';
      const windows: [number[], number[]][] = [
        [[5, 5], [0, 0]],
        [[0, 0], [5, 5]],
      ];
      for (const [reference, current] of windows) {
        const result = detectBinnedColumnDrift({ columnType, reference, current, binValues: [0, 1], test });
        expect(result.value, test).toBeNaN();
        expect(result.drifted, test).toBe(false);
      }
    }
  });
});

describe('datasetDrift', () => {
  const columns = (flags: boolean[]) => flags.map((drifted) => ({ drifted }));

  it('flags the dataset when the drifted share reaches 0.5 by default', () => {
    expect(datasetDrift(columns([true, false])).drifted).toBe(true);
    expect(datasetDrift(columns([true, false, false])).drifted).toBe(false);
    expect(datasetDrift(columns([true, false, false]))).toMatchObject({
      numberOfColumns: 3,
      numberOfDriftedColumns: 1,
      shareOfDriftedColumns: 1 / 3,
      driftShare: 0.5,
    });
  });

  it('honours a configured share', () => {
    expect(datasetDrift(columns([true, false, false]), 0.3).drifted).toBe(true);
    expect(datasetDrift(columns([true, true, false]), 0.7).drifted).toBe(false);
  });

  it('rejects an empty column list', () => {
    expect(() => datasetDrift([])).toThrow(RangeError);
  });
});
