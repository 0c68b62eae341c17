// The twin of lib-counters.lua (counter hashes, window sums, the per-source watermark) and
// lib-offsets.lua (offset idempotence), shared by the in-memory script twins beside their
// scripts (memory-apply-*.ts, memory-advance.ts, memory-commit-evaluation.ts). Counter hashes
// live in the MemoryKeyspace shared with MemoryStore; everything else in its MemoryObjects.
import type { MemoryKeyspace } from '../store/memory-store.js';
import { OFFSETS_KEY, isRefused } from '../store/batch-request.js';
import { modelKey } from '../store/types.js';
import type { MemoryObjects } from './memory-objects.js';
import { bucketKey, clockKey, windowKey } from './requests.js';
import type { NormalisedSource, NormalisedWindows } from './requests.js';
import type { ApplyReply, Scope } from './types.js';

/** What every script twin works on: the twin of one Redis database. */
export interface MemoryScriptState {
  keyspace: MemoryKeyspace;
  objects: MemoryObjects;
}

/** A source this far (event time) behind the most advanced one is idle: see lib-counters.lua. */
const PARTITION_IDLE_MS = 600_000;
/** How long (wall clock) a source partition that never delivered holds the watermark. */
const MISSING_SOURCE_WAIT_MS = 60_000;

/** PEXPIRE of the model's keys (relative names), wherever the twin keeps them. */
export function refreshIdle(state: MemoryScriptState, model: string, idleMs: number, keys: string[]): void {
  if (idleMs <= 0) return;
  for (const name of keys) {
    const full = modelKey(model, name);
    const hash = state.keyspace.get(full);
    if (hash !== undefined) hash.expiresAt = state.keyspace.now() + idleMs;
    else state.objects.expire(full, idleMs);
  }
}

export function sweep(state: MemoryScriptState): void {
  state.keyspace.sweepIfDue();
  state.objects.sweepIfDue();
}

export function readClock(state: MemoryScriptState, model: string, scope: Scope): { watermark: number; end: number; evaluated: number } {
  const fields = state.keyspace.get(modelKey(model, clockKey(scope)))?.fields;
  return { watermark: fields?.get('watermark') ?? 0, end: fields?.get('end') ?? 0, evaluated: fields?.get('evaluated') ?? 0 };
}

/** The twin of lib-offsets.lua's refused_offset: the reply of a refused batch, or undefined. */
export function refusal(state: MemoryScriptState, model: string, scope: Scope, source: NormalisedSource): ApplyReply | undefined {
  const recorded = state.keyspace.get(modelKey(model, OFFSETS_KEY))?.fields.get(source.field);
  if (recorded === undefined || !isRefused(source, recorded)) return undefined;
  return { applied: false, recordedOffset: recorded, ...readClock(state, model, scope) };
}

/** The twin of lib-offsets.lua's record_offset, then the apply scripts' common reply. */
export function finishApply(state: MemoryScriptState, model: string, scope: Scope, source: NormalisedSource): ApplyReply {
  state.keyspace.getOrCreate(modelKey(model, OFFSETS_KEY)).fields.set(source.field, source.offset);
  return { applied: true, recordedOffset: source.offset, ...readClock(state, model, scope) };
}

function raiseWatermark(state: MemoryScriptState, model: string, scope: Scope, eventTime: number): number {
  const clock = state.keyspace.getOrCreate(modelKey(model, clockKey(scope))).fields;
  const watermark = Math.max(clock.get('watermark') ?? 0, eventTime);
  if (watermark === eventTime) clock.set('watermark', watermark);
  return watermark;
}

/**
 * The twin of lib-counters.lua's raise_source_watermark: the scope's watermark becomes the
 * slowest non-idle source (topic-partition).
 */
export function raiseSourceWatermark(
  state: MemoryScriptState,
  model: string,
  scope: Scope,
  source: NormalisedSource,
  windows: NormalisedWindows,
  kind: 'pp' | 'pl',
  eventTime: number,
  caughtUp: boolean,
): void {
  const clock = state.keyspace.getOrCreate(modelKey(model, clockKey(scope))).fields;
  const field = `${kind}|${source.field.split('|').slice(-2).join('|')}`;
  clock.set(field, Math.max(clock.get(field) ?? 0, eventTime));
  clock.set(`c${field}`, caughtUp ? 1 : 0);
  const now = state.keyspace.now();
  if (!clock.has('since')) clock.set('since', now);
  const since = clock.get('since') as number;
  const needsLabels = scope === 'perf';
  const sources = [...clock].filter(([k]) => k.startsWith('pp|') || k.startsWith('pl|'));
  const count = (prefix: string) => sources.filter(([k]) => k.startsWith(prefix)).length;
  const most = Math.max(0, ...sources.map(([, v]) => v));
  const missing = count('pp|') < windows.sourcePartitions || (needsLabels && count('pl|') < windows.sourcePartitions);
  if (missing && now - since <= MISSING_SOURCE_WAIT_MS) return;
  // Only a partition read to its end can be idle; one still behind is lagging, and waited for.
  const live = sources.filter(([k, v]) => v >= most - PARTITION_IDLE_MS || clock.get(`c${k}`) !== 1);
  const slowest = needsLabels && count('pl|') === 0 ? 0 : Math.min(...live.map(([, v]) => v));
  raiseWatermark(state, model, scope, slowest);
}

/** The twin of lib-counters.lua's add_at_bucket followed by its flush. */
export function addAtBucket(
  state: MemoryScriptState,
  model: string,
  windows: NormalisedWindows,
  end: number,
  family: string,
  bucketStart: number,
  field: string,
  by: number,
): void {
  const bucket = state.keyspace.getOrCreate(modelKey(model, bucketKey(family, bucketStart)));
  bucket.fields.set(field, (bucket.fields.get(field) ?? 0) + by);
  bucket.expiresAt = state.keyspace.now() + windows.retentionMs;
  for (const h of windows.horizonsMs) {
    if (end - h <= bucketStart && bucketStart < end) addToWindow(state, model, family, h, field, by, windows.idleMs);
  }
}

/** `idleMs` > 0: a field left non-zero refreshes the key's expiry (lib-counters.lua's flush). */
export function addToWindow(state: MemoryScriptState, model: string, family: string, horizon: number, field: string, by: number, idleMs = 0): void {
  const window = state.keyspace.getOrCreate(modelKey(model, windowKey(family, horizon)));
  const sum = (window.fields.get(field) ?? 0) + by;
  if (sum === 0) window.fields.delete(field);
  else {
    window.fields.set(field, sum);
    if (idleMs > 0) window.expiresAt = state.keyspace.now() + idleMs;
  }
}

export function bucketFields(state: MemoryScriptState, model: string, family: string, bucketStart: number): Map<string, number> | undefined {
  return state.keyspace.get(modelKey(model, bucketKey(family, bucketStart)))?.fields;
}
