import { describe, expect, it } from 'vitest';
import { bucketErrors } from '../../../shared/monitor/bucket-errors.js';
import { ConfusionMatrix } from '../../../shared/stats/window/confusion-matrix.js';
import { RegressionSums } from '../../../shared/stats/window/regression-sums.js';

describe('bucketErrors', () => {
  it('spreads a bucket\'s misclassifications evenly among its outcomes', () => {
    const m = new ConfusionMatrix();
    for (let i = 0; i < 7; i++) m.update('a', 'a');
    for (let i = 0; i < 3; i++) m.update('a', 'b');
    const errors = bucketErrors('binary', m.toCounters());
    expect(errors).toHaveLength(10);
    expect(errors.reduce((a, b) => a + b, 0)).toBe(3);
    expect(errors).toEqual([0, 0, 0, 1, 0, 0, 1, 0, 0, 1]);
  });

  it('gives a regression bucket its mean absolute error per outcome, and nothing for an empty bucket', () => {
    const r = new RegressionSums();
    r.update(1, 2);
    r.update(5, 2);
    expect(bucketErrors('regression', r.toCounters())).toEqual([2, 2]);
    expect(bucketErrors('multiclass', {})).toEqual([]);
    expect(bucketErrors('regression', {})).toEqual([]);
  });
});
