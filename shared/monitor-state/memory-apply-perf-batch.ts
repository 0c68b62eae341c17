// The twin of apply-perf-batch.lua in process memory: the prediction/label join, the outcome
// counters, early labels and their expiry to the expired-labels stream, in the script's order.
import { OFFSETS_KEY } from '../store/batch-request.js';
import { modelKey } from '../store/types.js';
import { joinField } from '../stats/window/counters.js';
import { regressionCounters, regressionTerms } from '../stats/window/regression-sums.js';
import { encodeRawMessage } from './framing.js';
import { addAtBucket, finishApply, raiseSourceWatermark, readClock, refreshIdle, refusal, sweep, type MemoryScriptState } from './memory-lib-counters.js';
import { appendToStream } from './memory-streams.js';
import { EARLY_KEY, EXPIRED_LABELS_KEY, alertsKey, clockKey, earlyLabelKey, eventsOutboxKey, familiesKey, pendingKey, validatePerfBatch } from './requests.js';
import { OUTCOME_CLASS_PLACEHOLDER } from './types.js';
import type { PendingPrediction, PerfApplyReply, PerfBatch, RawMessage } from './types.js';

/** A joined pending prediction keeps only this marker (the twin of `J`). */
const JOINED = Symbol('joined');
type PendingValue = PendingPrediction | typeof JOINED;

interface EarlyLabel {
  trueClass: string | null;
  trueValue: number | null;
  raw: RawMessage;
}

/** Same bound as the Lua script's ZRANGEBYSCORE LIMIT: expiry work per batch stays bounded. */
const EXPIRY_LIMIT = 1000;

const copyRaw = (raw: RawMessage): RawMessage => ({
  ...raw,
  value: Buffer.from(raw.value),
  headers: Object.fromEntries(Object.entries(raw.headers).map(([k, v]) => [k, Buffer.from(v)])),
});

export function applyPerfBatchInMemory(state: MemoryScriptState, batch: PerfBatch): PerfApplyReply {
  const { objects } = state;
  const { windows, source } = validatePerfBatch(batch);
  const counts = { joined: 0, duplicatePredictions: 0, duplicateLabels: 0, earlyLabels: 0, expiredLabels: 0, unusableLabels: 0 };
  const refused = refusal(state, batch.model, 'perf', source);
  if (refused) return { ...refused, ...counts };
  sweep(state);

  const key = (k: string): string => modelKey(batch.model, k);
  const end = readClock(state, batch.model, 'perf').end;
  const early = objects.getOrCreate<Map<string, number>>(key(EARLY_KEY), () => new Map());
  const families = new Set<string>();

  const join = (pendingKeyName: string, pending: PendingPrediction, trueClass: string | null, trueValue: number | null): boolean => {
    const outcome = pickOutcome(pending, trueClass, trueValue);
    if (outcome === undefined) return false;
    for (const [field, by] of outcome.counters) {
      addAtBucket(state, batch.model, windows, end, pending.family, pending.bucketStart, field, by);
    }
    addAtBucket(state, batch.model, windows, end, pending.coverageFamily, pending.bucketStart, 'l', 1);
    objects.set(pendingKeyName, JOINED, 'keep');
    return true;
  };

  for (const prediction of batch.predictions) {
    const ppKey = key(pendingKey(prediction.id));
    const plKey = key(earlyLabelKey(prediction.id));
    if (objects.get<PendingValue>(ppKey) !== undefined) {
      counts.duplicatePredictions += 1;
      continue;
    }
    families.add(prediction.family);
    families.add(prediction.coverageFamily);
    const stored = { ...prediction };
    objects.set(ppKey, stored, batch.labelHorizonMs);
    addAtBucket(state, batch.model, windows, end, prediction.coverageFamily, prediction.bucketStart, 'n', 1);
    const label = objects.get<EarlyLabel>(plKey);
    if (label !== undefined) {
      if (join(ppKey, stored, label.trueClass, label.trueValue)) counts.joined += 1;
      else counts.unusableLabels += 1;
      objects.delete(plKey);
      early.delete(prediction.id);
    }
  }

  for (const label of batch.labels) {
    const ppKey = key(pendingKey(label.predictionId));
    const plKey = key(earlyLabelKey(label.predictionId));
    const pending = objects.get<PendingValue>(ppKey);
    if (pending === JOINED) counts.duplicateLabels += 1;
    else if (pending !== undefined) {
      if (join(ppKey, pending, label.trueClass, label.trueValue)) counts.joined += 1;
      else counts.unusableLabels += 1;
    } else if (objects.get<EarlyLabel>(plKey) === undefined) {
      // Twice the horizon, as in the Lua script: the event-time expiry must come first.
      objects.set(plKey, { trueClass: label.trueClass, trueValue: label.trueValue, raw: copyRaw(label.raw) }, 2 * batch.labelHorizonMs);
      early.set(label.predictionId, label.eventTime);
      counts.earlyLabels += 1;
    } else counts.duplicateLabels += 1;
  }

  const registered = objects.getOrCreate<Set<string>>(key(familiesKey('perf')), () => new Set());
  for (const family of families) registered.add(family);
  const predictionWatermark = raiseSourceWatermark(state, batch.model, 'perf', source, windows, batch.labels.length > 0 ? 'pl' : 'pp', batch.maxEventTime, batch.caughtUp ?? false);

  const edge = predictionWatermark - batch.labelHorizonMs;
  const expired = [...early]
    .filter(([, score]) => score < edge)
    .sort(([a, x], [b, y]) => x - y || Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .slice(0, EXPIRY_LIMIT);
  for (const [id] of expired) {
    const plKey = key(earlyLabelKey(id));
    const label = objects.get<EarlyLabel>(plKey);
    if (label !== undefined) {
      appendToStream(objects, key(EXPIRED_LABELS_KEY), new Map([['m', encodeRawMessage(label.raw)]]));
      objects.delete(plKey);
    }
    early.delete(id);
    counts.expiredLabels += 1;
  }
  const reply = { ...finishApply(state, batch.model, 'perf', source), ...counts };
  // The twin of apply-perf-batch.lua's idle refresh.
  refreshIdle(state, batch.model, windows.idleMs, [OFFSETS_KEY, clockKey('perf'), familiesKey('perf'), EARLY_KEY, EXPIRED_LABELS_KEY, alertsKey('perf'), eventsOutboxKey('perf')]);
  return reply;
}

/** What the Lua join adds for one truth, or undefined when the truth does not fit the task. */
export function pickOutcome(
  pending: PendingPrediction,
  trueClass: string | null,
  trueValue: number | null,
): { counters: [string, number][]; error: number } | undefined {
  const outcome = pending.outcome;
  if (outcome.kind === 'classification') {
    if (trueClass === null) return undefined;
    const error = outcome.predictedClass === trueClass ? 0 : 1;
    if (Object.hasOwn(outcome.byClass, trueClass)) {
      return { counters: Object.entries(outcome.byClass[trueClass] as Record<string, number>), error };
    }
    const escaped = joinField(trueClass);
    return {
      counters: Object.entries(outcome.fallback).map(([field, by]) => [field.split(OUTCOME_CLASS_PLACEHOLDER).join(escaped), by]),
      error,
    };
  }
  if (trueValue === null) return undefined;
  const terms = regressionTerms(trueValue, outcome.predicted);
  return { counters: regressionCounters(terms), error: terms.sumAbsError };
}
