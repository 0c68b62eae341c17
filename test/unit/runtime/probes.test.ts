import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { kafkaProbe, redisProbe } from '../../../shared/runtime/probes.js';
import type { RedisClient } from '../../../shared/store/redis-connection.js';

/** A port nothing listens on: bound, read, released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('kafkaProbe', () => {
  it('fails fast, without retrying for minutes, when no broker answers', async () => {
    const kafka = kafkaProbe([`127.0.0.1:${await closedPort()}`], 'probe-test');
    const started = Date.now();
    await expect(kafka.probe()).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5_000);
    // A second attempt reconnects rather than reusing a dead client.
    await expect(kafka.probe()).rejects.toThrow();
    await kafka.close();
  });
});

describe('redisProbe', () => {
  const fakeClient = (status: string, reply: string): RedisClient =>
    ({ status, ping: async () => reply }) as unknown as RedisClient;

  it('passes on PONG from a ready connection', async () => {
    await expect(redisProbe(fakeClient('ready', 'PONG'))()).resolves.toBeUndefined();
  });

  it('fails without sending PING while the client reconnects, instead of queueing it', async () => {
    let pinged = false;
    const client = { status: 'reconnecting', ping: async () => ((pinged = true), 'PONG') } as unknown as RedisClient;
    await expect(redisProbe(client)()).rejects.toThrow('reconnecting');
    expect(pinged).toBe(false);
  });
});
