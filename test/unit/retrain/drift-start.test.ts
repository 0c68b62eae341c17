import { describe, expect, it } from 'vitest';
import { estimateDriftStart, type ErrorObservation } from '../../../shared/retrain/drift-start.js';
import { createPrng } from '../../../shared/sim/prng.js';

/** One observation per ms; error rate `before` until `at`, then `after`. */
function stream(n: number, at: number, before: number, after: number, seed = 1): ErrorObservation[] {
  const rng = createPrng(seed);
  return Array.from({ length: n }, (_, i) => {
    const wrong = rng.next() < (i < at ? before : after);
    return { time: 1_000 + i, predictedClass: wrong ? 'a' : 'b', label: 'b' };
  });
}

describe('estimateDriftStart', () => {
  it('finds an abrupt rise of the error rate within a few observations', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const found = estimateDriftStart(stream(4_000, 2_500, 0.03, 0.3, seed), 0);
      expect(found).not.toBeNull();
      expect(Math.abs(found! - (1_000 + 2_500))).toBeLessThan(40);
    }
  });

  it('answers null for a stable stream, a falling error rate and too few observations', () => {
    for (const seed of [1, 2, 3, 4, 5]) expect(estimateDriftStart(stream(4_000, 4_000, 0.1, 0.1, seed), 0)).toBeNull();
    expect(estimateDriftStart(stream(4_000, 2_000, 0.3, 0.03), 0)).toBeNull();
    expect(estimateDriftStart(stream(80, 40, 0, 1), 0)).toBeNull();
  });

  it('searches only from the given time and skips observations without a logged prediction', () => {
    const observations = stream(4_000, 1_000, 0.02, 0.4).map((o, i) => (i % 7 === 0 ? { ...o, predictedClass: null } : o));
    // The change at 1,000 lies before the search: what follows is one stable regime.
    expect(estimateDriftStart(observations, 1_000 + 1_500)).toBeNull();
    const found = estimateDriftStart(observations, 1_000 + 200);
    expect(Math.abs(found! - 2_000)).toBeLessThan(40);
  });
});
