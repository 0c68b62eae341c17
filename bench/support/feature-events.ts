// Seeded prediction events with 20 features (12 numeric, 6 categorical, 2 boolean): the
// drift service's benchmarks (feature-deltas, evaluation) build references and buckets from them.
import type { Prediction } from '../../shared/codec/index.js';

const NUMERIC = 12;
const CATEGORICAL = 6;
const BOOLEAN = 2;

function makeRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** `n` events of model `bench`, version 1; `eventTime(i, n)` places the i-th in time. */
export function featureEvents(n: number, seed: number, eventTime: (i: number, n: number) => number): Prediction[] {
  const r = makeRandom(seed);
  return Array.from({ length: n }, (_, i) => {
    const numericFeatures: Record<string, number> = {};
    const categoricalFeatures: Record<string, string> = {};
    const booleanFeatures: Record<string, boolean> = {};
    for (let f = 0; f < NUMERIC; f++) numericFeatures[`n${f}`] = (r() + r() + r()) * 10 - 15;
    for (let f = 0; f < CATEGORICAL; f++) categoricalFeatures[`c${f}`] = `v${Math.floor(r() * r() * 30)}`;
    for (let f = 0; f < BOOLEAN; f++) booleanFeatures[`b${f}`] = r() < 0.3;
    return {
      id: `p${i}`,
      model: 'bench',
      modelVersion: '1',
      eventTime: eventTime(i, n),
      numericFeatures,
      categoricalFeatures,
      booleanFeatures,
      missingFeatures: [],
      predictedClass: r() < 0.4 ? 'yes' : 'no',
      predictedValue: null,
      classProbabilities: {},
      segments: {},
    };
  });
}
