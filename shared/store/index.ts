export type { ApplyBatchRequest, ApplyBatchResult, BatchSource, CounterDelta, StateStore } from './types.js';
export { modelKey } from './types.js';
export { InvalidBatchError, StoreUnavailableError } from './errors.js';
export { OFFSETS_KEY, offsetField } from './batch-request.js';
export { MemoryKeyspace, MemoryStore } from './memory-store.js';
export type { MemoryKeyspaceOptions } from './memory-store.js';
export { RedisStore } from './redis-store.js';
export { connectRedis, parseRedisUrl, reconnectDelayMs, resolveRedisConnection } from './redis-connection.js';
export type {
  ConnectionLogger,
  RedisClient,
  RedisConnectionConfig,
  RedisNodeAddress,
  RedisRetryOptions,
  RedisTlsOptions,
  ResolvedRedisConnection,
} from './redis-connection.js';
export { defineLuaScript, expandLuaIncludes, readLuaScript } from './lua-scripts.js';
export type { LuaCommand, LuaScriptDefinition } from './lua-scripts.js';
