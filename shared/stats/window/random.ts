/** A source of uniform numbers in [0, 1), injectable so that sampling is reproducible. */
export type RandomSource = () => number;

/**
 * Mulberry32: a tiny 32-bit seeded generator. Good enough for reservoir sampling and
 * reproducible tests; not for anything cryptographic.
 */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
