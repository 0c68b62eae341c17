export * from './types.js';
export { RedisMonitorState } from './redis-monitor-state.js';
export type { RedisMonitorStateOptions } from './redis-monitor-state.js';
export { MemoryMonitorState } from './memory-monitor-state.js';
export { MemoryObjects } from './memory-objects.js';
export { DEFAULT_REBUILD_EVERY } from './requests.js';

