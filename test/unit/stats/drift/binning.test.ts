import { describe, expect, it } from 'vitest';
import {
  alignCategoryCounts,
  binnedShares,
  compareRawValues,
  fillEmptyBins,
  rawSampleShares,
  valueCounts,
} from '../../../../shared/stats/drift/index.js';

describe('empty-bin fill (Evidently feel_zeroes)', () => {
  it('writes 0.0001 into empty bins when every non-empty share exceeds 0.0001', () => {
    expect(fillEmptyBins([0.5, 0, 0.5])).toEqual([0.5, 0.0001, 0.5]);
  });

  it('writes smallest share / 1e6 when the smallest non-empty share is ≤ 0.0001', () => {
    const filled = fillEmptyBins([0.99995, 0.00005, 0]);
    expect(filled[2]).toBeCloseTo(0.00005 / 1e6, 20);
    expect(fillEmptyBins([0.9999, 0.0001, 0])[2]).toBeCloseTo(1e-10, 22);
  });

  it('fills each side on its own and does not renormalize', () => {
    const { reference, current } = binnedShares([3, 1, 0], [0, 2, 2], true);
    expect(reference).toEqual([0.75, 0.25, 0.0001]);
    expect(current).toEqual([0.0001, 0.5, 0.5]);
  });

  it('leaves shares untouched without fill and rejects misaligned bins', () => {
    expect(binnedShares([1, 0], [0, 1], false)).toEqual({ reference: [1, 0], current: [0, 1] });
    expect(() => binnedShares([1, 2], [1], true)).toThrow(RangeError);
  });
});

describe('category alignment', () => {
  it('takes the sorted union of observed categories, unseen ones counting 0 on the other side', () => {
    const aligned = alignCategoryCounts(
      new Map([
        ['b', 2],
        ['a', 1],
        ['z', 0],
      ]),
      new Map([
        ['c', 4],
        ['a', 3],
      ]),
    );
    expect(aligned).toEqual({ keys: ['a', 'b', 'c'], reference: [1, 2, 0], current: [3, 0, 4] });
  });

  it('orders like Python: numbers numerically, false before true, strings by code point', () => {
    expect([10, 9, 100].sort(compareRawValues)).toEqual([9, 10, 100]);
    expect([true, false].sort(compareRawValues)).toEqual([false, true]);
    expect(['b', 'B', 'a'].sort(compareRawValues)).toEqual(['B', 'a', 'b']);
    expect(() => compareRawValues('1', 1)).toThrow(TypeError);
  });

  it('counts values in first-seen order', () => {
    expect([...valueCounts(['x', 'y', 'x'])]).toEqual([
      ['x', 2],
      ['y', 1],
    ]);
  });
});

describe('raw-sample binning rule', () => {
  it('compares a numerical column value by value while its reference has ≤ 20 unique values', () => {
    const shares = rawSampleShares([1, 1, 2, 3], [3, 4], 'numerical', false);
    expect(shares).toEqual({ reference: [0.5, 0.25, 0.25, 0], current: [0, 0, 0.5, 0.5] });
  });

  it('bins a numerical column with > 20 reference uniques with sturges edges over both samples', () => {
    const reference = Array.from({ length: 21 }, (_, i) => i);
    const { reference: ref, current: cur } = rawSampleShares(reference, [100], 'numerical', false);
    // 22 values → ceil(log2(22) + 1) = 6 bins over [0, 100].
    expect(ref).toHaveLength(6);
    expect(ref.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(cur).toEqual([0, 0, 0, 0, 0, 1]);
  });

  it('rejects empty samples', () => {
    expect(() => rawSampleShares([], [1], 'numerical', true)).toThrow(RangeError);
  });
});
