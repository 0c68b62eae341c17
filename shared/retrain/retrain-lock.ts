// The retrain lock port: one retrain per model at a time across instances, with a fencing
// token (strictly increasing per model) that travels in the events the job publishes, so a
// consumer can ignore a job that lost its lock and published late. Redis scripts beside
// this file; an in-memory twin for embedded mode; both pass test/contract/retrain-state.contract.ts.

export interface RetrainLocks {
  /**
   * The fencing token when the lock was free, else null. The token is above `floor` (the highest
   * token already published for the model; default 0) even when the counter was lost or expired.
   */
  acquire(model: string, owner: string, ttlMs: number, floor?: number): Promise<number | null>;
  /** Whether anyone holds the model's lock now (a cheap look before the floor is read). */
  held(model: string): Promise<boolean>;
  /** Extends the expiry; false when this owner and token no longer hold the lock. */
  renew(model: string, owner: string, token: number, ttlMs: number): Promise<boolean>;
  /** Frees the lock; false (and nothing changed) when this owner and token do not hold it. */
  release(model: string, owner: string, token: number): Promise<boolean>;
  /** Whether the lock holds exactly this owner and token now. */
  holds(model: string, owner: string, token: number): Promise<boolean>;
}

/** The lock's value: who holds it and with which token. */
export function lockValue(owner: string, token: number): string {
  return `${owner}:${token}`;
}

export function assertLockArguments(owner: string, ttlMs?: number): void {
  if (typeof owner !== 'string' || owner === '') throw new RangeError('lock owner must be a non-empty string');
  if (ttlMs !== undefined && (!Number.isSafeInteger(ttlMs) || ttlMs < 1)) throw new RangeError(`lock ttl must be a positive integer of ms, got ${ttlMs}`);
}

export function assertFloor(floor: number): void {
  if (!Number.isSafeInteger(floor) || floor < 0) throw new RangeError(`fencing floor must be a non-negative integer, got ${floor}`);
}

export { RedisRetrainLocks } from './redis-retrain-locks.js';
export { MemoryRetrainLocks } from './memory-retrain-locks.js';
