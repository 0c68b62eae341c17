// Derived seeds for independent sub-streams of one seeded run (the features, the drift
// schedule, the label delays), so changing one part's consumption leaves the others alone.
// This only mixes integers into a new seed for `createPrng`; it is not a generator.

/** A 32-bit seed derived from `seed` and a salt, well mixed (the murmur3 finalizer). */
export function deriveSeed(seed: number, salt: number): number {
  let h = (Math.trunc(seed) ^ Math.imul(Math.trunc(salt) + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export function checkProbability(owner: string, name: string, value: number | undefined): number {
  const p = value ?? 0;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${owner}: ${name} must be in [0, 1], got ${value}`);
  return p;
}
