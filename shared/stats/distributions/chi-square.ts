// Chi-square distribution tail used by the chi-square goodness-of-fit drift test.
import { regularizedGammaP, regularizedGammaQ } from './gamma.js';

/** Survival function P(X > x) for X ~ χ²(degreesOfFreedom). */
export function chiSquareSf(x: number, degreesOfFreedom: number): number {
  if (Number.isNaN(x) || Number.isNaN(degreesOfFreedom)) return NaN;
  // SciPy's chi2 is defined for df > 0 only; df = 0 (a single category) has no distribution.
  if (degreesOfFreedom <= 0) return NaN;
  if (x <= 0) return 1;
  return regularizedGammaQ(degreesOfFreedom / 2, x / 2);
}

/** Cumulative distribution P(X ≤ x) for X ~ χ²(degreesOfFreedom). */
export function chiSquareCdf(x: number, degreesOfFreedom: number): number {
  if (Number.isNaN(x) || Number.isNaN(degreesOfFreedom)) return NaN;
  if (degreesOfFreedom <= 0) return NaN;
  if (x <= 0) return 0;
  return regularizedGammaP(degreesOfFreedom / 2, x / 2);
}
