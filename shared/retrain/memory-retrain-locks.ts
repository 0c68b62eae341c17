// RetrainLocks in process memory, the twin of the lock scripts: the same keys and values in
// the keyspace's object store, the same expiry clock (MemoryKeyspace's), and each operation
// synchronous, so nothing interleaves inside it, as inside a Lua script.
import { MemoryObjects } from '../monitor-state/memory-objects.js';
import type { MemoryKeyspace } from '../store/memory-store.js';
import { defaultKeyTtl, fenceKey, keyTtlOf, lockKey, type KeyTtl } from './retrain-keys.js';
import { assertFloor, assertLockArguments, lockValue, type RetrainLocks } from './retrain-lock.js';

export class MemoryRetrainLocks implements RetrainLocks {
  private readonly objects: MemoryObjects;

  constructor(
    keyspace: MemoryKeyspace,
    private readonly keyTtl: KeyTtl = defaultKeyTtl,
  ) {
    this.objects = MemoryObjects.of(keyspace);
  }

  async acquire(model: string, owner: string, ttlMs: number, floor = 0): Promise<number | null> {
    assertLockArguments(owner, ttlMs);
    assertFloor(floor);
    const fenceTtl = keyTtlOf(this.keyTtl, model);
    const lock = lockKey(model);
    if (this.objects.get<string>(lock) !== undefined) return null;
    // max(INCR, floor + 1), as acquire-lock.lua.
    const token = Math.max((this.objects.get<number>(fenceKey(model)) ?? 0) + 1, floor + 1);
    this.objects.set(fenceKey(model), token, fenceTtl);
    this.objects.set(lock, lockValue(owner, token), ttlMs);
    return token;
  }

  async held(model: string): Promise<boolean> {
    return this.objects.get<string>(lockKey(model)) !== undefined;
  }

  async renew(model: string, owner: string, token: number, ttlMs: number): Promise<boolean> {
    assertLockArguments(owner, ttlMs);
    const lock = lockKey(model);
    const value = this.objects.get<string>(lock);
    if (value !== lockValue(owner, token)) return false;
    this.objects.set(lock, value, ttlMs);
    return true;
  }

  async release(model: string, owner: string, token: number): Promise<boolean> {
    assertLockArguments(owner);
    const lock = lockKey(model);
    if (this.objects.get<string>(lock) !== lockValue(owner, token)) return false;
    this.objects.delete(lock);
    return true;
  }

  async holds(model: string, owner: string, token: number): Promise<boolean> {
    assertLockArguments(owner);
    return this.objects.get<string>(lockKey(model)) === lockValue(owner, token);
  }
}
