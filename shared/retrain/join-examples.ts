// Joins predictions with their labels the way the performance service's Redis join of
// earlier releases did (apply-perf-batch.lua, since replaced by the in-memory join of
// shared/join, whose rules also drop late events), but over events read back from the log. Pure: the
// result depends only on each topic's per-partition offset order, never on how the two
// topics' reads interleaved, because every event of one prediction id lives in one
// partition (both topics are keyed by prediction id and co-partitioned).
//
// Rules, mirroring the performance service:
// - only events of `model` count;
// - the first prediction of an id (by offset) is the prediction; later ones are duplicates
//   (the Lua script's `SET pp:<id> NX`);
// - a label without a trueClass cannot train a classifier and is skipped without using up
//   the id (the script counts it as unusable and keeps the prediction pending);
// - the first usable label of an id (by offset) decides; later ones are duplicates;
// - it joins when the prediction's event time lies in [labelTime − H, labelTime + H], H the
//   label horizon. The lower bound is the pending prediction's lifetime (`pp:` expires H
//   after it was stored); the upper bound is how long an early label waits for its
//   prediction (it expires once the prediction watermark passes labelTime + H). A first
//   label outside that range joins nothing, and the prediction stays unlabelled, as in Redis
//   where the late label took the id's early-label slot.
import type { Label, Prediction } from '../codec/events.generated.js';
import { featureRow, type FeatureRow } from './feature-row.js';

export interface JoinedExample {
  /** Prediction id. */
  id: string;
  /** The prediction's event time (ms): what the time-ordered split sorts by. */
  time: number;
  model: string;
  modelVersion: string;
  features: FeatureRow;
  predictedClass: string | null;
  probabilities: Record<string, number>;
  /** The label's trueClass. */
  label: string;
  labelTime: number;
}

export interface JoinCounts {
  /** Predictions of the model, duplicates included. */
  predictions: number;
  duplicatePredictions: number;
  /** Labels of the model, duplicates and unusable ones included. */
  labels: number;
  joined: number;
  /** First labels whose prediction is not among the predictions given. */
  unmatchedLabels: number;
  /** Labels after the first usable one of their id. */
  duplicateLabels: number;
  /** First labels whose prediction lies outside the label horizon. */
  outsideHorizon: number;
  /** Labels without a trueClass. */
  unusableLabels: number;
}

export interface JoinOptions {
  model: string;
  labelHorizonMs: number;
}

export interface JoinResult {
  /** Sorted by prediction event time, then id. */
  examples: JoinedExample[];
  counts: JoinCounts;
}

/**
 * @param predictions in offset order within each partition (partitions may interleave)
 * @param labels in offset order within each partition (partitions may interleave)
 */
export function joinExamples(predictions: Iterable<Prediction>, labels: Iterable<Label>, options: JoinOptions): JoinResult {
  const { model, labelHorizonMs } = options;
  if (!(labelHorizonMs >= 0)) throw new RangeError(`labelHorizonMs must be ≥ 0, got ${labelHorizonMs}`);
  const counts: JoinCounts = {
    predictions: 0,
    duplicatePredictions: 0,
    labels: 0,
    joined: 0,
    unmatchedLabels: 0,
    duplicateLabels: 0,
    outsideHorizon: 0,
    unusableLabels: 0,
  };

  const byId = new Map<string, Prediction>();
  for (const prediction of predictions) {
    if (prediction.model !== model) continue;
    counts.predictions++;
    if (byId.has(prediction.id)) counts.duplicatePredictions++;
    else byId.set(prediction.id, prediction);
  }

  const firstLabel = new Map<string, Label & { trueClass: string }>();
  for (const label of labels) {
    if (label.model !== model) continue;
    counts.labels++;
    if (label.trueClass === null) counts.unusableLabels++;
    else if (firstLabel.has(label.predictionId)) counts.duplicateLabels++;
    else firstLabel.set(label.predictionId, label as Label & { trueClass: string });
  }

  const examples: JoinedExample[] = [];
  for (const [id, label] of firstLabel) {
    const prediction = byId.get(id);
    if (prediction === undefined) {
      counts.unmatchedLabels++;
      continue;
    }
    if (Math.abs(prediction.eventTime - label.eventTime) > labelHorizonMs) {
      counts.outsideHorizon++;
      continue;
    }
    counts.joined++;
    examples.push({
      id,
      time: prediction.eventTime,
      model,
      modelVersion: prediction.modelVersion,
      features: featureRow(prediction),
      predictedClass: prediction.predictedClass,
      probabilities: { ...prediction.classProbabilities },
      label: label.trueClass,
      labelTime: label.eventTime,
    });
  }
  examples.sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { examples, counts };
}
