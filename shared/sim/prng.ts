import { seededRandom } from '../stats/window/random.js';

// A tiny seeded random source for simulations. Scenarios must be reproducible from their
// seed alone (the scikit-learn fixture, the e2e test and the benchmark all regenerate the
// same stream), so nothing here may touch Math.random.

export interface Prng {
  /** Float in [0, 1). */
  next(): number;
  /** Float in [min, max). */
  uniform(min: number, max: number): number;
  /** Integer in [min, max] inclusive. */
  int(min: number, max: number): number;
  /** Standard-normal draw scaled to (mean, sd). */
  normal(mean: number, sd: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** One of `weights`' keys, drawn with probability proportional to its weight. */
  pick<K extends string>(weights: Readonly<Record<K, number>>): K;
}

export function createPrng(seed: number): Prng {
  const next = seededRandom(seed);
  return {
    next,
    uniform: (min, max) => min + (max - min) * next(),
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    normal(mean, sd) {
      // Box–Muller; 1 - u keeps the logarithm's argument in (0, 1].
      const u = 1 - next();
      const v = next();
      return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    chance: (p) => next() < p,
    pick<K extends string>(weights: Readonly<Record<K, number>>): K {
      const entries = Object.entries(weights) as [K, number][];
      let total = 0;
      for (const [, w] of entries) total += w;
      let r = next() * total;
      for (const [key, w] of entries) {
        r -= w;
        if (r < 0) return key;
      }
      return entries[entries.length - 1]![0];
    },
  };
}
