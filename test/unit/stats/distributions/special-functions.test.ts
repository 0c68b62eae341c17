import { describe, expect, it } from 'vitest';
import { chiSquareCdf, chiSquareSf } from '../../../../shared/stats/distributions/chi-square.js';
import { logGamma, regularizedGammaP, regularizedGammaQ } from '../../../../shared/stats/distributions/gamma.js';
import { erfc, normalCdf, normalSf } from '../../../../shared/stats/distributions/normal.js';
import { closeMessage, isClose, loadFixture } from '../drift/fixtures.js';

interface SpecialFunctions {
  logGamma: { x: number; value: number }[];
  incompleteGamma: { a: number; x: number; p: number; q: number }[];
  normal: { x: number; cdf: number; sf: number }[];
  erfc: { x: number; value: number }[];
  chiSquare: { x: number; df: number; sf: number; cdf: number }[];
}

const fixture = loadFixture<SpecialFunctions>('special-functions.json');
// Relative accuracy against SciPy; values below 1e-300 are compared absolutely.
const REL = 1e-12;
const ABS = 1e-300;

function check(label: string, actual: number, expected: number, rel = REL): void {
  expect(isClose(actual, expected, ABS, rel), closeMessage(label, actual, expected)).toBe(true);
}

describe('special functions match SciPy', () => {
  it('logGamma matches scipy.special.gammaln', () => {
    for (const { x, value } of fixture.logGamma) check(`lgamma(${x})`, logGamma(x), value);
  });

  it('regularized incomplete gamma matches scipy.special.gammainc / gammaincc', () => {
    for (const { a, x, p, q } of fixture.incompleteGamma) {
      check(`P(${a}, ${x})`, regularizedGammaP(a, x), p);
      check(`Q(${a}, ${x})`, regularizedGammaQ(a, x), q);
    }
  });

  it('normal cdf and sf match scipy.stats.norm in both tails', () => {
    for (const { x, cdf, sf } of fixture.normal) {
      check(`cdf(${x})`, normalCdf(x), cdf);
      check(`sf(${x})`, normalSf(x), sf);
    }
  });

  it('erfc matches scipy.special.erfc', () => {
    for (const { x, value } of fixture.erfc) check(`erfc(${x})`, erfc(x), value);
  });

  it('chi-square sf and cdf match scipy.stats.chi2', () => {
    for (const { x, df, sf, cdf } of fixture.chiSquare) {
      check(`chi2.sf(${x}, ${df})`, chiSquareSf(x, df), sf);
      check(`chi2.cdf(${x}, ${df})`, chiSquareCdf(x, df), cdf);
    }
  });

  it('handles the boundaries of the domains', () => {
    expect(regularizedGammaP(2, 0)).toBe(0);
    expect(regularizedGammaQ(2, Infinity)).toBe(0);
    expect(chiSquareSf(0, 3)).toBe(1);
    expect(chiSquareSf(Infinity, 3)).toBe(0);
    expect(chiSquareSf(1, 0)).toBeNaN();
    expect(() => regularizedGammaP(0, 1)).toThrow(RangeError);
    expect(() => regularizedGammaQ(1, -1)).toThrow(RangeError);
    expect(normalSf(NaN)).toBeNaN();
  });
});
