import { MemoryObjects } from '../../shared/monitor-state/memory-objects.js';
import { MemoryIncidentStore } from '../../shared/retrain/memory-incident-store.js';
import { MemoryRetrainLocks } from '../../shared/retrain/memory-retrain-locks.js';
import { MemoryRetrainQueue } from '../../shared/retrain/memory-retrain-queue.js';
import { MemoryKeyspace } from '../../shared/store/memory-store.js';
import { describeRetrainStateContract } from './retrain-state.contract.js';

describeRetrainStateContract('memory twin', async () => {
  let clock = 1_700_000_000_000;
  const keyspace = new MemoryKeyspace({ now: () => clock });
  const namespace = 'contract.';
  return {
    namespace,
    locks: new MemoryRetrainLocks(keyspace),
    queue: new MemoryRetrainQueue(keyspace, namespace),
    incidents: new MemoryIncidentStore(keyspace, namespace),
    withKeyTtl: (keyTtl, ns) => ({
      locks: new MemoryRetrainLocks(keyspace, keyTtl),
      queue: new MemoryRetrainQueue(keyspace, ns, keyTtl),
      incidents: new MemoryIncidentStore(keyspace, ns, keyTtl),
    }),
    pttl: async (key) => MemoryObjects.of(keyspace).ttlMs(key),
    elapse: async (ms) => {
      clock += ms;
    },
  };
});
