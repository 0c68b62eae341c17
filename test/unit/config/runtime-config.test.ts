import { describe, expect, it } from 'vitest';
import { ConfigError, loadRuntimeConfig } from '../../../shared/config/runtime-config.js';
import { topicNames, topicSpecs } from '../../../shared/topics.js';

describe('loadRuntimeConfig', () => {
  it('has defaults for a local run', () => {
    const config = loadRuntimeConfig({});
    expect(config.mode).toBe('embedded');
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.topics).toEqual({ prefix: 'dw.', partitions: 6 });
  });

  it('parses lists, flags and numbers from the environment', () => {
    const config = loadRuntimeConfig({
      DW_MODE: 'distributed',
      KAFKA_BROKERS: 'a:9092, b:9093',
      KAFKA_SSL: 'yes',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'p',
      DW_TOPIC_PARTITIONS: '12',
    });
    expect(config.kafka.brokers).toEqual(['a:9092', 'b:9093']);
    expect(config.kafka.ssl).toBe(true);
    expect(config.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'u', password: 'p' });
    expect(config.topics.partitions).toBe(12);
  });

  it('names the variable that is wrong', () => {
    expect(() => loadRuntimeConfig({ KAFKA_BROKERS: 'no-port' })).toThrow(/KAFKA_BROKERS: expected host:port/);
    expect(() => loadRuntimeConfig({ DW_TOPIC_PARTITIONS: '0' })).toThrow(/DW_TOPIC_PARTITIONS/);
    expect(() => loadRuntimeConfig({ REDIS_URL: 'http://x' })).toThrow(ConfigError);
    expect(() => loadRuntimeConfig({ KAFKA_SASL_MECHANISM: 'plain' })).toThrow(/KAFKA_SASL_USERNAME/);
  });
});

describe('topics', () => {
  it('prefixes names and compacts only the models and incidents topics', () => {
    const names = topicNames('t.');
    expect(names.predictions).toBe('t.predictions');
    const specs = topicSpecs(names, 4);
    expect(specs.find((s) => s.topic === 't.models')).toEqual({ topic: 't.models', partitions: 1, cleanupPolicy: 'compact' });
    expect(specs.find((s) => s.topic === 't.labels')?.partitions).toBe(4);
    expect(specs.filter((s) => s.cleanupPolicy === 'compact').map((s) => s.topic)).toEqual(['t.models', 't.incidents']);
  });
});

describe('KAFKA_SESSION_TIMEOUT_MS', () => {
  it('is passed through when set and refused when out of range', () => {
    expect(loadRuntimeConfig({}).kafka.sessionTimeoutMs).toBeUndefined();
    expect(loadRuntimeConfig({ KAFKA_SESSION_TIMEOUT_MS: '6000' }).kafka.sessionTimeoutMs).toBe(6000);
    expect(() => loadRuntimeConfig({ KAFKA_SESSION_TIMEOUT_MS: '10' })).toThrow(/KAFKA_SESSION_TIMEOUT_MS/);
  });
});
