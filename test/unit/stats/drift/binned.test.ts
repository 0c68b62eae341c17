import { describe, expect, it } from 'vitest';
import {
  chiSquareTestBinned,
  hellingerBinned,
  jensenShannon,
  jensenShannonBinned,
  klDivergence,
  klDivergenceBinned,
  ksTestBinned,
  psi,
  psiBinned,
  wassersteinNormedBinned,
  zTestBinned,
} from '../../../../shared/stats/drift/index.js';
import type { StatTestName } from '../../../../shared/stats/drift/index.js';
import { closeMessage, isClose, loadFixture } from './fixtures.js';

interface BinnedCase {
  name: string;
  note: string;
  reference: number[];
  current: number[];
  binValues: number[] | null;
  expected: Partial<Record<StatTestName, number>>;
}

const cases = loadFixture<BinnedCase[]>('binned-cases.json');

type Compute = (ref: number[], cur: number[], binValues: number[] | null) => number;
function needBins(binValues: number[] | null): number[] {
  if (!binValues) throw new Error('fixture case has no bin values');
  return binValues;
}
const computations: Record<StatTestName, Compute> = {
  psi: psiBinned,
  kl_div: klDivergenceBinned,
  jensenshannon: jensenShannonBinned,
  hellinger: hellingerBinned,
  wasserstein: (ref, cur, bins) => wassersteinNormedBinned(ref, cur, needBins(bins)),
  chisquare: (ref, cur) => chiSquareTestBinned(ref, cur).pValue,
  z: (ref, cur) => zTestBinned(ref, cur).pValue,
  ks: (ref, cur, bins) => ksTestBinned(ref, cur, needBins(bins)).pValue,
};
const P_VALUES = new Set(['chisquare', 'z', 'ks']);

describe('binned (streaming) drift statistics match SciPy on count vectors', () => {
  for (const c of cases) {
    it(`${c.name}: ${c.note}`, () => {
      for (const [name, expected] of Object.entries(c.expected)) {
        const actual = computations[name as StatTestName](c.reference, c.current, c.binValues);
        const ok = P_VALUES.has(name) ? isClose(actual, expected, 1e-6, 1e-4) : isClose(actual, expected, 1e-6, 1e-6);
        expect(ok, closeMessage(name, actual, expected)).toBe(true);
      }
    });
  }

  it('counts of each observed value give the raw-sample value on a column Evidently compares value by value', () => {
    const reference = [1, 1, 2, 3, 3, 3];
    const current = [1, 2, 2, 4];
    // Sorted observed values 1, 2, 3, 4.
    const refCounts = [2, 1, 3, 0];
    const curCounts = [1, 2, 0, 1];
    expect(psiBinned(refCounts, curCounts)).toBeCloseTo(psi(reference, current, 'numerical'), 14);
    expect(klDivergenceBinned(refCounts, curCounts)).toBeCloseTo(klDivergence(reference, current, 'numerical'), 14);
    expect(jensenShannonBinned(refCounts, curCounts)).toBeCloseTo(jensenShannon(reference, current, 'numerical'), 14);
  });

  it('chi-square drops bins empty on both sides instead of producing 0/0', () => {
    const withEmpty = chiSquareTestBinned([0, 40, 0, 60], [0, 55, 0, 45]);
    const without = chiSquareTestBinned([40, 60], [55, 45]);
    expect(withEmpty).toEqual(without);
    expect(without.degreesOfFreedom).toBe(1);
  });

  it('an unseen category makes chi-square certain of drift', () => {
    const result = chiSquareTestBinned([10, 10, 0], [10, 10, 1]);
    expect(result.statistic).toBe(Infinity);
    expect(result.pValue).toBe(0);
  });
});
