// The drift service's hot path: featureDeltas over 500-event batches with 20 features
// (12 numeric, 6 categorical, 2 boolean). Baselines from the same run: a plain pass that
// only reads every feature value of the batch (the floor of any aggregation), and the
// same aggregation done with one NumericHistogram / CategoricalCounts per feature and
// bucket fed event by event, then toCounters().
import type { Prediction } from '../shared/codec/index.js';
import { featureDeltas } from '../shared/monitor/feature-deltas.js';
import { buildReference, categoricalValue, numericValue, referenceRow } from '../shared/monitor/reference-profile.js';
import type { ReferenceProfile } from '../shared/monitor/reference-profile.js';
import { CategoricalCounts, NumericHistogram } from '../shared/stats/window/index.js';
import { formatRate, opsPerSecond, printTable } from './lib.js';
import type { BenchModule } from './lib.js';

const BATCH = 500;
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

function events(n: number, seed: number, t0: number): Prediction[] {
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
      // Spread over about 3 buckets of 10 s, as a live batch would be.
      eventTime: t0 + Math.floor((i / n) * 30_000),
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

function readOnly(batch: readonly Prediction[], features: string[]): number {
  let acc = 0;
  for (const p of batch) for (const f of features) acc += p.numericFeatures[f] ?? (p.categoricalFeatures[f] ?? (p.booleanFeatures[f] ? 't' : 'f')).length;
  return acc;
}

function perObject(batch: readonly Prediction[], reference: ReferenceProfile, bucketMs: number): number {
  const buckets = new Map<number, Map<string, NumericHistogram | CategoricalCounts>>();
  for (const p of batch) {
    const start = Math.floor(p.eventTime / bucketMs) * bucketMs;
    let states = buckets.get(start);
    if (!states) {
      states = new Map();
      for (const [f, c] of Object.entries(reference.features)) {
        states.set(f, c.type === 'numeric' ? new NumericHistogram(c.edges) : new CategoricalCounts(c.vocabulary, 50));
      }
      buckets.set(start, states);
    }
    for (const [f, s] of states) {
      if (s instanceof NumericHistogram) s.update(numericValue(p, f));
      else s.update(categoricalValue(p, f));
    }
  }
  let fields = 0;
  for (const states of buckets.values()) for (const s of states.values()) fields += Object.keys(s.toCounters()).length;
  return fields;
}

export default {
  title: 'featureDeltas: drift-service aggregation of a 500-event batch, 20 features',
  async run() {
    const reference = buildReference(events(1000, 1, 0).map(referenceRow), { bins: 20, maxCategories: 50 });
    const batches = Array.from({ length: 8 }, (_, i) => events(BATCH, 100 + i, 1_700_000_000_000 + i * 30_000));
    const features = Object.keys(reference.features);
    let k = 0;
    let sink = 0;
    const floor = opsPerSecond(() => {
      sink += readOnly(batches[k++ % batches.length] as Prediction[], features);
    }, BATCH);
    const objects = opsPerSecond(() => {
      sink += perObject(batches[k++ % batches.length] as Prediction[], reference, 10_000);
    }, BATCH);
    const deltas = opsPerSecond(() => {
      sink += featureDeltas(batches[k++ % batches.length] as Prediction[], reference, { bucketMs: 10_000 }).length;
    }, BATCH);
    printTable('events/s (higher is better)', [
      { variant: 'read every feature value (floor)', rate: formatRate(floor), 'vs featureDeltas': (floor / deltas).toFixed(2) },
      { variant: 'window objects per feature + toCounters', rate: formatRate(objects), 'vs featureDeltas': (objects / deltas).toFixed(2) },
      { variant: 'featureDeltas (slot arrays per bucket)', rate: formatRate(deltas), 'vs featureDeltas': '1.00' },
    ]);
    if (sink === -1) console.log(sink);
  },
} satisfies BenchModule;
