import { MemoryRetrainLocks } from '../../shared/retrain/memory-retrain-locks.js';
import { MemoryRetrainQueue } from '../../shared/retrain/memory-retrain-queue.js';
import { MemoryKeyspace } from '../../shared/store/memory-store.js';
import { describeRetrainStateContract } from './retrain-state.contract.js';

describeRetrainStateContract('memory twin', async () => {
  let clock = 1_700_000_000_000;
  const keyspace = new MemoryKeyspace({ now: () => clock });
  return {
    locks: new MemoryRetrainLocks(keyspace),
    queue: new MemoryRetrainQueue(keyspace, 'contract.'),
    elapse: async (ms) => {
      clock += ms;
    },
  };
});
