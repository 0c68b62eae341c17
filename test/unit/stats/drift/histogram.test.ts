import { describe, expect, it } from 'vitest';
import { histogramCounts, sturgesBinEdges } from '../../../../shared/stats/drift/index.js';
import { loadFixture } from './fixtures.js';

interface EdgeCase {
  name: string;
  values: number[];
  integerValued: boolean;
  edges: number[];
  counts: number[];
}

const cases = loadFixture<EdgeCase[]>('histogram-edges.json');

describe('numpy histogram_bin_edges(bins="sturges") and histogram', () => {
  for (const c of cases) {
    it(`reproduces numpy exactly for ${c.name}`, () => {
      const edges = sturgesBinEdges(c.values, { integerValued: c.integerValued });
      // Bit-for-bit: the bin a value lands in depends on the exact edge.
      expect(edges).toEqual(c.edges);
      expect(histogramCounts(c.values, edges)).toEqual(c.counts);
    });
  }

  it('counts the right edge in the last bin and ignores values outside the edges', () => {
    expect(histogramCounts([0, 0.5, 1, 1.5, 2, 2, -0.1, 2.1], [0, 1, 2])).toEqual([2, 4]);
  });

  it('rejects non-finite data as numpy does', () => {
    expect(() => sturgesBinEdges([1, Infinity])).toThrow(RangeError);
  });
});
