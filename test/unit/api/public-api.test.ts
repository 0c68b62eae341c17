import { describe, expect, it } from 'vitest';
import * as driftwatch from '../../../shared/index.js';

describe('the package entry', () => {
  it('exports the codec, bus, store, SDK and statistics', () => {
    for (const name of ['Codec', 'CodecError', 'KafkaBus', 'MemoryBus', 'RedisStore', 'MemoryStore', 'DriftwatchClient', 'topicNames', 'loadRuntimeConfig', 'createLogger']) {
      expect(typeof (driftwatch as Record<string, unknown>)[name], name).toBe('function');
    }
    for (const name of ['ConfusionMatrix', 'NumericHistogram', 'ADWIN', 'KSWIN', 'psiBinned', 'ksTwoSample', 'accuracy']) {
      expect(typeof (driftwatch.stats as Record<string, unknown>)[name], name).toBe('function');
    }
  });
});
