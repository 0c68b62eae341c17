// RetrainLocks on Redis: one script per operation (acquire-lock.lua, renew-lock.lua,
// release-lock.lua, check-lock.lua), each over the model's own keys. The fence expires with
// the model's retrain key TTL (retrain-keys.ts), set on every acquisition.
import { defineLuaScript, type LuaCommand } from '../store/lua-scripts.js';
import type { RedisClient } from '../store/redis-connection.js';
import { defaultKeyTtl, fenceKey, keyTtlOf, lockKey, type KeyTtl } from './retrain-keys.js';
import { assertFloor, assertLockArguments, lockValue, type RetrainLocks } from './retrain-lock.js';

export class RedisRetrainLocks implements RetrainLocks {
  private readonly acquireScript: LuaCommand;
  private readonly renewScript: LuaCommand;
  private readonly releaseScript: LuaCommand;
  private readonly checkScript: LuaCommand;

  constructor(
    readonly client: RedisClient,
    private readonly keyTtl: KeyTtl = defaultKeyTtl,
  ) {
    const base = import.meta.url;
    this.acquireScript = defineLuaScript(client, base, { name: 'driftwatchAcquireRetrainLock', file: './acquire-lock.lua', numberOfKeys: 2 });
    this.renewScript = defineLuaScript(client, base, { name: 'driftwatchRenewRetrainLock', file: './renew-lock.lua', numberOfKeys: 1 });
    this.releaseScript = defineLuaScript(client, base, { name: 'driftwatchReleaseRetrainLock', file: './release-lock.lua', numberOfKeys: 1 });
    this.checkScript = defineLuaScript(client, base, { name: 'driftwatchCheckRetrainLock', file: './check-lock.lua', numberOfKeys: 1, readOnly: true });
  }

  async acquire(model: string, owner: string, ttlMs: number, floor = 0): Promise<number | null> {
    assertLockArguments(owner, ttlMs);
    assertFloor(floor);
    const token = Number(await this.acquireScript([lockKey(model), fenceKey(model)], [owner, ttlMs, floor, keyTtlOf(this.keyTtl, model)]));
    return token > 0 ? token : null;
  }

  async held(model: string): Promise<boolean> {
    return (await this.client.exists(lockKey(model))) === 1;
  }

  async renew(model: string, owner: string, token: number, ttlMs: number): Promise<boolean> {
    assertLockArguments(owner, ttlMs);
    return Number(await this.renewScript([lockKey(model)], [lockValue(owner, token), ttlMs])) === 1;
  }

  async release(model: string, owner: string, token: number): Promise<boolean> {
    assertLockArguments(owner);
    return Number(await this.releaseScript([lockKey(model)], [lockValue(owner, token)])) === 1;
  }

  async holds(model: string, owner: string, token: number): Promise<boolean> {
    assertLockArguments(owner);
    return Number(await this.checkScript([lockKey(model)], [lockValue(owner, token)])) === 1;
  }
}
