import { connectRedis } from '../../shared/store/redis-connection.js';
import { RedisIncidentStore } from '../../shared/retrain/redis-incident-store.js';
import { RedisRetrainLocks } from '../../shared/retrain/redis-retrain-locks.js';
import { RedisRetrainQueue } from '../../shared/retrain/redis-retrain-queue.js';
import { redisUrl, uniqueName } from '../setup/env.js';
import { describeRetrainStateContract } from './retrain-state.contract.js';

describeRetrainStateContract('Redis (Lua)', async () => {
  const client = await connectRedis(redisUrl());
  const namespace = uniqueName('contract');
  return {
    namespace,
    locks: new RedisRetrainLocks(client),
    queue: new RedisRetrainQueue(client, namespace),
    incidents: new RedisIncidentStore(client, namespace),
    withKeyTtl: (keyTtl, ns) => ({
      locks: new RedisRetrainLocks(client, keyTtl),
      queue: new RedisRetrainQueue(client, ns, keyTtl),
      incidents: new RedisIncidentStore(client, ns, keyTtl),
    }),
    pttl: (key) => client.pttl(key),
    elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    close: async () => {
      await client.quit();
    },
  };
});
