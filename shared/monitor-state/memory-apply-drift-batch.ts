// The twin of apply-drift-batch.lua in process memory: reference samples, drift families,
// bucket counters, the source watermark and the idle refresh, in the script's order.
import { OFFSETS_KEY } from '../store/batch-request.js';
import { modelKey } from '../store/types.js';
import { addAtBucket, finishApply, raiseSourceWatermark, readClock, refreshIdle, refusal, sweep, type MemoryScriptState } from './memory-lib-counters.js';
import { alertsKey, clockKey, eventsOutboxKey, familiesKey, referenceKey, referenceSampleKey, validateDriftBatch } from './requests.js';
import type { DriftApplyReply, DriftBatch } from './types.js';

export function applyDriftBatchInMemory(state: MemoryScriptState, batch: DriftBatch): DriftApplyReply {
  const { objects } = state;
  const { windows, source } = validateDriftBatch(batch);
  const key = (k: string): string => modelKey(batch.model, k);
  const samples = batch.referenceSamples ?? [];
  const sampleSizes = (): Record<string, number> =>
    Object.fromEntries(samples.map((s) => [s.version, objects.get<string[]>(key(referenceSampleKey(s.version)))?.length ?? 0]));

  const refused = refusal(state, batch.model, 'drift', source);
  if (refused) return { ...refused, sampleSizes: sampleSizes() };
  sweep(state);

  for (const sample of samples) {
    if (sample.rows.length === 0 || objects.get(key(referenceKey(sample.version))) !== undefined) continue;
    const list = objects.getOrCreate<string[]>(key(referenceSampleKey(sample.version)), () => []);
    const room = Math.min(sample.cap - list.length, sample.rows.length);
    for (let i = 0; i < room; i += 1) list.push(sample.rows[i] as string);
  }
  const families = objects.getOrCreate<Set<string>>(key(familiesKey('drift')), () => new Set());
  for (const delta of batch.deltas) families.add(delta.family);

  const end = readClock(state, batch.model, 'drift').end;
  for (const delta of batch.deltas) {
    for (const [field, by] of Object.entries(delta.counters)) {
      addAtBucket(state, batch.model, windows, end, delta.family, delta.bucketStart, field, by);
    }
  }
  raiseSourceWatermark(state, batch.model, 'drift', source, windows, 'pp', batch.maxEventTime, batch.caughtUp ?? false);
  const reply = { ...finishApply(state, batch.model, 'drift', source), sampleSizes: sampleSizes() };
  // The twin of apply-drift-batch.lua's idle refresh.
  const live = [OFFSETS_KEY, clockKey('drift'), familiesKey('drift'), alertsKey('drift'), eventsOutboxKey('drift')];
  for (const sample of samples) live.push(referenceKey(sample.version), referenceSampleKey(sample.version));
  for (const family of new Set(batch.deltas.map((d) => d.family))) {
    if (family.startsWith('feat:')) live.push(referenceKey(family.slice('feat:'.length)));
  }
  refreshIdle(state, batch.model, windows.idleMs, live);
  return reply;
}
