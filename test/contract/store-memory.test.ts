import { MemoryKeyspace, MemoryStore } from '../../shared/store/memory-store.js';
import { describeStoreContract } from './store.contract.js';

describeStoreContract('MemoryStore', async () => {
  let clock = 1_700_000_000_000;
  const keyspace = new MemoryKeyspace({ now: () => clock });
  return {
    open: async () => new MemoryStore(keyspace),
    elapse: async (ms) => {
      clock += ms;
    },
    keysContaining: async (model) => keyspace.keys().filter((key) => key.includes(model)),
  };
});
