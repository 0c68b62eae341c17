import { describe, expect, it } from 'vitest';
import { NumericHistogram } from '../../../../shared/stats/window/index.js';
import { expectMatches, loadFixture } from '../metrics/fixtures.js';

interface HistogramCase {
  name: string;
  kind: 'histogram';
  edges: number[];
  values: (number | 'Infinity' | '-Infinity' | null)[];
  expected: {
    bins: number[];
    underflow: number;
    overflow: number;
    missing: number;
    count: number;
    mean: number | null;
    std: number | null;
    std_sample: number | null;
  };
}

const { cases } = loadFixture<{ cases: { kind: string }[] }>('cases.json');
const histograms = cases.filter((c): c is HistogramCase => c.kind === 'histogram');

const decode = (v: HistogramCase['values'][number]): number | null =>
  v === 'Infinity' ? Number.POSITIVE_INFINITY : v === '-Infinity' ? Number.NEGATIVE_INFINITY : v;

describe('NumericHistogram matches numpy.histogram', () => {
  it('has fixtures', () => expect(histograms.length).toBeGreaterThan(0));

  for (const c of histograms) {
    it(c.name, () => {
      const h = new NumericHistogram(c.edges);
      // Feed half directly and half through a second bucket to cover merge as well.
      const other = new NumericHistogram(c.edges);
      c.values.forEach((v, i) => (i % 2 ? h : other).update(decode(v)));
      const window = NumericHistogram.fromCounters(c.edges, h.merge(other).toCounters());
      expect(window.bins).toEqual(c.expected.bins);
      expect([window.underflow, window.overflow, window.missing, window.count]).toEqual([
        c.expected.underflow,
        c.expected.overflow,
        c.expected.missing,
        c.expected.count,
      ]);
      expect(window.total).toBe(c.values.length);
      expectMatches(window.mean(), c.expected.mean, 'mean');
      expectMatches(window.std(), c.expected.std, 'std');
      expectMatches(window.std(1), c.expected.std_sample, 'std ddof=1');
    });
  }

  it('puts the top edge in the last bin and each inner edge in the bin it opens', () => {
    const h = new NumericHistogram([0, 1, 2]);
    for (const v of [0, 1, 2, -0.001, 2.001, Number.NaN]) h.update(v);
    expect([h.bins, h.underflow, h.overflow, h.missing]).toEqual([[1, 2], 1, 1, 1]);
  });

  it('has no moments when empty', () => {
    const h = new NumericHistogram([0, 1]);
    expect(h.mean()).toBeNaN();
    h.update(0.5);
    expect(h.std(1)).toBeNaN();
    expect(h.std()).toBe(0);
  });
});
