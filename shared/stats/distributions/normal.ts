// Standard normal distribution tails, through Φ(x) = P(1/2, x²/2) identities so both tails keep
// full relative precision (SciPy's ndtr / norm.sf behave the same way).
import { regularizedGammaP, regularizedGammaQ } from './gamma.js';

/** Survival function 1 - Φ(x) of the standard normal. */
export function normalSf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const halfSquare = (x * x) / 2;
  if (x >= 0) return 0.5 * regularizedGammaQ(0.5, halfSquare);
  return 0.5 + 0.5 * regularizedGammaP(0.5, halfSquare);
}

/** Cumulative distribution Φ(x) of the standard normal. */
export function normalCdf(x: number): number {
  return normalSf(-x);
}

/** Complementary error function erfc(x) = 2 · (1 - Φ(x·√2)). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= 0) return regularizedGammaQ(0.5, x * x);
  return 1 + regularizedGammaP(0.5, x * x);
}
