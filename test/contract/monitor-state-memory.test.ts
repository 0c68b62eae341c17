import { MemoryMonitorState } from '../../shared/monitor-state/memory-monitor-state.js';
import { MemoryKeyspace } from '../../shared/store/memory-store.js';
import { describeMonitorStateContract } from './monitor-state.contract.js';

describeMonitorStateContract('MemoryMonitorState', async () => {
  const keyspace = new MemoryKeyspace();
  return { open: async () => new MemoryMonitorState(keyspace) };
});
