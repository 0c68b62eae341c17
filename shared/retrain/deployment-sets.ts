// The per-deployment sets of the retrain state (models with a pending trigger, models with
// incidents): add-member.lua on Redis, its twin on the keyspace's objects. Each add keeps the
// set alive at least the member's key TTL, so the set expires only after every member's keys.
import type { MemoryObjects } from '../monitor-state/memory-objects.js';
import { defineLuaScript } from '../store/lua-scripts.js';
import type { RedisClient } from '../store/redis-connection.js';

export type AddMember = (key: string, member: string, ttlMs: number) => Promise<void>;

export function redisAddMember(client: RedisClient): AddMember {
  const script = defineLuaScript(client, import.meta.url, { name: 'driftwatchAddDeploymentMember', file: './add-member.lua', numberOfKeys: 1 });
  return async (key, member, ttlMs) => {
    await script([key], [member, ttlMs]);
  };
}

/** The twin of add-member.lua; synchronous, so nothing interleaves inside it. */
export function memoryAddMember(objects: MemoryObjects, key: string, member: string, ttlMs: number): void {
  objects.getOrCreate(key, () => new Set<string>()).add(member);
  // ttlMs() is -1 for no expiry, as PTTL.
  if (objects.ttlMs(key) < ttlMs) objects.expire(key, ttlMs);
}

/** SREM's twin: Redis deletes a set with its last member (and its expiry with it). */
export function memoryRemoveMember(objects: MemoryObjects, key: string, member: string): void {
  const set = objects.get<Set<string>>(key);
  if (set === undefined) return;
  set.delete(member);
  if (set.size === 0) objects.delete(key);
}
