// The non-counter values of the monitor state in process memory (strings, lists, sets,
// sorted sets, streams, string hashes), beside the counter hashes MemoryKeyspace holds.
// One MemoryObjects belongs to one MemoryKeyspace and uses its clock, so several
// MemoryMonitorState clients over one keyspace see the same state and the same expiry.
import type { MemoryKeyspace } from '../store/memory-store.js';

interface Entry {
  value: unknown;
  /** Absolute time in the keyspace clock's ms; undefined = no expiry. */
  expiresAt: number | undefined;
}

export interface StreamEntry {
  id: string;
  fields: Map<string, Buffer>;
}

const companions = new WeakMap<MemoryKeyspace, MemoryObjects>();

export class MemoryObjects {
  private readonly entries = new Map<string, Entry>();
  private lastSweep: number;

  private constructor(private readonly keyspace: MemoryKeyspace) {
    this.lastSweep = keyspace.now();
  }

  static of(keyspace: MemoryKeyspace): MemoryObjects {
    let objects = companions.get(keyspace);
    if (objects === undefined) {
      objects = new MemoryObjects(keyspace);
      companions.set(keyspace, objects);
    }
    return objects;
  }

  now(): number {
    return this.keyspace.now();
  }

  /** The live value, dropping it first when expired (strictly past its deadline, as Redis). */
  get<T>(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== undefined && this.now() > entry.expiresAt) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value as T;
  }

  getOrCreate<T>(key: string, create: () => T): T {
    const existing = this.get<T>(key);
    if (existing !== undefined) return existing;
    const value = create();
    this.entries.set(key, { value, expiresAt: undefined });
    return value;
  }

  /** SET with PX (ttlMs) or KEEPTTL (ttlMs 'keep'). */
  set(key: string, value: unknown, ttlMs: number | 'keep' | undefined): void {
    const previous = this.get<unknown>(key) === undefined ? undefined : this.entries.get(key);
    const expiresAt = ttlMs === 'keep' ? previous?.expiresAt : ttlMs === undefined ? undefined : this.now() + ttlMs;
    this.entries.set(key, { value, expiresAt });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** PEXPIRE: false when the key does not exist. */
  expire(key: string, ttlMs: number): boolean {
    if (this.get<unknown>(key) === undefined) return false;
    (this.entries.get(key) as Entry).expiresAt = this.now() + ttlMs;
    return true;
  }

  /** Remaining TTL like PTTL: -2 absent, -1 no expiry. */
  ttlMs(key: string): number {
    if (this.get<unknown>(key) === undefined) return -2;
    const expiresAt = this.entries.get(key)?.expiresAt;
    return expiresAt === undefined ? -1 : expiresAt - this.now();
  }

  keys(): string[] {
    return [...this.entries.keys()].filter((key) => this.get<unknown>(key) !== undefined);
  }

  /**
   * Drops expired values at most once per interval: the twin of Redis's active expiry, for
   * values that expire and are never read again (an idle model's outbox, alert states, reference).
   */
  sweepIfDue(intervalMs = 1_000): void {
    const now = this.now();
    if (now - this.lastSweep < intervalMs) return;
    this.lastSweep = now;
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt !== undefined && now > entry.expiresAt) this.entries.delete(key);
    }
  }
}
