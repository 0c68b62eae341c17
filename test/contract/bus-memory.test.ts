import { MemoryBus } from '../../shared/bus/memory-bus.js';
import { busContract } from './bus.contract.js';

// Small batches so that multi-batch paths (commit between batches, redelivery from the middle) run.
busContract({
  name: 'MemoryBus',
  createBus: async () => new MemoryBus({ maxBatchMessages: 64, retryInitialMs: 20 }),
  deliveryTimeoutMs: 5_000,
  quietMs: 50,
});
