// Rules an event must meet beyond its Avro shape. Avro can say "string" but not "non-empty",
// and a prediction without a model or an output cannot be monitored, so it is refused
// (and dead-lettered) rather than counted under an empty name.
//
// Ingress events (predictions, labels, model events) also get the rules of issue 9's poison
// events, each of which once blocked a partition: event times before the epoch or beyond
// the policy's skew of the wall clock (one in 2034 froze a model's watermark), model names
// outside the one safe pattern (a brace splits Redis keys across slots), probabilities
// outside [0, 1] (the confusion matrix refuses them), and numbers beyond MAX_ABS_NUMBER
// (their squares overflow window sums). Non-finite numbers are refused before these, as
// NON_FINITE, by finite-check.ts.
//
// A probability map need not sum to 1: apps log partial maps (only the positive class, or
// the top k), and rounded softmax outputs miss 1 by a few hundredths; every statistic fed by
// it (log loss, Brier score, score bins) stays defined for any values in [0, 1], so such a
// map is a data-quality matter for its owner, not poison to refuse.
import { modelNameProblem } from '../model-name.js';
import type { EventMap } from './events.generated.js';
import type { EventType } from './schema-files.js';
import { MAX_ABS_NUMBER, type ValidationPolicy } from './validation-policy.js';

/**
 * Returns why the event is invalid, or null. `inRange` true: every number of the event is
 * known to be within ±MAX_ABS_NUMBER (the codec's scan of the bytes saw none beyond it), so
 * the magnitude rules are skipped; they would all pass.
 */
type Rule<T> = (event: T, policy: ValidationPolicy, inRange: boolean) => string | null;

const nonEmpty = (what: string, value: string): string | null =>
  value.trim().length === 0 ? `${what} is empty` : null;

const modelName = (what: string, value: string): string | null => {
  const problem = modelNameProblem(value);
  return problem === null ? null : `${what}: ${problem}`;
};

/** An event time: not before the epoch, not beyond the allowed skew ahead of the clock. */
function eventTime(what: string, time: number, policy: ValidationPolicy): string | null {
  if (time < 0) return `${what} ${time} is before 1970 (negative)`;
  const now = policy.now();
  if (time > now + policy.maxEventSkewMs) {
    return `${what} ${isoTime(time)} is more than ${policy.maxEventSkewMs} ms ahead of the clock (${isoTime(now)})`;
  }
  return null;
}

function magnitude(what: string, value: number | null): string | null {
  return value !== null && Math.abs(value) > MAX_ABS_NUMBER ? `${what} ${value} is beyond ±${MAX_ABS_NUMBER}` : null;
}

function numericMap(what: string, values: Record<string, number>): string | null {
  for (const name in values) {
    // The name is rendered only for a value out of range (once per key cost a microsecond an event).
    const value = values[name]!;
    if (Math.abs(value) > MAX_ABS_NUMBER) return magnitude(`${what} ${JSON.stringify(name)}`, value);
  }
  return null;
}

function probabilities(values: Record<string, number>): string | null {
  for (const name in values) {
    const p = values[name]!;
    if (!(p >= 0 && p <= 1)) return `classProbabilities ${JSON.stringify(name)} ${p} is outside [0, 1]`;
  }
  return null;
}

function isoTime(time: number): string {
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? String(time) : date.toISOString();
}

const RULES: { [K in EventType]: Rule<EventMap[K]> } = {
  // With inRange the prediction's feature maps are not read: the performance service's view
  // of a prediction leaves them out (Codec.decodePredictionWithoutFeatures).
  prediction: (p, policy, inRange) =>
    nonEmpty('id', p.id) ??
    modelName('model', p.model) ??
    nonEmpty('modelVersion', p.modelVersion) ??
    eventTime('eventTime', p.eventTime, policy) ??
    (p.predictedClass === null && p.predictedValue === null
      ? 'prediction has neither predictedClass nor predictedValue'
      : null) ??
    (inRange ? null : magnitude('predictedValue', p.predictedValue) ?? numericMap('numeric feature', p.numericFeatures)) ??
    probabilities(p.classProbabilities),
  label: (l, policy, inRange) =>
    nonEmpty('predictionId', l.predictionId) ??
    modelName('model', l.model) ??
    eventTime('eventTime', l.eventTime, policy) ??
    (l.trueClass === null && l.trueValue === null ? 'label has neither trueClass nor trueValue' : null) ??
    (inRange ? null : magnitude('trueValue', l.trueValue)),
  alert: (a) => nonEmpty('id', a.id) ?? nonEmpty('key', a.key) ?? nonEmpty('model', a.model),
  model: (m) => modelName('model', m.model) ?? nonEmpty('version', m.version),
  metricsSnapshot: (s) => nonEmpty('model', s.model),
  deadLetter: (d) => nonEmpty('sourceTopic', d.sourceTopic) ?? nonEmpty('reason', d.reason),
  incident: (i) =>
    nonEmpty('id', i.id) ??
    nonEmpty('model', i.model) ??
    (i.updatedAt < i.openedAt ? 'updatedAt is before openedAt' : null),
};

/** @param inRange every number of the event is known to lie within ±MAX_ABS_NUMBER (see Rule) */
export function validateEvent<K extends EventType>(type: K, event: EventMap[K], policy: ValidationPolicy, inRange = false): string | null {
  return (RULES[type] as Rule<EventMap[K]>)(event, policy, inRange);
}
