// The drift service's hot path: featureDeltas over 500-event batches with 20 features
// (12 numeric, 6 categorical, 2 boolean). Baselines from the same run: a plain pass that
// only reads every feature value of the batch (the floor of any aggregation), and the
// same aggregation done with one NumericHistogram / CategoricalCounts per feature and
// bucket fed event by event, then toCounters().
// From the Avro bytes, as the drift service reads a batch: full decode + featureDeltas
// against decode without features + featureDeltasFromBytes (feature values read from the bytes).
import { Codec, type EncodedEvent, type Prediction } from '../shared/codec/index.js';
import { featureDeltas, featureDeltasFromBytes } from '../shared/monitor/feature-deltas.js';
import { buildReference, categoricalValue, numericValue, referenceRow } from '../shared/monitor/reference-profile.js';
import type { ReferenceProfile } from '../shared/monitor/reference-profile.js';
import { CategoricalCounts, NumericHistogram } from '../shared/stats/window/index.js';
import { formatRate, opsPerSecond, printTable } from './lib.js';
import type { BenchModule } from './lib.js';
import { featureEvents } from './support/feature-events.js';

const BATCH = 500;
/** A batch spread over about 3 buckets of 10 s from t0, as a live batch would be. */
function events(n: number, seed: number, t0: number): Prediction[] {
  return featureEvents(n, seed, (i) => t0 + Math.floor((i / n) * 30_000));
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
    const codec = new Codec();
    const encoded: EncodedEvent[][] = batches.map((batch) => batch.map((p) => codec.encode('prediction', p)));
    const decoded = opsPerSecond(() => {
      const batch = encoded[k++ % encoded.length] as EncodedEvent[];
      sink += featureDeltas(batch.map((e) => codec.decode('prediction', e.value, e.headers)), reference, { bucketMs: 10_000 }).length;
    }, BATCH);
    const fromBytes = opsPerSecond(() => {
      const batch = encoded[k++ % encoded.length] as EncodedEvent[];
      const events = batch.map((e) => ({
        event: codec.decodePredictionWithoutFeatures(e.value, e.headers),
        bytes: e.value,
        reader: codec.predictionFeatureReader(e.headers),
      }));
      sink += featureDeltasFromBytes(events, reference, { bucketMs: 10_000 }).length;
    }, BATCH);
    const micros = (rate: number) => (1e6 / rate).toFixed(2);
    printTable('from Avro bytes, events/s (higher is better)', [
      { variant: 'decode + featureDeltas', rate: formatRate(decoded), 'µs/event': micros(decoded), 'vs decode + featureDeltas': '1.00' },
      {
        variant: 'decode without features + featureDeltasFromBytes (drift service)',
        rate: formatRate(fromBytes),
        'µs/event': micros(fromBytes),
        'vs decode + featureDeltas': (fromBytes / decoded).toFixed(2),
      },
    ]);
    printTable('events/s (higher is better)', [
      { variant: 'read every feature value (floor)', rate: formatRate(floor), 'vs featureDeltas': (floor / deltas).toFixed(2) },
      { variant: 'window objects per feature + toCounters', rate: formatRate(objects), 'vs featureDeltas': (objects / deltas).toFixed(2) },
      { variant: 'featureDeltas (slot arrays per bucket)', rate: formatRate(deltas), 'vs featureDeltas': '1.00' },
    ]);
    if (sink === -1) console.log(sink);
  },
} satisfies BenchModule;
