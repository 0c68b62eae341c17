import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ksTwoSample } from '../../../../shared/stats/distributions/ks-two-sample.js';
import type { KsMethod } from '../../../../shared/stats/distributions/ks-two-sample.js';

interface Case {
  name: string;
  method: KsMethod;
  x: number[];
  y: number[];
  statistic: number;
  pValue: number;
}

const fixture = JSON.parse(
  readFileSync(new URL('../../../fixtures/ks/ks_2samp.json', import.meta.url), 'utf8'),
) as { scipy: string; cases: Case[] };

/** The agreed tolerance: 1e-6 absolute or 1e-4 relative. */
function close(actual: number, expected: number): boolean {
  const diff = Math.abs(actual - expected);
  return diff <= 1e-6 || diff <= 1e-4 * Math.abs(expected);
}

describe(`ksTwoSample matches scipy ${fixture.scipy} ks_2samp (two-sided)`, () => {
  it('has at least 15 reference cases', () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(15);
  });

  for (const c of fixture.cases) {
    it(`${c.name} (n=${c.x.length}, m=${c.y.length}, ${c.method})`, () => {
      const got = ksTwoSample(c.x, c.y, { method: c.method });
      expect(close(got.statistic, c.statistic), `statistic ${got.statistic} vs ${c.statistic}`).toBe(true);
      expect(close(got.pValue, c.pValue), `p-value ${got.pValue} vs ${c.pValue}`).toBe(true);
    });
  }

  it('is symmetric in its arguments and leaves the inputs unsorted', () => {
    const x = [3, 1, 2, 9, 4];
    const y = [7, 5, 8, 6];
    const a = ksTwoSample(x, y);
    const b = ksTwoSample(y, x);
    expect(b.statistic).toBe(a.statistic);
    expect(b.pValue).toBeCloseTo(a.pValue, 12);
    expect(x).toEqual([3, 1, 2, 9, 4]);
  });

  it('rejects empty samples and unknown methods', () => {
    expect(() => ksTwoSample([], [1])).toThrow(RangeError);
    expect(() => ksTwoSample([1], [2], { method: 'nope' as KsMethod })).toThrow(RangeError);
  });
});
