// StateStore in process memory for embedded mode. It mirrors Redis semantics rather than
// reimplementing them loosely: full key names under the model's hash tag, idempotent batches
// keyed by (group, topic, partition), and TTLs that expire lazily on access the way Redis does,
// plus an occasional sweep standing in for Redis's active expiry. No timers, so an idle
// embedded process can exit.
import { OFFSETS_KEY, assertModelName, isRefused, normaliseBatch, offsetField } from './batch-request.js';
import { modelKey } from './types.js';
import type { ApplyBatchRequest, ApplyBatchResult, BatchSource, StateStore } from './types.js';

interface MemoryHash {
  fields: Map<string, number>;
  /** Absolute time in the keyspace clock's ms; undefined = no expiry. */
  expiresAt: number | undefined;
}

export interface MemoryKeyspaceOptions {
  /** Clock in ms; tests inject one to step through expiry. Default Date.now. */
  now?: () => number;
  /** Minimum clock time between full sweeps of expired keys. Default 1 000 ms. */
  sweepIntervalMs?: number;
}

/**
 * The "server" side: several MemoryStore clients over one keyspace see the same state, as
 * several Redis connections do.
 */
export class MemoryKeyspace {
  readonly now: () => number;
  private readonly hashes = new Map<string, MemoryHash>();
  private readonly sweepIntervalMs: number;
  private lastSweep: number;

  constructor(options: MemoryKeyspaceOptions = {}) {
    this.now = options.now ?? Date.now;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 1_000;
    this.lastSweep = this.now();
  }

  /** The live hash at a full key, dropping it first if it has expired. */
  get(fullKey: string): MemoryHash | undefined {
    const hash = this.hashes.get(fullKey);
    if (hash === undefined) return undefined;
    // Redis treats a key as expired only once the clock is strictly past its deadline.
    if (hash.expiresAt !== undefined && this.now() > hash.expiresAt) {
      this.hashes.delete(fullKey);
      return undefined;
    }
    return hash;
  }

  getOrCreate(fullKey: string): MemoryHash {
    let hash = this.get(fullKey);
    if (hash === undefined) {
      hash = { fields: new Map(), expiresAt: undefined };
      this.hashes.set(fullKey, hash);
    }
    return hash;
  }

  /** Full names of the live keys, like SCAN. */
  keys(): string[] {
    return [...this.hashes.keys()].filter((key) => this.get(key) !== undefined);
  }

  /** Without it, buckets that are never read again would stay in memory forever. */
  sweepIfDue(): void {
    const now = this.now();
    if (now - this.lastSweep < this.sweepIntervalMs) return;
    this.lastSweep = now;
    for (const [key, hash] of this.hashes) {
      if (hash.expiresAt !== undefined && now > hash.expiresAt) this.hashes.delete(key);
    }
  }
}

export class MemoryStore implements StateStore {
  private closed = false;

  constructor(readonly keyspace: MemoryKeyspace = new MemoryKeyspace()) {}

  async applyBatch(request: ApplyBatchRequest): Promise<ApplyBatchResult> {
    this.assertOpen();
    const batch = normaliseBatch(request);
    const offsets = this.keyspace.getOrCreate(modelKey(request.model, OFFSETS_KEY));
    // Everything below is synchronous: no other caller can interleave, like a Lua script.
    const recorded = offsets.fields.get(batch.offsetField);
    if (recorded !== undefined && isRefused(batch, recorded)) return { applied: false, offset: recorded };

    this.keyspace.sweepIfDue();
    const now = this.keyspace.now();
    for (const [key, deltas] of batch.byKey) {
      const hash = this.keyspace.getOrCreate(modelKey(request.model, key));
      for (const { field, by } of deltas) hash.fields.set(field, (hash.fields.get(field) ?? 0) + by);
      if (batch.ttlMs > 0) hash.expiresAt = now + batch.ttlMs;
    }
    offsets.fields.set(batch.offsetField, batch.offset);
    return { applied: true, offset: batch.offset };
  }

  async readCounters(model: string, key: string): Promise<Record<string, number>> {
    this.assertOpen();
    assertModelName(model);
    const hash = this.keyspace.get(modelKey(model, key));
    return hash === undefined ? {} : Object.fromEntries(hash.fields);
  }

  async lastOffset(model: string, source: Omit<BatchSource, 'offset'>): Promise<number> {
    this.assertOpen();
    assertModelName(model);
    const field = offsetField(source);
    return this.keyspace.get(modelKey(model, OFFSETS_KEY))?.fields.get(field) ?? -1;
  }

  async ttlMs(model: string, key: string): Promise<number> {
    this.assertOpen();
    assertModelName(model);
    const hash = this.keyspace.get(modelKey(model, key));
    if (hash === undefined) return -2;
    if (hash.expiresAt === undefined) return -1;
    return Math.round(hash.expiresAt - this.keyspace.now());
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('MemoryStore is closed');
  }
}
