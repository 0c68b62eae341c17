// The retrain trigger queue port: per model one pending trigger (the alerts that asked for
// a retrain since the last one, with a debounce and a cooldown), recorded before the alert's
// offset commits and cleared only after the retrain ran, so a crash anywhere in between
// loses nothing. Redis scripts beside this file; an in-memory twin for embedded mode; both
// pass test/contract/retrain-state.contract.ts.
import type { IncidentTrigger } from '../codec/events.generated.js';

/** Triggers kept per pending retrain; later ones are counted but not stored. */
export const TRIGGER_CAP = 50;

export interface RecordOptions {
  /** How long after the first trigger the retrain becomes due. */
  debounceMs: number;
  /** No automatic trigger is accepted this long after the last retrain finished. */
  cooldownMs: number;
  now: number;
  /** Manual triggers are due at once and skip the cooldown. */
  manual?: boolean;
}

export type RecordResult =
  | { recorded: true; reason: 'created' | 'appended'; dueAt: number }
  /** `dueAt`: when the cooldown ends, or the pending retrain's due time for a duplicate (null if none). */
  | { recorded: false; reason: 'cooldown' | 'duplicate'; dueAt: number | null };

export interface PendingTrigger {
  model: string;
  /** When the first trigger of this pending retrain was recorded. */
  firstAt: number;
  dueAt: number;
  /** In the order recorded, at most TRIGGER_CAP. */
  triggers: IncidentTrigger[];
  manual: boolean;
  /** Triggers recorded so far (dropped ones included); hand it to clear(). */
  count: number;
  /** Runs of this pending trigger that failed transiently so far (retryLater); 0 before the first. */
  attempts: number;
  /** The FAILED incident of the last transient failure, which the next run retries; null before one. */
  retryOf: string | null;
}

export interface RetryLater {
  /** Runs failed transiently so far, this one included. */
  attempts: number;
  /** When the next run is due. */
  retryAt: number;
  /** The FAILED incident of the run that just failed. */
  failedIncident: string;
}

export interface RetrainQueue {
  record(model: string, trigger: IncidentTrigger, options: RecordOptions): Promise<RecordResult>;
  /** Models whose pending trigger is due at `now`, earliest first. */
  due(now: number): Promise<string[]>;
  peek(model: string): Promise<PendingTrigger | null>;
  /**
   * After a run that started from `firstAt`: forgets the triggers it saw (the first `count`;
   * all when omitted) and keeps later ones for the next run, due a debounce after `now`.
   * Does nothing when the pending trigger is not the one the run started from.
   */
  clear(model: string, firstAt: number, count?: number, now?: number): Promise<'cleared' | 'kept-newer' | 'not-current'>;
  /**
   * After a run that started from `firstAt` failed transiently: keeps the whole pending trigger
   * (the triggers recorded during the run too) and makes it due at `retryAt`, recording the
   * attempts and the failed incident with it. Does nothing when the pending trigger is not the
   * one the run started from.
   */
  retryLater(model: string, firstAt: number, retry: RetryLater): Promise<'scheduled' | 'not-current'>;
  /** Records when the model's retrain finished: the cooldown runs from there. */
  finished(model: string, now: number): Promise<void>;
}

export function assertRecordOptions(options: RecordOptions): void {
  for (const name of ['debounceMs', 'cooldownMs', 'now'] as const) {
    const value = options[name];
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  }
}

export function assertRetryLater(retry: RetryLater): void {
  if (!Number.isSafeInteger(retry.attempts) || retry.attempts < 1) throw new RangeError(`attempts must be a positive integer, got ${retry.attempts}`);
  assertTime('retryAt', retry.retryAt);
  if (retry.failedIncident === '') throw new RangeError('failedIncident must name the failed incident');
}

export function assertTime(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer of ms, got ${value}`);
}

export { RedisRetrainQueue } from './redis-retrain-queue.js';
export { MemoryRetrainQueue } from './memory-retrain-queue.js';
