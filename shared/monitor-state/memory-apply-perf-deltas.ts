// The twin of apply-perf-deltas.lua in process memory: the compare-and-set on both streams'
// recorded offsets, then perf families, bucket counters, the source watermark and the idle
// refresh, in the script's order.
import { OFFSETS_KEY } from '../store/batch-request.js';
import { modelKey } from '../store/types.js';
import { addAtBucket, finishApply, raiseSourceWatermark, readClock, refreshIdle, sweep, type MemoryScriptState } from './memory-lib-counters.js';
import { alertsKey, clockKey, eventsOutboxKey, familiesKey, validatePerfDeltas } from './requests.js';
import type { PerfDeltaBatch, PerfDeltaReply } from './types.js';

export function applyPerfDeltasInMemory(state: MemoryScriptState, batch: PerfDeltaBatch): PerfDeltaReply {
  const { windows, source, pairedField, expected } = validatePerfDeltas(batch);
  const key = (k: string): string => modelKey(batch.model, k);
  const clock = readClock(state, batch.model, 'perf');
  const offsets = state.keyspace.get(key(OFFSETS_KEY))?.fields;
  const own = offsets?.get(source.field) ?? -1;
  const paired = offsets?.get(pairedField) ?? -1;
  if (expected === null || own !== expected.own || paired !== expected.paired) {
    return { applied: false, recordedOffset: own, pairedOffset: paired, ...clock };
  }
  sweep(state);

  // Like SADD, only created when there is something to add.
  if (batch.deltas.length > 0) {
    const families = state.objects.getOrCreate<Set<string>>(key(familiesKey('perf')), () => new Set());
    for (const delta of batch.deltas) families.add(delta.family);
  }
  for (const delta of batch.deltas) {
    for (const [field, by] of Object.entries(delta.counters)) {
      addAtBucket(state, batch.model, windows, clock.end, delta.family, delta.bucketStart, field, by);
    }
  }
  raiseSourceWatermark(state, batch.model, 'perf', source, windows, batch.kind, batch.maxEventTime, batch.caughtUp ?? false);
  // A replayed batch (at or below the recorded offset) leaves the recorded offset where it is.
  const reply = { ...finishApply(state, batch.model, 'perf', { ...source, offset: Math.max(own, source.offset) }), pairedOffset: paired };
  // The twin of apply-perf-deltas.lua's idle refresh.
  refreshIdle(state, batch.model, windows.idleMs, [OFFSETS_KEY, clockKey('perf'), familiesKey('perf'), alertsKey('perf'), eventsOutboxKey('perf')]);
  return reply;
}
