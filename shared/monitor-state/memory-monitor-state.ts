// MonitorState in process memory for embedded mode: the twin of RedisMonitorState, step for
// step in the order of its Lua scripts, so sums agree bit for bit and both pass
// test/contract/monitor-state.contract.ts. Counter hashes (offsets, buckets, windows,
// clocks) live in a MemoryKeyspace shared with MemoryStore; everything else in the
// keyspace's MemoryObjects. Each method runs synchronously after its checks, so no other
// caller interleaves, as with a Lua script.
import { MemoryKeyspace } from '../store/memory-store.js';
import { OFFSETS_KEY, assertModelName, isRefused } from '../store/batch-request.js';
import { InvalidBatchError } from '../store/errors.js';
import { modelKey } from '../store/types.js';
import { joinField } from '../stats/window/counters.js';
import { MAPE_EPS } from '../stats/window/regression-sums.js';
import { decodeOutboxEntry, decodeRawMessage, encodeOutboxEntry, encodeRawMessage } from './framing.js';
import { MemoryObjects } from './memory-objects.js';
import type { StreamEntry } from './memory-objects.js';
import { assertStreamId, commitIdleMs, referenceIdleMs } from './redis-monitor-state.js';
import {
  DETECTOR_FIELD,
  VERSION_DETECTOR_PREFIX,
  versionDetectorField,
  EARLY_KEY,
  eventsOutboxKey,
  EXPIRED_LABELS_KEY,
  alertsKey,
  assertBucketStart,
  bucketKey,
  clockKey,
  earlyLabelKey,
  familiesKey,
  pendingKey,
  referenceKey,
  referenceSampleKey,
  advanceReads,
  validateAdvance,
  validateDriftBatch,
  validatePerfBatch,
  windowKey,
} from './requests.js';
import type { NormalisedSource, NormalisedWindows } from './requests.js';
import { OUTCOME_CLASS_PLACEHOLDER } from './types.js';
import type {
  AdvanceRequest,
  ApplyReply,
  DriftApplyReply,
  DriftBatch,
  EvaluationCommit,
  EvaluationInput,
  MonitorState,
  OutboxEntry,
  PendingPrediction,
  PerfApplyReply,
  PerfBatch,
  RawMessage,
  Scope,
  Stored,
} from './types.js';

/** A joined pending prediction keeps only this marker (the twin of `J`). */
const JOINED = Symbol('joined');
type PendingValue = PendingPrediction | typeof JOINED;

interface EarlyLabel {
  trueClass: string | null;
  trueValue: number | null;
  raw: RawMessage;
}

interface MemoryStream {
  entries: StreamEntry[];
  lastMs: number;
  lastSeq: number;
}

/** Same bound as the Lua script's ZRANGEBYSCORE LIMIT: expiry work per batch stays bounded. */
const EXPIRY_LIMIT = 1000;

const copyRaw = (raw: RawMessage): RawMessage => ({
  ...raw,
  value: Buffer.from(raw.value),
  headers: Object.fromEntries(Object.entries(raw.headers).map(([k, v]) => [k, Buffer.from(v)])),
});

/** A source this far (event time) behind the most advanced one is idle: see lib-counters.lua. */
const PARTITION_IDLE_MS = 600_000;
/** How long (wall clock) a source partition that never delivered holds the watermark. */
const MISSING_SOURCE_WAIT_MS = 60_000;

export class MemoryMonitorState implements MonitorState {
  private readonly objects: MemoryObjects;
  private closed = false;

  constructor(readonly keyspace: MemoryKeyspace = new MemoryKeyspace()) {
    this.objects = MemoryObjects.of(keyspace);
  }

  async applyDriftBatch(batch: DriftBatch): Promise<DriftApplyReply> {
    this.assertOpen();
    const { windows, source } = validateDriftBatch(batch);
    const key = (k: string): string => modelKey(batch.model, k);
    const samples = batch.referenceSamples ?? [];
    const sampleSizes = (): Record<string, number> =>
      Object.fromEntries(samples.map((s) => [s.version, this.objects.get<string[]>(key(referenceSampleKey(s.version)))?.length ?? 0]));

    const refused = this.refusal(batch.model, 'drift', source);
    if (refused) return { ...refused, sampleSizes: sampleSizes() };
    this.sweep();

    for (const sample of samples) {
      if (sample.rows.length === 0 || this.objects.get(key(referenceKey(sample.version))) !== undefined) continue;
      const list = this.objects.getOrCreate<string[]>(key(referenceSampleKey(sample.version)), () => []);
      const room = Math.min(sample.cap - list.length, sample.rows.length);
      for (let i = 0; i < room; i += 1) list.push(sample.rows[i] as string);
    }
    const families = this.objects.getOrCreate<Set<string>>(key(familiesKey('drift')), () => new Set());
    for (const delta of batch.deltas) families.add(delta.family);

    const end = this.clock(batch.model, 'drift').end;
    for (const delta of batch.deltas) {
      for (const [field, by] of Object.entries(delta.counters)) {
        this.addAtBucket(batch.model, windows, end, delta.family, delta.bucketStart, field, by);
      }
    }
    this.raiseSourceWatermark(batch.model, 'drift', source, windows, 'pp', batch.maxEventTime, batch.caughtUp ?? false);
    const reply = { ...this.finishApply(batch.model, 'drift', source), sampleSizes: sampleSizes() };
    // The twin of apply-drift-batch.lua's idle refresh.
    const live = [OFFSETS_KEY, clockKey('drift'), familiesKey('drift'), alertsKey('drift'), eventsOutboxKey('drift')];
    for (const sample of samples) live.push(referenceKey(sample.version), referenceSampleKey(sample.version));
    for (const family of new Set(batch.deltas.map((d) => d.family))) {
      if (family.startsWith('feat:')) live.push(referenceKey(family.slice('feat:'.length)));
    }
    this.refreshIdle(batch.model, windows.idleMs, live);
    return reply;
  }

  async applyPerfBatch(batch: PerfBatch): Promise<PerfApplyReply> {
    this.assertOpen();
    const { windows, source } = validatePerfBatch(batch);
    const counts = { joined: 0, duplicatePredictions: 0, duplicateLabels: 0, earlyLabels: 0, expiredLabels: 0, unusableLabels: 0 };
    const refused = this.refusal(batch.model, 'perf', source);
    if (refused) return { ...refused, ...counts };
    this.sweep();

    const key = (k: string): string => modelKey(batch.model, k);
    const end = this.clock(batch.model, 'perf').end;
    const early = this.objects.getOrCreate<Map<string, number>>(key(EARLY_KEY), () => new Map());
    const families = new Set<string>();

    const join = (pendingKeyName: string, pending: PendingPrediction, trueClass: string | null, trueValue: number | null): boolean => {
      const outcome = pickOutcome(pending, trueClass, trueValue);
      if (outcome === undefined) return false;
      for (const [field, by] of outcome.counters) {
        this.addAtBucket(batch.model, windows, end, pending.family, pending.bucketStart, field, by);
      }
      this.addAtBucket(batch.model, windows, end, pending.coverageFamily, pending.bucketStart, 'l', 1);
      this.objects.set(pendingKeyName, JOINED, 'keep');
      return true;
    };

    for (const prediction of batch.predictions) {
      const ppKey = key(pendingKey(prediction.id));
      const plKey = key(earlyLabelKey(prediction.id));
      if (this.objects.get<PendingValue>(ppKey) !== undefined) {
        counts.duplicatePredictions += 1;
        continue;
      }
      families.add(prediction.family);
      families.add(prediction.coverageFamily);
      const stored = { ...prediction };
      this.objects.set(ppKey, stored, batch.labelHorizonMs);
      this.addAtBucket(batch.model, windows, end, prediction.coverageFamily, prediction.bucketStart, 'n', 1);
      const label = this.objects.get<EarlyLabel>(plKey);
      if (label !== undefined) {
        if (join(ppKey, stored, label.trueClass, label.trueValue)) counts.joined += 1;
        else counts.unusableLabels += 1;
        this.objects.delete(plKey);
        early.delete(prediction.id);
      }
    }

    for (const label of batch.labels) {
      const ppKey = key(pendingKey(label.predictionId));
      const plKey = key(earlyLabelKey(label.predictionId));
      const pending = this.objects.get<PendingValue>(ppKey);
      if (pending === JOINED) counts.duplicateLabels += 1;
      else if (pending !== undefined) {
        if (join(ppKey, pending, label.trueClass, label.trueValue)) counts.joined += 1;
        else counts.unusableLabels += 1;
      } else if (this.objects.get<EarlyLabel>(plKey) === undefined) {
        // Twice the horizon, as in the Lua script: the event-time expiry must come first.
        this.objects.set(plKey, { trueClass: label.trueClass, trueValue: label.trueValue, raw: copyRaw(label.raw) }, 2 * batch.labelHorizonMs);
        early.set(label.predictionId, label.eventTime);
        counts.earlyLabels += 1;
      } else counts.duplicateLabels += 1;
    }

    const registered = this.objects.getOrCreate<Set<string>>(key(familiesKey('perf')), () => new Set());
    for (const family of families) registered.add(family);
    const predictionWatermark = this.raiseSourceWatermark(batch.model, 'perf', source, windows, batch.labels.length > 0 ? 'pl' : 'pp', batch.maxEventTime, batch.caughtUp ?? false);

    const edge = predictionWatermark - batch.labelHorizonMs;
    const expired = [...early]
      .filter(([, score]) => score < edge)
      .sort(([a, x], [b, y]) => x - y || Buffer.compare(Buffer.from(a), Buffer.from(b)))
      .slice(0, EXPIRY_LIMIT);
    for (const [id] of expired) {
      const plKey = key(earlyLabelKey(id));
      const label = this.objects.get<EarlyLabel>(plKey);
      if (label !== undefined) {
        this.appendToStream(key(EXPIRED_LABELS_KEY), new Map([['m', encodeRawMessage(label.raw)]]));
        this.objects.delete(plKey);
      }
      early.delete(id);
      counts.expiredLabels += 1;
    }
    const reply = { ...this.finishApply(batch.model, 'perf', source), ...counts };
    // The twin of apply-perf-batch.lua's idle refresh.
    this.refreshIdle(batch.model, windows.idleMs, [OFFSETS_KEY, clockKey('perf'), familiesKey('perf'), EARLY_KEY, EXPIRED_LABELS_KEY, alertsKey('perf'), eventsOutboxKey('perf')]);
    return reply;
  }

  async advance(request: AdvanceRequest): Promise<EvaluationInput> {
    this.assertOpen();
    const windows = validateAdvance(request);
    const { read, closing } = advanceReads(request, windows);
    const key = (k: string): string => modelKey(request.model, k);
    const clock = this.keyspace.getOrCreate(key(clockKey(request.scope))).fields;
    const from = clock.get('end') ?? 0;
    const families = [...(this.objects.get<Set<string>>(key(familiesKey(request.scope))) ?? [])].sort(compareBytes);
    const target = request.to;
    const largest = Math.max(...windows.horizonsMs);
    let advanced = false;
    if (target > from) {
      advanced = true;
      const advances = (clock.get('advances') ?? 0) + 1;
      clock.set('advances', advances);
      const full = from === 0 || target - from >= largest || advances % windows.rebuildEvery === 0;
      for (const family of families) {
        if (full) this.rebuild(request.model, windows, family, target);
        else this.slide(request.model, windows, family, from, target);
      }
      clock.set('end', target);
      const live = [clockKey(request.scope), familiesKey(request.scope), alertsKey(request.scope)];
      for (const family of families) for (const h of windows.horizonsMs) live.push(windowKey(family, h));
      this.refreshIdle(request.model, windows.idleMs, live);
    }
    const end = advanced ? target : from;
    const result: EvaluationInput['windows'] = {};
    const closingBuckets: EvaluationInput['closing'] = {};
    for (const family of families) {
      const byHorizon: Record<number, Record<string, number>> = {};
      for (const h of read) byHorizon[h] = Object.fromEntries(this.keyspace.get(key(windowKey(family, h)))?.fields ?? []);
      result[family] = byHorizon;
      if (closing.some((prefix) => family.startsWith(prefix))) {
        closingBuckets[family] = Object.fromEntries(this.bucketFields(request.model, family, end - windows.bucketMs) ?? []);
      }
    }
    const alertStates: Record<string, string> = {};
    const alerts = this.objects.get<Map<string, string>>(key(alertsKey(request.scope))) ?? new Map<string, string>();
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

  async commitEvaluation(commit: EvaluationCommit): Promise<{ committed: boolean }> {
    this.assertOpen();
    assertModelName(commit.model);
    if (!Number.isSafeInteger(commit.end) || commit.end <= 0) throw new InvalidBatchError(`commit end must be a positive integer, got ${commit.end}`);
    for (const field of Object.keys(commit.alertStates)) {
      if (field.startsWith('~')) throw new InvalidBatchError(`alert key ${field} may not start with "~" (reserved)`);
    }
    const idleMs = commitIdleMs(commit);
    const key = (k: string): string => modelKey(commit.model, k);
    const clock = this.keyspace.getOrCreate(key(clockKey(commit.scope))).fields;
    if (commit.end <= (clock.get('evaluated') ?? 0)) return { committed: false };
    const alerts = this.objects.getOrCreate<Map<string, string>>(key(alertsKey(commit.scope)), () => new Map());
    for (const [field, state] of Object.entries(commit.alertStates)) alerts.set(field, state);
    if (commit.detectorState !== undefined) alerts.set(DETECTOR_FIELD, commit.detectorState);
    for (const [version, state] of Object.entries(commit.detectorStates ?? {})) alerts.set(versionDetectorField(version), state);
    for (const entry of commit.outbox) this.appendToStream(key(eventsOutboxKey(commit.scope)), new Map([['m', encodeOutboxEntry(entry)]]));
    clock.set('evaluated', commit.end);
    this.refreshIdle(commit.model, idleMs, [clockKey(commit.scope), alertsKey(commit.scope), eventsOutboxKey(commit.scope)]);
    return { committed: true };
  }

  async readOutbox(model: string, scope: Scope, max: number): Promise<Stored<OutboxEntry>[]> {
    return this.readStream(model, eventsOutboxKey(scope), max).map(({ id, value }) => ({ ...decodeOutboxEntry(value), id }));
  }

  async ackOutbox(model: string, scope: Scope, ids: string[]): Promise<void> {
    this.deleteFromStream(model, eventsOutboxKey(scope), ids);
  }

  async readExpiredLabels(model: string, max: number): Promise<Stored<RawMessage>[]> {
    return this.readStream(model, EXPIRED_LABELS_KEY, max).map(({ id, value }) => ({ ...decodeRawMessage(value), id }));
  }

  async ackExpiredLabels(model: string, ids: string[]): Promise<void> {
    this.deleteFromStream(model, EXPIRED_LABELS_KEY, ids);
  }

  async getReference(model: string, version: string): Promise<string | null> {
    this.assertOpen();
    assertModelName(model);
    return this.objects.get<string>(modelKey(model, referenceKey(version))) ?? null;
  }

  async setReference(model: string, version: string, json: string, options: { onlyIfAbsent?: boolean; idleMs?: number } = {}): Promise<boolean> {
    this.assertOpen();
    assertModelName(model);
    const ref = modelKey(model, referenceKey(version));
    const idleMs = referenceIdleMs(options.idleMs);
    const stored = !(options.onlyIfAbsent && this.objects.get<string>(ref) !== undefined);
    if (stored) this.objects.set(ref, json, idleMs > 0 ? idleMs : undefined);
    this.objects.delete(modelKey(model, referenceSampleKey(version)));
    return stored;
  }

  async readReferenceSample(model: string, version: string): Promise<string[]> {
    this.assertOpen();
    assertModelName(model);
    return [...(this.objects.get<string[]>(modelKey(model, referenceSampleKey(version))) ?? [])];
  }

  async readBuckets(model: string, family: string, start: number, end: number, bucketMs: number): Promise<Record<string, number>> {
    this.assertOpen();
    assertModelName(model);
    assertBucketStart(start, bucketMs, 'readBuckets start');
    const sum: Record<string, number> = {};
    for (let b = start; b < end; b += bucketMs) {
      for (const [field, value] of this.keyspace.get(modelKey(model, bucketKey(family, b)))?.fields ?? []) sum[field] = (sum[field] ?? 0) + value;
    }
    return sum;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('MemoryMonitorState is closed');
  }

  /** PEXPIRE of the model's keys (relative names), wherever the twin keeps them. */
  private refreshIdle(model: string, idleMs: number, keys: string[]): void {
    if (idleMs <= 0) return;
    for (const name of keys) {
      const full = modelKey(model, name);
      const hash = this.keyspace.get(full);
      if (hash !== undefined) hash.expiresAt = this.keyspace.now() + idleMs;
      else this.objects.expire(full, idleMs);
    }
  }

  private sweep(): void {
    this.keyspace.sweepIfDue();
    this.objects.sweepIfDue();
  }

  private clock(model: string, scope: Scope): { watermark: number; end: number; evaluated: number } {
    const fields = this.keyspace.get(modelKey(model, clockKey(scope)))?.fields;
    return { watermark: fields?.get('watermark') ?? 0, end: fields?.get('end') ?? 0, evaluated: fields?.get('evaluated') ?? 0 };
  }

  private refusal(model: string, scope: Scope, source: NormalisedSource): ApplyReply | undefined {
    const recorded = this.keyspace.get(modelKey(model, OFFSETS_KEY))?.fields.get(source.field);
    if (recorded === undefined || !isRefused(source, recorded)) return undefined;
    return { applied: false, recordedOffset: recorded, ...this.clock(model, scope) };
  }

  private raiseWatermark(model: string, scope: Scope, eventTime: number): number {
    const clock = this.keyspace.getOrCreate(modelKey(model, clockKey(scope))).fields;
    const watermark = Math.max(clock.get('watermark') ?? 0, eventTime);
    if (watermark === eventTime) clock.set('watermark', watermark);
    return watermark;
  }

  /**
   * The twin of lib-counters.lua's raise_source_watermark: the scope's watermark becomes the
   * slowest non-idle source (topic-partition); returns the slowest prediction source's.
   */
  private raiseSourceWatermark(model: string, scope: Scope, source: NormalisedSource, windows: NormalisedWindows, kind: 'pp' | 'pl', eventTime: number, caughtUp: boolean): number {
    const clock = this.keyspace.getOrCreate(modelKey(model, clockKey(scope))).fields;
    const field = `${kind}|${source.field.split('|').slice(-2).join('|')}`;
    clock.set(field, Math.max(clock.get(field) ?? 0, eventTime));
    clock.set(`c${field}`, caughtUp ? 1 : 0);
    const now = this.keyspace.now();
    if (!clock.has('since')) clock.set('since', now);
    const since = clock.get('since') as number;
    const needsLabels = scope === 'perf';
    const sources = [...clock].filter(([k]) => k.startsWith('pp|') || k.startsWith('pl|'));
    const count = (prefix: string) => sources.filter(([k]) => k.startsWith(prefix)).length;
    const most = Math.max(0, ...sources.map(([, v]) => v));
    const missing = count('pp|') < windows.sourcePartitions || (needsLabels && count('pl|') < windows.sourcePartitions);
    if (missing && now - since <= MISSING_SOURCE_WAIT_MS) return 0;
    // Only a partition read to its end can be idle; one still behind is lagging, and waited for.
    const live = sources.filter(([k, v]) => v >= most - PARTITION_IDLE_MS || clock.get(`c${k}`) !== 1);
    const predictions = live.filter(([k]) => k.startsWith('pp|'));
    const slowest = needsLabels && count('pl|') === 0 ? 0 : Math.min(...live.map(([, v]) => v));
    this.raiseWatermark(model, scope, slowest);
    return predictions.length > 0 ? Math.min(...predictions.map(([, v]) => v)) : 0;
  }

  private finishApply(model: string, scope: Scope, source: NormalisedSource): ApplyReply {
    this.keyspace.getOrCreate(modelKey(model, OFFSETS_KEY)).fields.set(source.field, source.offset);
    return { applied: true, recordedOffset: source.offset, ...this.clock(model, scope) };
  }

  /** The twin of lib-counters.lua's add_at_bucket followed by its flush. */
  private addAtBucket(model: string, windows: NormalisedWindows, end: number, family: string, bucketStart: number, field: string, by: number): void {
    const bucket = this.keyspace.getOrCreate(modelKey(model, bucketKey(family, bucketStart)));
    bucket.fields.set(field, (bucket.fields.get(field) ?? 0) + by);
    bucket.expiresAt = this.keyspace.now() + windows.retentionMs;
    for (const h of windows.horizonsMs) {
      if (end - h <= bucketStart && bucketStart < end) this.addToWindow(model, family, h, field, by, windows.idleMs);
    }
  }

  /** `idleMs` > 0: a field left non-zero refreshes the key's expiry (lib-counters.lua's flush). */
  private addToWindow(model: string, family: string, horizon: number, field: string, by: number, idleMs = 0): void {
    const window = this.keyspace.getOrCreate(modelKey(model, windowKey(family, horizon)));
    const sum = (window.fields.get(field) ?? 0) + by;
    if (sum === 0) window.fields.delete(field);
    else {
      window.fields.set(field, sum);
      if (idleMs > 0) window.expiresAt = this.keyspace.now() + idleMs;
    }
  }

  private bucketFields(model: string, family: string, bucketStart: number): Map<string, number> | undefined {
    return this.keyspace.get(modelKey(model, bucketKey(family, bucketStart)))?.fields;
  }

  /** The twin of advance.lua's rebuild: one pass over the largest window, in time order. */
  private rebuild(model: string, windows: NormalisedWindows, family: string, target: number): void {
    const largest = Math.max(...windows.horizonsMs);
    const sums = windows.horizonsMs.map(() => new Map<string, number>());
    for (let b = target - largest; b <= target - windows.bucketMs; b += windows.bucketMs) {
      const fields = this.bucketFields(model, family, b);
      if (fields === undefined) continue;
      windows.horizonsMs.forEach((h, i) => {
        if (b < target - h) return;
        const sum = sums[i] as Map<string, number>;
        for (const [field, value] of fields) sum.set(field, (sum.get(field) ?? 0) + value);
      });
    }
    windows.horizonsMs.forEach((h, i) => {
      const window = this.keyspace.getOrCreate(modelKey(model, windowKey(family, h)));
      window.fields.clear();
      for (const [field, value] of sums[i] as Map<string, number>) if (value !== 0) window.fields.set(field, value);
    });
  }

  /** The twin of advance.lua's slide: entering buckets first, then leaving ones, in time order. */
  private slide(model: string, windows: NormalisedWindows, family: string, from: number, target: number): void {
    const { bucketMs } = windows;
    for (const h of windows.horizonsMs) {
      for (let b = Math.max(from, target - h); b <= target - bucketMs; b += bucketMs) {
        for (const [field, value] of this.bucketFields(model, family, b) ?? []) this.addToWindow(model, family, h, field, value);
      }
      for (let b = from - h; b <= Math.min(from, target - h) - bucketMs; b += bucketMs) {
        for (const [field, value] of this.bucketFields(model, family, b) ?? []) this.addToWindow(model, family, h, field, -value);
      }
    }
  }

  /** XADD with an auto id: <ms>-<seq>, never going back even if the clock does. */
  private appendToStream(key: string, fields: Map<string, Buffer>): MemoryStream {
    const stream = this.objects.getOrCreate<MemoryStream>(key, () => ({ entries: [], lastMs: 0, lastSeq: 0 }));
    const now = Math.floor(this.objects.now());
    if (now > stream.lastMs) {
      stream.lastMs = now;
      stream.lastSeq = 0;
    } else stream.lastSeq += 1;
    stream.entries.push({ id: `${stream.lastMs}-${stream.lastSeq}`, fields });
    return stream;
  }

  private readStream(model: string, key: string, max: number): { id: string; value: Buffer }[] {
    this.assertOpen();
    assertModelName(model);
    if (!Number.isSafeInteger(max) || max <= 0) return [];
    const entries = this.objects.get<MemoryStream>(modelKey(model, key))?.entries ?? [];
    return entries.slice(0, max).map((entry) => ({ id: entry.id, value: Buffer.from(entry.fields.get('m') ?? Buffer.alloc(0)) }));
  }

  private deleteFromStream(model: string, key: string, ids: string[]): void {
    this.assertOpen();
    assertModelName(model);
    for (const id of ids) assertStreamId(id);
    const stream = this.objects.get<MemoryStream>(modelKey(model, key));
    if (stream === undefined || ids.length === 0) return;
    const acked = new Set(ids);
    stream.entries = stream.entries.filter((entry) => !acked.has(entry.id));
  }
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
  const y = trueValue;
  const err = y - outcome.predicted;
  const absErr = Math.abs(err);
  const scale = Math.abs(y);
  const nearZero = scale < MAPE_EPS;
  return {
    counters: [
      ['n', 1],
      ['~sy', y],
      ['~syy', y * y],
      ['~sae', absErr],
      ['~sse', err * err],
      ['~sape', nearZero ? 0 : absErr / scale],
      ['~saez', nearZero ? absErr : 0],
    ],
    error: absErr,
  };
}

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
