// Checks and normalisation shared by RedisStore and MemoryStore, so both refuse the same
// requests (before touching any state) and name the same keys.
import { modelNameProblem } from '../model-name.js';
import { InvalidBatchError } from './errors.js';
import type { ApplyBatchRequest, BatchSource, CounterDelta } from './types.js';

/** Model-relative key of the offsets hash; reserved, deltas may not target it. */
export const OFFSETS_KEY = 'offsets';

export function assertModelName(model: string): void {
  // The one model-name rule (shared/model-name.ts); among others it keeps braces out, which
  // would move the hash tag and split the model across slots.
  const problem = modelNameProblem(model);
  if (problem !== null) throw new InvalidBatchError(problem);
}

/**
 * Field of the offsets hash. Kafka topic names cannot contain '|' and the partition is a
 * number, so the last two separators always split it back unambiguously even if the group has one.
 */
export function offsetField(source: Omit<BatchSource, 'offset'>): string {
  if (typeof source.group !== 'string' || source.group === '') throw new InvalidBatchError('source group must be a non-empty string');
  if (typeof source.topic !== 'string' || source.topic === '' || source.topic.includes('|')) {
    throw new InvalidBatchError(`source topic must be a non-empty Kafka topic name, got ${JSON.stringify(source.topic)}`);
  }
  if (!Number.isSafeInteger(source.partition) || source.partition < 0) {
    throw new InvalidBatchError(`source partition must be a non-negative integer, got ${source.partition}`);
  }
  return `${source.group}|${source.topic}|${source.partition}`;
}

export interface NormalisedBatch {
  offsetField: string;
  offset: number;
  /** First offset of the batch, or -1 when the caller did not give it (no straddle check). */
  firstOffset: number;
  /** 0 when the batch sets no expiry. */
  ttlMs: number;
  /** Deltas grouped by model-relative key, in first-seen order. */
  byKey: Map<string, CounterDelta[]>;
}

export function normaliseBatch(request: ApplyBatchRequest): NormalisedBatch {
  assertModelName(request.model);
  const field = offsetField(request.source);
  const { offset } = request.source;
  if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidBatchError(`source offset must be a non-negative integer, got ${offset}`);

  const firstOffset = request.source.firstOffset ?? -1;
  if (request.source.firstOffset !== undefined && (!Number.isSafeInteger(firstOffset) || firstOffset < 0 || firstOffset > offset)) {
    throw new InvalidBatchError(`source firstOffset must be an integer between 0 and offset ${offset}, got ${firstOffset}`);
  }

  let ttlMs = 0;
  if (request.ttlSeconds !== undefined) {
    if (!Number.isFinite(request.ttlSeconds) || request.ttlSeconds <= 0) {
      throw new InvalidBatchError(`ttlSeconds must be a positive number, got ${request.ttlSeconds}`);
    }
    // Fractions are allowed (tests use 0.2 s); never round a positive TTL down to "no TTL".
    ttlMs = Math.max(1, Math.round(request.ttlSeconds * 1000));
  }

  const byKey = new Map<string, CounterDelta[]>();
  for (const delta of request.deltas) {
    if (typeof delta.key !== 'string' || delta.key === '') throw new InvalidBatchError('delta key must be a non-empty string');
    if (delta.key === OFFSETS_KEY) throw new InvalidBatchError(`delta key "${OFFSETS_KEY}" is reserved for batch offsets`);
    if (typeof delta.field !== 'string') throw new InvalidBatchError(`delta field of ${delta.key} must be a string`);
    // Redis would reject NaN/Infinity halfway through the script, after earlier writes.
    if (typeof delta.by !== 'number' || !Number.isFinite(delta.by)) {
      throw new InvalidBatchError(`delta ${delta.key}/${delta.field} must be a finite number, got ${delta.by}`);
    }
    let group = byKey.get(delta.key);
    if (group === undefined) {
      group = [];
      byKey.set(delta.key, group);
    }
    group.push(delta);
  }
  return { offsetField: field, offset, firstOffset, ttlMs, byKey };
}

/**
 * Whether a batch must be refused given the recorded offset: it is a redelivery (nothing newer
 * than recorded) or it straddles the recorded offset (part of it was applied already). The
 * Lua script implements the same rule.
 */
export function isRefused(batch: Pick<NormalisedBatch, 'offset' | 'firstOffset'>, recorded: number | undefined): boolean {
  if (recorded === undefined) return false;
  return batch.offset <= recorded || (batch.firstOffset >= 0 && batch.firstOffset <= recorded);
}
