// Small deterministic prediction streams for the monitor unit tests.
import type { Prediction } from '../../../shared/codec/index.js';

export function makeRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

export function prediction(i: number, overrides: Partial<Prediction> = {}): Prediction {
  return {
    id: `p-${i}`,
    model: 'm',
    modelVersion: '1',
    eventTime: 1_700_000_000_000 + i * 1000,
    numericFeatures: {},
    categoricalFeatures: {},
    booleanFeatures: {},
    missingFeatures: [],
    predictedClass: null,
    predictedValue: null,
    classProbabilities: {},
    segments: {},
    ...overrides,
  };
}

/** Numeric x ~ uniform(shift, shift + 10), categorical plan from a skewed set, boolean flag. */
export function stream(n: number, seed: number, shift = 0, planBias = 0): Prediction[] {
  const r = makeRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const u = r();
    const plan = u < 0.5 - planBias ? 'basic' : u < 0.8 ? 'pro' : 'team';
    const missing = r() < 0.05;
    return prediction(i, {
      numericFeatures: missing ? {} : { x: shift + r() * 10 },
      missingFeatures: missing ? ['x'] : [],
      categoricalFeatures: { plan },
      booleanFeatures: { mobile: r() < 0.3 },
      predictedClass: r() < 0.4 + planBias ? 'yes' : 'no',
    });
  });
}
