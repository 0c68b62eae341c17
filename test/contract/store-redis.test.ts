import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { StoreUnavailableError } from '../../shared/store/errors.js';
import { connectRedis } from '../../shared/store/redis-connection.js';
import { RedisStore } from '../../shared/store/redis-store.js';
import { redisUrl, uniqueName } from '../setup/env.js';
import { scanKeys } from '../support/redis-keys.js';
import { describeStoreContract } from './store.contract.js';

// SCAN's MATCH is a glob; model names are plain, but escape glob characters all the same.
const globEscape = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');

describeStoreContract('RedisStore', async () => {
  const admin = new Redis(redisUrl());
  return {
    open: () => RedisStore.connect(redisUrl()),
    elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    keysContaining: (model) => scanKeys(admin, `*${globEscape(model)}*`),
    dropModel: async (model) => {
      const keys = await scanKeys(admin, `*${globEscape(model)}*`);
      if (keys.length > 0) await admin.del(...keys);
    },
    close: async () => {
      await admin.quit();
    },
  };
});

describe('RedisStore on a real Redis', () => {
  let admin: Redis;
  let store: RedisStore;
  const model = uniqueName('redis-only');
  const source = { group: 'g', topic: 't', partition: 0 };

  beforeAll(async () => {
    admin = new Redis(redisUrl());
    store = await RedisStore.connect(redisUrl());
  });
  afterAll(async () => {
    const keys = await scanKeys(admin, `*${model}*`);
    if (keys.length > 0) await admin.del(...keys);
    await store.close();
    await admin.quit();
  });

  it('stores sums as 17-significant-digit strings that read back as the same double', async () => {
    await store.applyBatch({ model, source: { ...source, offset: 1 }, deltas: [{ key: 'f', field: 'x', by: 1.2345678901234568e-10 }] });
    await store.applyBatch({ model, source: { ...source, offset: 2 }, deltas: [{ key: 'f', field: 'x', by: 1.2345678901234568e-10 }] });
    const raw = await admin.hget(`dw:{${model}}:f`, 'x');
    expect(Number(raw)).toBe(1.2345678901234568e-10 + 1.2345678901234568e-10);
  });

  it('refuses a batch touching a non-hash key before writing anything', async () => {
    await admin.set(`dw:{${model}}:not-a-hash`, 'x');
    const request = {
      model,
      source: { ...source, partition: 1, offset: 5 },
      deltas: [
        { key: 'first', field: 'n', by: 1 },
        { key: 'not-a-hash', field: 'n', by: 1 },
      ],
    };
    await expect(store.applyBatch(request)).rejects.toThrow(/WRONGTYPE/);
    expect(await admin.exists(`dw:{${model}}:first`)).toBe(0);
    expect(await store.lastOffset(model, request.source)).toBe(-1);
  });

  it('refuses a batch onto a field holding a non-number before writing anything', async () => {
    await admin.hset(`dw:{${model}}:corrupt`, 'n', 'abc');
    const request = {
      model,
      source: { ...source, partition: 2, offset: 5 },
      deltas: [
        { key: 'second', field: 'n', by: 1 },
        { key: 'corrupt', field: 'n', by: 1 },
      ],
    };
    await expect(store.applyBatch(request)).rejects.toThrow(/non-number/);
    expect(await admin.exists(`dw:{${model}}:second`)).toBe(0);
    expect(await store.lastOffset(model, request.source)).toBe(-1);
  });

  it('sends the whole batch as one EVALSHA/EVAL', async () => {
    const before = await commandCalls(admin);
    const deltas = Array.from({ length: 10_000 }, (_, i) => ({ key: `k${i % 40}`, field: `f${i}`, by: i + 0.5 }));
    await store.applyBatch({ model, source: { ...source, partition: 3, offset: 1 }, deltas });
    const after = await commandCalls(admin);
    // Other engineers share this Redis; their scripts may run too, but never fewer than ours.
    expect(after - before).toBeGreaterThanOrEqual(1);
    expect(after - before).toBeLessThan(5);
  });
});

/** evalsha + eval calls so far, from INFO commandstats. */
async function commandCalls(client: Redis): Promise<number> {
  const info = await client.info('commandstats');
  let calls = 0;
  for (const match of info.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)) calls += Number(match[1]);
  return calls;
}

describe('connectRedis', () => {
  async function closedPort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }

  it('fails with StoreUnavailableError naming the address, without the password, in bounded time', async () => {
    const port = await closedPort();
    const started = performance.now();
    const error = await connectRedis({ url: `redis://alice:s3cret-pw@127.0.0.1:${port}`, readyDeadlineMs: 700 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(StoreUnavailableError);
    const unavailable = error as StoreUnavailableError;
    expect(unavailable.address).toBe(`127.0.0.1:${port}`);
    expect(unavailable.message).toContain(`127.0.0.1:${port}`);
    expect(unavailable.message).not.toContain('s3cret-pw');
    expect(JSON.stringify(unavailable)).not.toContain('s3cret-pw');
    expect(elapsed).toBeGreaterThanOrEqual(650);
    expect(elapsed).toBeLessThan(2_500);
  });

  it('fails within the deadline when the server accepts TCP but never answers', async () => {
    // A listener that swallows everything: connect succeeds, the ready check never returns.
    const sockets: Socket[] = [];
    const server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const started = performance.now();
      await expect(connectRedis({ host: '127.0.0.1', port, readyDeadlineMs: 600 })).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(performance.now() - started).toBeLessThan(2_500);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('connects to the running Redis', async () => {
    const client = await connectRedis(redisUrl());
    try {
      expect(await client.ping()).toBe('PONG');
    } finally {
      await client.quit();
    }
  });
});
