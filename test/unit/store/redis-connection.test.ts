import { describe, expect, it } from 'vitest';
import {
  buildClusterOptions,
  buildRedisOptions,
  parseRedisUrl,
  reconnectDelayMs,
  resolveRedisConnection,
} from '../../../shared/store/redis-connection.js';
import { StoreUnavailableError } from '../../../shared/store/errors.js';

describe('parseRedisUrl', () => {
  it('reads host, port, credentials and database', () => {
    expect(parseRedisUrl('redis://alice:p%40ss%3Aword@cache.internal:6380/3')).toEqual({
      host: 'cache.internal',
      port: 6380,
      username: 'alice',
      password: 'p@ss:word',
      db: 3,
      tlsImplied: false,
    });
  });

  it('defaults the port, takes a password without user, and marks rediss as TLS', () => {
    expect(parseRedisUrl('rediss://:only-pw@example.com')).toEqual({
      host: 'example.com',
      port: 6379,
      password: 'only-pw',
      tlsImplied: true,
    });
  });

  it('unwraps IPv6 literals', () => {
    expect(parseRedisUrl('redis://[::1]:7000')).toMatchObject({ host: '::1', port: 7000 });
  });

  it('rejects other schemes and bad databases without echoing the URL', () => {
    expect(() => parseRedisUrl('http://u:hunter2@host')).toThrow(/scheme/);
    expect(() => parseRedisUrl('redis://host/abc')).toThrow(/database/);
    const error = (() => {
      try {
        parseRedisUrl('redis://u:hunter2@ho st');
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error?.message).toBeDefined();
    expect(error?.message).not.toContain('hunter2');
  });
});

describe('resolveRedisConnection', () => {
  it('resolves a single-node URL with safe address and explicit overrides', () => {
    const resolved = resolveRedisConnection({ url: 'redis://alice:from-url@10.0.0.5:6390/2', password: 'from-secret-store' });
    expect(resolved).toMatchObject({
      mode: 'single',
      nodes: [{ host: '10.0.0.5', port: 6390 }],
      address: '10.0.0.5:6390',
      db: 2,
      username: 'alice',
      password: 'from-secret-store',
      tls: undefined,
    });
    expect(resolved.address).not.toContain('secret');
    const options = buildRedisOptions(resolved);
    expect(options).toMatchObject({ host: '10.0.0.5', port: 6390, db: 2, username: 'alice', password: 'from-secret-store', lazyConnect: true });
    expect(options.tls).toBeUndefined();
  });

  it('enables TLS for rediss:// and carries CA, client certificate and verification choice', () => {
    expect(resolveRedisConnection('rediss://cache:6379').tls).toEqual({});
    const resolved = resolveRedisConnection({
      host: 'cache',
      tls: { ca: 'CA-PEM', cert: 'CERT-PEM', key: 'KEY-PEM', rejectUnauthorized: false, servername: 'cache.example' },
    });
    expect(buildRedisOptions(resolved).tls).toEqual({
      ca: 'CA-PEM',
      cert: 'CERT-PEM',
      key: 'KEY-PEM',
      rejectUnauthorized: false,
      servername: 'cache.example',
    });
    // An explicit `tls: false` wins over the scheme.
    expect(resolveRedisConnection({ url: 'rediss://cache', tls: false }).tls).toBeUndefined();
  });

  it('resolves Cluster seed nodes in every accepted form', () => {
    const resolved = resolveRedisConnection({
      clusterNodes: ['rediss://bob:pw@node-a:7000', 'node-b:7001', { host: 'node-c', port: 7002 }],
    });
    expect(resolved.mode).toBe('cluster');
    expect(resolved.nodes).toEqual([
      { host: 'node-a', port: 7000 },
      { host: 'node-b', port: 7001 },
      { host: 'node-c', port: 7002 },
    ]);
    expect(resolved.address).toBe('node-a:7000,node-b:7001,node-c:7002');
    const options = buildClusterOptions(resolved);
    expect(options.redisOptions).toMatchObject({ username: 'bob', password: 'pw', tls: {} });
    expect(options.lazyConnect).toBe(true);
    expect(typeof options.dnsLookup).toBe('function');
    expect(options.clusterRetryStrategy?.(50)).toBeLessThanOrEqual(resolved.retry.maxDelayMs);
  });

  it('refuses a database other than 0 on Cluster and ports out of range', () => {
    expect(() => resolveRedisConnection({ clusterNodes: ['a:7000'], db: 1 })).toThrow(/database 0/);
    expect(() => resolveRedisConnection({ host: 'a', port: 70_000 })).toThrow(/port/);
  });

  it('applies defaults for timeouts and backoff', () => {
    expect(resolveRedisConnection('redis://h')).toMatchObject({
      connectTimeoutMs: 5_000,
      readyDeadlineMs: 10_000,
      retry: { initialDelayMs: 100, maxDelayMs: 5_000 },
    });
  });
});

describe('reconnectDelayMs', () => {
  const retry = { initialDelayMs: 100, maxDelayMs: 2_000 };

  it('doubles per attempt up to the cap', () => {
    const upper = (attempt: number) => reconnectDelayMs(attempt, retry, () => 1);
    expect([1, 2, 3, 4, 5, 6, 50, 10_000].map(upper)).toEqual([100, 200, 400, 800, 1_600, 2_000, 2_000, 2_000]);
  });

  it('jitters within the upper half of the ceiling', () => {
    expect(reconnectDelayMs(3, retry, () => 0)).toBe(200);
    expect(reconnectDelayMs(3, retry, () => 0.5)).toBe(300);
  });
});

describe('StoreUnavailableError', () => {
  it('names the address and strips credentials a cause might echo', () => {
    const error = new StoreUnavailableError('h:6379', 500, { cause: new Error('cannot reach redis://u:topsecret@h:6379') });
    expect(error.message).toContain('h:6379');
    expect(error.message).toContain('500 ms');
    expect(error.message).not.toContain('topsecret');
    expect(error.name).toBe('StoreUnavailableError');
  });
});
