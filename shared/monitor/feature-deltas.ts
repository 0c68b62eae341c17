// The drift service's hot path: one Kafka batch of predictions → counter deltas per
// event-time bucket for the `feat:`, `pred:` and `dq:` families of each model version.
// Counters are accumulated straight into plain objects with field names computed once per
// reference (no window-state object per event); the fields are exactly what
// NumericHistogram / CategoricalCounts.toCounters() would write, prefixed per feature
// (see feature-fields.ts), which the round-trip unit test checks.
// Zero fields are left out, as toCounters() leaves them out.
//
// Two inputs, one binning: decoded predictions (featureDeltas), or the drift service's
// predictions decoded without their features plus their bytes (featureDeltasFromBytes),
// whose feature entries are read straight into the bins (feature-reader.ts, feature-entries.ts).
// Both take a feature's entries in the three maps to one value with the rule of
// numericValue / categoricalValue (numericOf / categoricalOf) and count it with addFeature.
import type { FeatureReader } from '../codec/feature-reader.js';
import type { Prediction } from '../codec/events.generated.js';
import type { BucketDeltas } from '../monitor-state/types.js';
import { joinField } from '../stats/window/counters.js';
import { featureField } from './feature-fields.js';
import type { ColumnReference, ReferenceProfile } from './reference-profile.js';
import { binIndex, categoricalOf, numericOf } from './reference-profile.js';
import { FeatureEntries } from './feature-entries.js';

export interface DeltaSettings {
  bucketMs: number;
}

export const featFamily = (version: string): string => `feat:${version}`;
export const predFamily = (version: string): string => `pred:${version}`;
export const dqFamily = (version: string): string => `dq:${version}`;

/** Data-quality field suffixes per feature, and the family-wide prediction count. */
export const DQ_FIELDS = { missing: 'm', outOfRange: 'r', unseen: 'x', count: 'n' } as const;

// Every counter field a reference can produce gets a slot in a Float64Array per family:
// the per-event work is then array increments at precomputed indices, and field names
// (strings) are only touched once per bucket when the deltas are written out.
interface NumericPlan {
  kind: 'numeric';
  edges: readonly number[];
  /** Slot of bin 0; bin i is firstBin + i. */
  firstBin: number;
  bins: number;
  under: number;
  over: number;
  missing: number;
  count: number;
  sum: number;
  sumSquares: number;
}

interface CategoricalPlan {
  kind: 'categorical';
  slots: Map<string, number>;
  other: number;
  missing: number;
}

type ColumnPlan = NumericPlan | CategoricalPlan;

interface FeaturePlan {
  feature: string;
  column: ColumnPlan;
  /** Categories seen in the reference; null when unknown (no unseen counts then). */
  known: Set<string> | null;
  dqMissing: number;
  dqOutOfRange: number;
  dqUnseen: number;
}

interface Plan {
  features: FeaturePlan[];
  /** Where the byte path gathers one event's entries of the reference's features; made on first use. */
  entries: FeatureEntries | null;
  prediction: ColumnPlan | null;
  featFields: string[];
  predFields: string[];
  dqFields: string[];
  dqCount: number;
}

function slotter(fields: string[]): (name: string) => number {
  return (name) => fields.push(name) - 1;
}

function columnPlan(column: ColumnReference, slot: (name: string) => number, field: (f: string) => string): ColumnPlan {
  if (column.type === 'numeric') {
    const bins = column.counts.length;
    const firstBin = bins > 0 ? slot(field(joinField('b', '0'))) : 0;
    for (let i = 1; i < bins; i++) slot(field(joinField('b', String(i))));
    return {
      kind: 'numeric',
      edges: column.edges,
      firstBin,
      bins,
      under: slot(field('u')),
      over: slot(field('o')),
      missing: slot(field('m')),
      count: slot(field('n')),
      sum: slot(field('~s')),
      sumSquares: slot(field('~ss')),
    };
  }
  return {
    kind: 'categorical',
    slots: new Map(column.vocabulary.map((c) => [c, slot(field(joinField('c', c)))])),
    other: slot(field('o')),
    missing: slot(field('m')),
  };
}

const plans = new WeakMap<ReferenceProfile, Plan>();

function planOf(reference: ReferenceProfile): Plan {
  let plan = plans.get(reference);
  if (plan) return plan;
  const featFields: string[] = [];
  const predFields: string[] = [];
  const dqFields: string[] = [];
  const featSlot = slotter(featFields);
  const dqSlot = slotter(dqFields);
  const dqCount = dqSlot(DQ_FIELDS.count);
  plan = {
    features: Object.entries(reference.features).map(([feature, column]) => ({
      feature,
      column: columnPlan(column, featSlot, (f) => featureField(feature, f)),
      known: column.type !== 'numeric' && column.categories !== null ? new Set(column.categories) : null,
      dqMissing: dqSlot(featureField(feature, DQ_FIELDS.missing)),
      dqOutOfRange: dqSlot(featureField(feature, DQ_FIELDS.outOfRange)),
      dqUnseen: dqSlot(featureField(feature, DQ_FIELDS.unseen)),
    })),
    entries: null,
    prediction: reference.prediction ? columnPlan(reference.prediction, slotter(predFields), (f) => f) : null,
    featFields,
    predFields,
    dqFields,
    dqCount,
  };
  plans.set(reference, plan);
  return plan;
}

/** Adds one value; returns 1 when it fell outside the numeric range, else 0. */
function addNumeric(acc: Float64Array, plan: NumericPlan, v: number | null): number {
  if (v === null) {
    acc[plan.missing]! += 1;
    return 0;
  }
  const i = binIndex(plan.edges, v);
  let outside = 0;
  if (i < 0) {
    acc[plan.under]! += 1;
    outside = 1;
  } else if (i >= plan.bins) {
    acc[plan.over]! += 1;
    outside = 1;
  } else acc[plan.firstBin + i]! += 1;
  acc[plan.count]! += 1;
  acc[plan.sum]! += v;
  acc[plan.sumSquares]! += v * v;
  return outside;
}

function addCategorical(acc: Float64Array, plan: CategoricalPlan, v: string | null): void {
  if (v === null) {
    acc[plan.missing]! += 1;
    return;
  }
  acc[plan.slots.get(v) ?? plan.other]! += 1;
}

interface BucketAcc {
  feat: Float64Array;
  pred: Float64Array;
  dq: Float64Array;
}

function toCounters(acc: Float64Array, fields: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < acc.length; i++) if (acc[i] !== 0) out[fields[i] as string] = acc[i] as number;
  return out;
}

/** Counts one feature's value of an event, from its entries in the three maps (undefined: absent). */
function addFeature(feat: Float64Array, dq: Float64Array, f: FeaturePlan, n: number | undefined, c: string | undefined, b: boolean | undefined): void {
  const column = f.column;
  if (column.kind === 'numeric') {
    const v = numericOf(n, c, b);
    const outside = addNumeric(feat, column, v);
    if (v === null) dq[f.dqMissing]! += 1;
    else if (outside === 1) dq[f.dqOutOfRange]! += 1;
  } else {
    const v = categoricalOf(n, c, b);
    addCategorical(feat, column, v);
    if (v === null) dq[f.dqMissing]! += 1;
    else if (f.known !== null && !f.known.has(v)) dq[f.dqUnseen]! += 1;
  }
}

/** What both paths read of a prediction besides its features. */
type PredictionHead = Pick<Prediction, 'modelVersion' | 'eventTime' | 'predictedClass' | 'predictedValue'>;

interface Bucket {
  version: string;
  start: number;
  acc: BucketAcc;
}

interface Buckets {
  /** `version\0start` → bucket. */
  byId: Map<string, Bucket>;
  /** The bucket of the last event counted. */
  last: Bucket | null;
}

/** The accumulator of the event's bucket, with the event and its prediction counted. */
function countEvent(buckets: Buckets, plan: Plan, p: PredictionHead, bucketMs: number): BucketAcc {
  const start = Math.floor(p.eventTime / bucketMs) * bucketMs;
  // Consecutive events mostly share a bucket: the last one is checked before the map.
  let bucket = buckets.last;
  if (bucket === null || bucket.start !== start || bucket.version !== p.modelVersion) {
    const id = `${p.modelVersion}\u0000${start}`;
    let found = buckets.byId.get(id);
    if (!found) {
      found = {
        version: p.modelVersion,
        start,
        acc: { feat: new Float64Array(plan.featFields.length), pred: new Float64Array(plan.predFields.length), dq: new Float64Array(plan.dqFields.length) },
      };
      buckets.byId.set(id, found);
    }
    bucket = buckets.last = found;
  }
  const acc = bucket.acc;
  acc.dq[plan.dqCount]! += 1;
  const pp = plan.prediction;
  if (pp !== null) {
    if (pp.kind === 'numeric') addNumeric(acc.pred, pp, p.predictedValue);
    else addCategorical(acc.pred, pp, p.predictedClass);
  }
  return acc;
}

function deltasOf(buckets: Buckets, plan: Plan): BucketDeltas[] {
  const out: BucketDeltas[] = [];
  for (const { version, start, acc } of buckets.byId.values()) {
    out.push({ family: featFamily(version), bucketStart: start, counters: toCounters(acc.feat, plan.featFields) });
    if (plan.prediction !== null) out.push({ family: predFamily(version), bucketStart: start, counters: toCounters(acc.pred, plan.predFields) });
    out.push({ family: dqFamily(version), bucketStart: start, counters: toCounters(acc.dq, plan.dqFields) });
  }
  return out;
}

/**
 * Deltas of a batch of one model version's predictions against that version's reference
 * (the caller groups a Kafka batch by version first).
 * Features absent from an event count as missing; features not in the reference are not
 * tracked (the reference fixes the columns).
 */
export function featureDeltas(predictions: readonly Prediction[], reference: ReferenceProfile, settings: DeltaSettings): BucketDeltas[] {
  const plan = planOf(reference);
  const buckets: Buckets = { byId: new Map(), last: null };
  for (const p of predictions) {
    const { feat, dq } = countEvent(buckets, plan, p, settings.bucketMs);
    for (const f of plan.features) addFeature(feat, dq, f, p.numericFeatures[f.feature], p.categoricalFeatures[f.feature], p.booleanFeatures[f.feature]);
  }
  return deltasOf(buckets, plan);
}

/** A prediction as the drift service holds it: decoded without its features, and its bytes. */
export interface EncodedPrediction {
  event: PredictionHead;
  /** The message's value, which the codec decoded without error. */
  bytes: Buffer;
  /** Codec.predictionFeatureReader of the message. */
  reader: FeatureReader;
}

/**
 * featureDeltas of the same predictions, with the feature values read from their bytes
 * rather than from decoded feature maps: the same deltas, without four objects per event.
 */
export function featureDeltasFromBytes(predictions: readonly EncodedPrediction[], reference: ReferenceProfile, settings: DeltaSettings): BucketDeltas[] {
  const plan = planOf(reference);
  const entries = (plan.entries ??= new FeatureEntries(plan.features.map((f) => f.feature)));
  const buckets: Buckets = { byId: new Map(), last: null };
  const features = plan.features;
  for (const { event, bytes, reader } of predictions) {
    const { feat, dq } = countEvent(buckets, plan, event, settings.bucketMs);
    entries.read(bytes, reader);
    for (let i = 0; i < features.length; i++) addFeature(feat, dq, features[i]!, entries.numberOf(i), entries.stringOf(i), entries.booleanOf(i));
  }
  entries.release();
  return deltasOf(buckets, plan);
}
