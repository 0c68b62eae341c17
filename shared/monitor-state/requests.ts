// Checks shared by RedisMonitorState and MemoryMonitorState, so both refuse the same
// requests before touching any state and name the same keys.
import { assertModelName, offsetField } from '../store/batch-request.js';
import { InvalidBatchError } from '../store/errors.js';
import type { BatchSource } from '../store/types.js';
import type { AdvanceEndsRequest, AdvanceRequest, BucketDeltas, DriftBatch, EvaluationCommit, PerfDeltaBatch, Scope, WindowSettings } from './types.js';

export const DEFAULT_REBUILD_EVERY = 360;
/** One events outbox per scope: the two services drain their own, never each other's. */
export const eventsOutboxKey = (scope: Scope): string => `outbox:events:${scope}`;

export const clockKey = (scope: Scope): string => `clock:${scope}`;
export const familiesKey = (scope: Scope): string => `families:${scope}`;
export const alertsKey = (scope: Scope): string => `alerts:${scope}`;
export const bucketKey = (family: string, bucketStart: number): string => `b:${family}:${bucketStart}`;
export const windowKey = (family: string, horizonMs: number): string => `w:${family}:${horizonMs}`;
export const referenceKey = (version: string): string => `ref:${version}`;
export const referenceSampleKey = (version: string): string => `refsample:${version}`;

/** Alert-hash fields that are not alert states. */
export const DETECTOR_FIELD = '~detector';
/** Prefix of a version's detector field, `~detector|<version>` (commit-evaluation.lua builds the same). */
export const VERSION_DETECTOR_PREFIX = '~detector|';
export const versionDetectorField = (version: string): string => `${VERSION_DETECTOR_PREFIX}${version}`;

const isPositiveInteger = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n > 0;
const isTime = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

export interface NormalisedWindows {
  bucketMs: number;
  horizonsMs: number[];
  retentionMs: number;
  rebuildEvery: number;
  sourcePartitions: number;
  /** 0: no idle expiry. */
  idleMs: number;
}

export function normaliseWindows(windows: WindowSettings): NormalisedWindows {
  const { bucketMs, horizonsMs, retentionMs } = windows;
  if (!isPositiveInteger(bucketMs)) throw new InvalidBatchError(`bucketMs must be a positive integer, got ${bucketMs}`);
  if (!Array.isArray(horizonsMs) || horizonsMs.length === 0) throw new InvalidBatchError('horizonsMs must list at least one horizon');
  for (const h of horizonsMs) {
    // Window ends are bucket boundaries, so a horizon must be whole buckets for [E - h, E) to be.
    if (!isPositiveInteger(h) || h % bucketMs !== 0) throw new InvalidBatchError(`horizon ${h} must be a positive multiple of bucketMs ${bucketMs}`);
  }
  if (new Set(horizonsMs).size !== horizonsMs.length) throw new InvalidBatchError('horizonsMs must not repeat a horizon');
  if (!isPositiveInteger(retentionMs)) throw new InvalidBatchError(`retentionMs must be a positive integer, got ${retentionMs}`);
  const largest = Math.max(...horizonsMs);
  if (retentionMs <= largest) throw new InvalidBatchError(`retentionMs ${retentionMs} must exceed the largest horizon ${largest}`);
  const rebuildEvery = windows.rebuildEvery ?? DEFAULT_REBUILD_EVERY;
  if (!isPositiveInteger(rebuildEvery)) throw new InvalidBatchError(`rebuildEvery must be a positive integer, got ${rebuildEvery}`);
  const sourcePartitions = windows.sourcePartitions ?? 1;
  if (!isPositiveInteger(sourcePartitions)) throw new InvalidBatchError(`sourcePartitions must be a positive integer, got ${sourcePartitions}`);
  const idleMs = windows.idleMs ?? 0;
  if (!isTime(idleMs)) throw new InvalidBatchError(`idleMs must be a non-negative integer, got ${idleMs}`);
  if (idleMs > 0 && idleMs <= retentionMs) throw new InvalidBatchError(`idleMs ${idleMs} must exceed retentionMs ${retentionMs}`);
  return { bucketMs, horizonsMs: [...horizonsMs], retentionMs, rebuildEvery, sourcePartitions, idleMs };
}

export interface NormalisedSource {
  field: string;
  offset: number;
  /** -1 when the caller did not give it (no straddle check). */
  firstOffset: number;
}

export function normaliseSource(source: BatchSource): NormalisedSource {
  const field = offsetField(source);
  if (!isTime(source.offset)) throw new InvalidBatchError(`source offset must be a non-negative integer, got ${source.offset}`);
  const firstOffset = source.firstOffset ?? -1;
  if (source.firstOffset !== undefined && (!isTime(firstOffset) || firstOffset > source.offset)) {
    throw new InvalidBatchError(`source firstOffset must be an integer between 0 and offset ${source.offset}, got ${firstOffset}`);
  }
  return { field, offset: source.offset, firstOffset };
}

export function assertBucketStart(bucketStart: number, bucketMs: number, what: string): void {
  if (!isTime(bucketStart) || bucketStart % bucketMs !== 0) {
    throw new InvalidBatchError(`${what}: bucketStart ${bucketStart} must be a non-negative multiple of bucketMs ${bucketMs}`);
  }
}

function assertFamily(family: string): void {
  if (typeof family !== 'string' || family === '') throw new InvalidBatchError('family must be a non-empty string');
}

function assertFinite(value: number, what: string): void {
  // Redis would fail halfway through the script, after earlier writes.
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new InvalidBatchError(`${what} must be a finite number, got ${value}`);
}

export function validateDriftBatch(batch: DriftBatch): { windows: NormalisedWindows; source: NormalisedSource } {
  assertModelName(batch.model);
  const windows = normaliseWindows(batch.windows);
  const source = normaliseSource(batch.source);
  if (!isTime(batch.maxEventTime)) throw new InvalidBatchError(`maxEventTime must be a non-negative integer, got ${batch.maxEventTime}`);
  assertDeltas(batch.deltas, windows);
  const versions = new Set<string>();
  for (const sample of batch.referenceSamples ?? []) {
    if (typeof sample.version !== 'string' || sample.version === '') throw new InvalidBatchError('reference sample version must be a non-empty string');
    if (versions.has(sample.version)) throw new InvalidBatchError(`reference sample of version ${sample.version} given twice`);
    versions.add(sample.version);
    if (!Number.isSafeInteger(sample.cap) || sample.cap < 0) throw new InvalidBatchError(`reference sample cap must be a non-negative integer, got ${sample.cap}`);
  }
  return { windows, source };
}

function assertDeltas(deltas: BucketDeltas[], windows: NormalisedWindows): void {
  if (!Array.isArray(deltas)) throw new InvalidBatchError('deltas must be a list');
  for (const delta of deltas) {
    assertFamily(delta.family);
    assertBucketStart(delta.bucketStart, windows.bucketMs, delta.family);
    // No message built per field (this runs for every counter of every batch): only on failure.
    const { counters } = delta;
    for (const field in counters) {
      const by = counters[field] as number;
      if (typeof by !== 'number' || !Number.isFinite(by)) assertFinite(by, `${delta.family} ${field}`);
    }
  }
}

/** Families a perf delta may target: outcome counters and label coverage. */
const PERF_DELTA_FAMILY = /^(perf|cov):./;

export interface NormalisedPerfDeltas {
  windows: NormalisedWindows;
  source: NormalisedSource;
  pairedField: string;
  expected: { own: number; paired: number } | null;
}

const isRecordedOffset = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= -1;

/**
 * The paired stream is the other topic of the same consumer group and partition: the join
 * holds predictions partition p and labels partition p together, so the fence is per pair.
 */
function assertPairedField(pairedField: unknown, source: NormalisedSource, batch: PerfDeltaBatch): string {
  if (typeof pairedField !== 'string') throw new InvalidBatchError('pairedField must be a string `group|topic|partition`');
  const last = pairedField.lastIndexOf('|');
  const middle = last > 0 ? pairedField.lastIndexOf('|', last - 1) : -1;
  const topic = middle >= 0 ? pairedField.slice(middle + 1, last) : '';
  const expectedField = middle >= 0 ? `${batch.source.group}|${topic}|${batch.source.partition}` : '';
  if (middle < 0 || topic === '' || pairedField !== expectedField) {
    throw new InvalidBatchError(
      `pairedField must be \`${batch.source.group}|<other topic>|${batch.source.partition}\` (same group and partition as the source), got ${JSON.stringify(pairedField)}`,
    );
  }
  if (pairedField === source.field) throw new InvalidBatchError(`pairedField must name the other stream, got the batch's own ${JSON.stringify(pairedField)}`);
  return pairedField;
}

export function validatePerfDeltas(batch: PerfDeltaBatch): NormalisedPerfDeltas {
  assertModelName(batch.model);
  const windows = normaliseWindows(batch.windows);
  const source = normaliseSource(batch.source);
  const pairedField = assertPairedField(batch.pairedField, source, batch);
  if (batch.kind !== 'pp' && batch.kind !== 'pl') throw new InvalidBatchError(`kind must be pp (predictions) or pl (labels), got ${JSON.stringify(batch.kind)}`);
  const { expected } = batch;
  if (expected !== null) {
    if (typeof expected !== 'object' || !isRecordedOffset(expected.own) || !isRecordedOffset(expected.paired)) {
      throw new InvalidBatchError(`expected offsets must be integers >= -1 (or expected null for a probe), got ${JSON.stringify(expected)}`);
    }
    // A batch at or below the recorded offset is a replay after a rebuild: it may still carry
    // outcomes Redis never counted (a replayed label joining a prediction counted since), and
    // leaves the recorded offset where it is (the script records the larger one).
  }
  if (!isTime(batch.maxEventTime)) throw new InvalidBatchError(`maxEventTime must be a non-negative integer, got ${batch.maxEventTime}`);
  assertDeltas(batch.deltas, windows);
  for (const delta of batch.deltas) {
    if (!PERF_DELTA_FAMILY.test(delta.family)) throw new InvalidBatchError(`perf delta family must be perf:<version> or cov:<version>, got ${JSON.stringify(delta.family)}`);
  }
  return { windows, source, pairedField, expected: expected === null ? null : { own: expected.own, paired: expected.paired } };
}

export function validateAdvance(request: AdvanceRequest): NormalisedWindows {
  assertModelName(request.model);
  if (request.scope !== 'perf' && request.scope !== 'drift') throw new InvalidBatchError(`scope must be perf or drift, got ${String(request.scope)}`);
  const windows = normaliseWindows(request.windows);
  if (!isPositiveInteger(request.to) || request.to % windows.bucketMs !== 0) {
    throw new InvalidBatchError(`advance target ${request.to} must be a positive multiple of bucketMs ${windows.bucketMs}`);
  }
  return windows;
}

/** An AdvanceEndsRequest checked: every end as validateAdvance checks it, in increasing order. */
export function validateAdvanceEnds(request: AdvanceEndsRequest): { windows: NormalisedWindows; ends: { to: number; read: number[] }[]; closing: string[] } {
  if (!Array.isArray(request.ends) || request.ends.length === 0) throw new InvalidBatchError('advanceEnds needs at least one end');
  let previous = 0;
  let windows: NormalisedWindows | undefined;
  let closing: string[] = [];
  const ends = request.ends.map((end) => {
    const single: AdvanceRequest = { model: request.model, scope: request.scope, windows: request.windows, to: end.to, ...(end.read !== undefined ? { read: end.read } : {}), ...(request.closing !== undefined ? { closing: request.closing } : {}) };
    windows ??= validateAdvance(single);
    if (!isPositiveInteger(end.to) || end.to % windows.bucketMs !== 0) {
      throw new InvalidBatchError(`advance target ${end.to} must be a positive multiple of bucketMs ${windows.bucketMs}`);
    }
    if (end.to <= previous) throw new InvalidBatchError(`advanceEnds ends must increase, got ${end.to} after ${previous}`);
    previous = end.to;
    const reads = advanceReads(single, windows);
    closing = reads.closing;
    return { to: end.to, read: reads.read };
  });
  return { windows: windows!, ends, closing };
}

/** What an advance returns besides the alert state: the horizons read and the closing-bucket prefixes, checked. */
export function advanceReads(request: AdvanceRequest, windows: NormalisedWindows): { read: number[]; closing: string[] } {
  const read = request.read ?? windows.horizonsMs;
  if (!Array.isArray(read)) throw new InvalidBatchError('read must list horizons');
  for (const h of read) {
    if (!windows.horizonsMs.includes(h)) throw new InvalidBatchError(`read horizon ${h} is not one of the horizons ${windows.horizonsMs.join(', ')}`);
  }
  const closing = request.closing ?? [];
  if (!Array.isArray(closing)) throw new InvalidBatchError('closing must list family prefixes');
  for (const prefix of closing) {
    if (typeof prefix !== 'string' || prefix === '') throw new InvalidBatchError('closing family prefix must be a non-empty string');
  }
  return { read: [...new Set(read)], closing: [...closing] };
}

/** The commit's idle expiry, checked as the windows' is (0: none). */
export function commitIdleMs(commit: EvaluationCommit): number {
  const idleMs = commit.idleMs ?? 0;
  if (!Number.isSafeInteger(idleMs) || idleMs < 0) throw new InvalidBatchError(`idleMs must be a non-negative integer, got ${idleMs}`);
  return idleMs;
}

/** Commits (commitEvaluations) checked as one alone, and all of one (model, scope); their idle expiries. */
export function validateCommits(commits: EvaluationCommit[]): number[] {
  if (!Array.isArray(commits) || commits.length === 0) throw new InvalidBatchError('commitEvaluations needs at least one commit');
  const [first] = commits;
  for (const commit of commits) {
    if (commit.model !== first!.model || commit.scope !== first!.scope) throw new InvalidBatchError('commitEvaluations commits must all be of one model and scope');
  }
  return commits.map(validateCommit);
}

/** One commit checked; its idle expiry. */
export function validateCommit(commit: EvaluationCommit): number {
  assertModelName(commit.model);
  if (!Number.isSafeInteger(commit.end) || commit.end <= 0) throw new InvalidBatchError(`commit end must be a positive integer, got ${commit.end}`);
  for (const field of Object.keys(commit.alertStates)) {
    if (field.startsWith('~')) throw new InvalidBatchError(`alert key ${field} may not start with "~" (reserved)`);
  }
  return commitIdleMs(commit);
}

