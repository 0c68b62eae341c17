import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_PARTITIONS_CONCURRENTLY, loadRuntimeConfig } from '../../../shared/config/runtime-config.js';
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

describe('DW_PARTITIONS_CONCURRENTLY', () => {
  it('defaults to DEFAULT_PARTITIONS_CONCURRENTLY, is passed through when set and refused when not a positive integer', () => {
    expect(loadRuntimeConfig({}).partitionsConcurrently).toBe(DEFAULT_PARTITIONS_CONCURRENTLY);
    expect(loadRuntimeConfig({ DW_PARTITIONS_CONCURRENTLY: '4' }).partitionsConcurrently).toBe(4);
    for (const bad of ['0', '-2', '1.5', 'many']) {
      expect(() => loadRuntimeConfig({ DW_PARTITIONS_CONCURRENTLY: bad })).toThrow(/DW_PARTITIONS_CONCURRENTLY/);
    }
  });
});

describe('TLS settings (KAFKA_SSL_*, REDIS_TLS_*)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dw-tls-config-'));
  const ca = join(dir, 'ca.pem');
  const cert = join(dir, 'client.pem');
  const key = join(dir, 'client.key');
  const notPem = join(dir, 'not-pem.txt');
  writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  writeFileSync(cert, '-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n');
  writeFileSync(key, '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');
  writeFileSync(notPem, 'hello');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the CA and client certificate files at start and turns TLS on', () => {
    const config = loadRuntimeConfig({ KAFKA_SSL_CA: ca, KAFKA_SSL_CERT: cert, KAFKA_SSL_KEY: key });
    expect(config.kafka.ssl).toEqual({ ca: readFileSync(ca), cert: readFileSync(cert), key: readFileSync(key) });
    expect(loadRuntimeConfig({ KAFKA_SSL: 'true', KAFKA_SSL_REJECT_UNAUTHORIZED: 'false' }).kafka.ssl).toEqual({ rejectUnauthorized: false });
    // Plain flags keep their meaning.
    expect(loadRuntimeConfig({}).kafka.ssl).toBe(false);
    expect(loadRuntimeConfig({ KAFKA_SSL: 'true' }).kafka.ssl).toBe(true);
  });

  it('fails at start naming the variable and the path of a file it cannot use', () => {
    const missing = join(dir, 'nope.pem');
    expect(() => loadRuntimeConfig({ KAFKA_SSL_CA: missing })).toThrow(ConfigError);
    expect(() => loadRuntimeConfig({ KAFKA_SSL_CA: missing })).toThrow(`KAFKA_SSL_CA: cannot read ${missing} (ENOENT)`);
    expect(() => loadRuntimeConfig({ KAFKA_SSL_CA: dir })).toThrow(`KAFKA_SSL_CA: cannot read ${dir} (EISDIR)`);
    expect(() => loadRuntimeConfig({ KAFKA_SSL_CA: notPem })).toThrow(`KAFKA_SSL_CA: ${notPem} holds no PEM certificate`);
    expect(() => loadRuntimeConfig({ KAFKA_SSL_CERT: cert, KAFKA_SSL_KEY: ca })).toThrow(/KAFKA_SSL_KEY: .* holds no PEM private key/);
    expect(() => loadRuntimeConfig({ KAFKA_SSL_CERT: cert })).toThrow(/KAFKA_SSL_CERT and KAFKA_SSL_KEY go together/);
    expect(() => loadRuntimeConfig({ KAFKA_SSL: 'false', KAFKA_SSL_CA: ca })).toThrow(/KAFKA_SSL=false but/);
    expect(() => loadRuntimeConfig({ KAFKA_SSL_REJECT_UNAUTHORIZED: 'maybe' })).toThrow(/KAFKA_SSL_REJECT_UNAUTHORIZED/);
  });

  it('takes Redis TLS files only with a rediss:// URL', () => {
    const config = loadRuntimeConfig({ REDIS_URL: 'rediss://redis:6380', REDIS_TLS_CA: ca, REDIS_TLS_REJECT_UNAUTHORIZED: 'true' });
    expect(config.redis.tls).toEqual({ ca: readFileSync(ca), rejectUnauthorized: true });
    expect(loadRuntimeConfig({ REDIS_URL: 'rediss://redis:6380' }).redis.tls).toBeUndefined();
    expect(() => loadRuntimeConfig({ REDIS_URL: 'redis://redis:6379', REDIS_TLS_CA: ca })).toThrow(/REDIS_URL is not rediss:\/\//);
    expect(() => loadRuntimeConfig({ REDIS_URL: 'rediss://redis:6380', REDIS_TLS_KEY: join(dir, 'gone.key') })).toThrow(
      /REDIS_TLS_CERT and REDIS_TLS_KEY go together/,
    );
    expect(() =>
      loadRuntimeConfig({ REDIS_URL: 'rediss://redis:6380', REDIS_TLS_CERT: cert, REDIS_TLS_KEY: join(dir, 'gone.key') }),
    ).toThrow(`REDIS_TLS_KEY: cannot read ${join(dir, 'gone.key')} (ENOENT)`);
  });
});
