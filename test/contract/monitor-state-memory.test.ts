import { MemoryMonitorState } from '../../shared/monitor-state/memory-monitor-state.js';
import { MemoryKeyspace } from '../../shared/store/memory-store.js';
import { describeMonitorStateContract } from './monitor-state.contract.js';

describeMonitorStateContract('MemoryMonitorState', async () => {
  let clock = 1_700_000_000_000;
  const keyspace = new MemoryKeyspace({ now: () => clock });
  return {
    open: async () => new MemoryMonitorState(keyspace),
    elapse: async (ms) => {
      clock += ms;
    },
  };
});
