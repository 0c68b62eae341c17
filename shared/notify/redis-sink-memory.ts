// SinkMemory on Redis: one expiring string per (sink, alert key), beside the delivery records.
// Single commands, no script: one key's transitions are delivered one after another.
import type { RedisClient } from '../store/redis-connection.js';
import type { SinkMemory } from './sink-kind.js';

export function sinkMemoryKey(namespace: string, sink: string, alertKey: string): string {
  return `dw:notify:${namespace}:${sink}:memory:${alertKey}`;
}

export function redisSinkMemory(client: RedisClient, namespace: string, sink: string): SinkMemory {
  const key = (alertKey: string) => sinkMemoryKey(namespace, sink, alertKey);
  return {
    get: (alertKey) => client.get(key(alertKey)),
    set: async (alertKey, value, ttlMs) => {
      await client.set(key(alertKey), value, 'PX', Math.ceil(ttlMs));
    },
    delete: async (alertKey) => {
      await client.del(key(alertKey));
    },
  };
}
