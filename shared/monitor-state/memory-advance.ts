// The twin of advance.lua in process memory: moves a scope's window end, slides (or every
// `rebuildEvery` advances rebuilds) each family's window sums, and reads what the evaluation needs.
import { modelKey } from '../store/types.js';
import { addToWindow, bucketFields, refreshIdle, type MemoryScriptState } from './memory-lib-counters.js';
import { DETECTOR_FIELD, VERSION_DETECTOR_PREFIX, advanceReads, alertsKey, clockKey, familiesKey, validateAdvance, validateAdvanceEnds, windowKey } from './requests.js';
import type { NormalisedWindows } from './requests.js';
import type { AdvanceEndsRequest, AdvanceRequest, EvaluationInput } from './types.js';

export function advanceInMemory(state: MemoryScriptState, request: AdvanceRequest): EvaluationInput {
  const { keyspace, objects } = state;
  const windows = validateAdvance(request);
  const { read, closing } = advanceReads(request, windows);
  const key = (k: string): string => modelKey(request.model, k);
  const clock = keyspace.getOrCreate(key(clockKey(request.scope))).fields;
  const from = clock.get('end') ?? 0;
  const families = [...(objects.get<Set<string>>(key(familiesKey(request.scope))) ?? [])].sort(compareBytes);
  const target = request.to;
  const largest = Math.max(...windows.horizonsMs);
  let advanced = false;
  if (target > from) {
    advanced = true;
    const advances = (clock.get('advances') ?? 0) + 1;
    clock.set('advances', advances);
    const full = from === 0 || target - from >= largest || advances % windows.rebuildEvery === 0;
    for (const family of families) {
      if (full) rebuild(state, request.model, windows, family, target);
      else slide(state, request.model, windows, family, from, target);
    }
    clock.set('end', target);
    const live = [clockKey(request.scope), familiesKey(request.scope), alertsKey(request.scope)];
    for (const family of families) for (const h of windows.horizonsMs) live.push(windowKey(family, h));
    refreshIdle(state, request.model, windows.idleMs, live);
  }
  const end = advanced ? target : from;
  const result: EvaluationInput['windows'] = {};
  const closingBuckets: EvaluationInput['closing'] = {};
  for (const family of families) {
    const byHorizon: Record<number, Record<string, number>> = {};
    for (const h of read) byHorizon[h] = Object.fromEntries(keyspace.get(key(windowKey(family, h)))?.fields ?? []);
    result[family] = byHorizon;
    if (closing.some((prefix) => family.startsWith(prefix))) {
      closingBuckets[family] = Object.fromEntries(bucketFields(state, request.model, family, end - windows.bucketMs) ?? []);
    }
  }
  const alertStates: Record<string, string> = {};
  const alerts = objects.get<Map<string, string>>(key(alertsKey(request.scope))) ?? new Map<string, string>();
  for (const [field, value] of alerts) if (!field.startsWith('~')) alertStates[field] = value;
  return {
    advanced,
    from,
    end,
    windows: result,
    horizons: read,
    closing: closingBuckets,
    alertStates,
    detectorState: alerts.get(DETECTOR_FIELD) ?? null,
    detectorStates: Object.fromEntries(
      [...alerts].filter(([field]) => field.startsWith(VERSION_DETECTOR_PREFIX)).map(([field, value]) => [field.slice(VERSION_DETECTOR_PREFIX.length), value]),
    ),
  };
}

/** The twin of advance.lua called with several targets: each end in turn, as one advance each. */
export function advanceEndsInMemory(state: MemoryScriptState, request: AdvanceEndsRequest): EvaluationInput[] {
  const { ends } = validateAdvanceEnds(request);
  return ends.map(({ to, read }) =>
    advanceInMemory(state, { model: request.model, scope: request.scope, windows: request.windows, to, read, ...(request.closing !== undefined ? { closing: request.closing } : {}) }),
  );
}

/** The twin of advance.lua's rebuild: one pass over the largest window, in time order. */
function rebuild(state: MemoryScriptState, model: string, windows: NormalisedWindows, family: string, target: number): void {
  const largest = Math.max(...windows.horizonsMs);
  const sums = windows.horizonsMs.map(() => new Map<string, number>());
  for (let b = target - largest; b <= target - windows.bucketMs; b += windows.bucketMs) {
    const fields = bucketFields(state, model, family, b);
    if (fields === undefined) continue;
    windows.horizonsMs.forEach((h, i) => {
      if (b < target - h) return;
      const sum = sums[i] as Map<string, number>;
      for (const [field, value] of fields) sum.set(field, (sum.get(field) ?? 0) + value);
    });
  }
  windows.horizonsMs.forEach((h, i) => {
    const window = state.keyspace.getOrCreate(modelKey(model, windowKey(family, h)));
    window.fields.clear();
    for (const [field, value] of sums[i] as Map<string, number>) if (value !== 0) window.fields.set(field, value);
  });
}

/** The twin of advance.lua's slide: entering buckets first, then leaving ones, in time order. */
function slide(state: MemoryScriptState, model: string, windows: NormalisedWindows, family: string, from: number, target: number): void {
  const { bucketMs } = windows;
  for (const h of windows.horizonsMs) {
    for (let b = Math.max(from, target - h); b <= target - bucketMs; b += bucketMs) {
      for (const [field, value] of bucketFields(state, model, family, b) ?? []) addToWindow(state, model, family, h, field, value);
    }
    for (let b = from - h; b <= Math.min(from, target - h) - bucketMs; b += bucketMs) {
      for (const [field, value] of bucketFields(state, model, family, b) ?? []) addToWindow(state, model, family, h, field, -value);
    }
  }
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
