import { describe, expect, it } from 'vitest';
import { RegressionSums, RollingWindow } from '../../../../shared/stats/window/index.js';

function sample(y: number): RegressionSums {
  const s = new RegressionSums();
  s.update(y, 0);
  return s;
}

function window(): RollingWindow<RegressionSums> {
  return new RollingWindow({ bucketMs: 10, horizonMs: 30, create: () => new RegressionSums() });
}

describe('RollingWindow', () => {
  it('sums the buckets inside the horizon and evicts older ones', () => {
    const w = window();
    w.add(3, sample(1));
    w.add(12, sample(2));
    w.add(25, sample(4));
    expect(w.state().sumTrue).toBe(7);
    w.add(31, sample(8)); // bucket 30: bucket 0 leaves
    expect(w.state().sumTrue).toBe(14);
    expect(w.entries().map(([start]) => start)).toEqual([10, 20, 30]);
    w.advanceTo(55); // bucket 50: only bucket 30 stays
    expect(w.state().sumTrue).toBe(8);
    expect(w.state().count).toBe(1);
  });

  it('accepts late events still inside the window and refuses older ones', () => {
    const w = window();
    w.add(40, sample(1));
    expect(w.add(25, sample(2))).toBe(true);
    expect(w.add(19, sample(4))).toBe(false);
    expect(w.state().sumTrue).toBe(3);
    expect(w.watermark).toBe(40);
  });

  it('returns a copy that later updates do not change', () => {
    const w = window();
    w.add(0, sample(1));
    const before = w.state();
    w.add(1, sample(5));
    expect(before.sumTrue).toBe(1);
    expect(w.state().sumTrue).toBe(6);
  });

  it('is empty after everything has been evicted', () => {
    const w = window();
    w.add(0, sample(3));
    w.advanceTo(1000);
    expect(w.state().count).toBe(0);
    expect(w.state().toCounters()).toEqual({});
  });

  it('rejects a horizon that is not whole buckets', () => {
    expect(() => new RollingWindow({ bucketMs: 10, horizonMs: 25, create: () => new RegressionSums() })).toThrow(RangeError);
  });
});
