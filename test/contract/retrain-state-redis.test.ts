import { connectRedis } from '../../shared/store/redis-connection.js';
import { RedisRetrainLocks } from '../../shared/retrain/redis-retrain-locks.js';
import { RedisRetrainQueue } from '../../shared/retrain/redis-retrain-queue.js';
import { redisUrl, uniqueName } from '../setup/env.js';
import { describeRetrainStateContract } from './retrain-state.contract.js';

describeRetrainStateContract('Redis (Lua)', async () => {
  const client = await connectRedis(redisUrl());
  return {
    locks: new RedisRetrainLocks(client),
    queue: new RedisRetrainQueue(client, uniqueName('contract')),
    elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    close: async () => {
      await client.quit();
    },
  };
});
