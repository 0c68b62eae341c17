// The delivery records' Lua scripts on the real Redis: one claim holder per (alert id, sink),
// outcomes that skip later claims and are never downgraded, claims that expire or are given
// back, and keys that all expire.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeliveryLedger, deliveryKey } from '../../shared/notify/delivery-ledger.js';
import { connectRedis, type RedisClient } from '../../shared/store/redis-connection.js';
import { redisUrl, uniqueName } from '../setup/env.js';

let client: RedisClient;

beforeAll(async () => {
  client = await connectRedis(redisUrl());
});

afterAll(async () => {
  await client?.quit();
});

describe('delivery ledger on Redis', () => {
  it('lets one owner claim a delivery; the other sees it busy, then done', async () => {
    const namespace = uniqueName('ledger');
    const a = new DeliveryLedger(client, namespace, 'a');
    const b = new DeliveryLedger(client, namespace, 'b');
    expect(await a.claim('slack', 'alert-1', 60_000)).toEqual({ state: 'claimed' });
    // Claiming again as the holder renews it (a redelivered batch of the same instance).
    expect(await a.claim('slack', 'alert-1', 60_000)).toEqual({ state: 'claimed' });
    const busy = await b.claim('slack', 'alert-1', 60_000);
    expect(busy.state).toBe('busy');
    expect(busy.state === 'busy' && busy.expiresInMs > 50_000 && busy.expiresInMs <= 60_000).toBe(true);
    // Another sink of the same alert is its own delivery.
    expect(await b.claim('webhook', 'alert-1', 60_000)).toEqual({ state: 'claimed' });

    expect(await a.finish('slack', 'alert-1', 'delivered', 3_600_000)).toBe('held');
    expect(await b.claim('slack', 'alert-1', 60_000)).toEqual({ state: 'delivered' });
    // Never downgraded: a late 'dead' from anyone leaves it delivered.
    expect(await b.finish('slack', 'alert-1', 'dead', 3_600_000)).toBe('delivered');
    expect(await client.get(deliveryKey(namespace, 'slack', 'alert-1'))).toBe('delivered');

    expect(await b.finish('webhook', 'alert-1', 'dead', 3_600_000)).toBe('held');
    expect(await a.claim('webhook', 'alert-1', 60_000)).toEqual({ state: 'dead' });
  });

  it('hands an expired claim to the next owner, and tells the late finisher its claim was lost', async () => {
    const namespace = uniqueName('ledger');
    const a = new DeliveryLedger(client, namespace, 'a');
    const b = new DeliveryLedger(client, namespace, 'b');
    expect(await a.claim('am', 'alert-2', 100)).toEqual({ state: 'claimed' });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(await b.claim('am', 'alert-2', 60_000)).toEqual({ state: 'claimed' });
    expect(await a.finish('am', 'alert-2', 'delivered', 60_000)).toBe('lost');
  });

  it('gives a claim back only to its holder', async () => {
    const namespace = uniqueName('ledger');
    const a = new DeliveryLedger(client, namespace, 'a');
    const b = new DeliveryLedger(client, namespace, 'b');
    await a.claim('slack', 'alert-3', 60_000);
    expect(await b.release('slack', 'alert-3')).toBe(false);
    expect((await b.claim('slack', 'alert-3', 60_000)).state).toBe('busy');
    expect(await a.release('slack', 'alert-3')).toBe(true);
    expect(await b.claim('slack', 'alert-3', 60_000)).toEqual({ state: 'claimed' });
  });

  it('puts an expiry on every key it writes', async () => {
    const namespace = uniqueName('ledger');
    const a = new DeliveryLedger(client, namespace, 'a');
    await a.claim('slack', 'alert-4', 60_000);
    const claimTtl = await client.pttl(deliveryKey(namespace, 'slack', 'alert-4'));
    expect(claimTtl).toBeGreaterThan(50_000);
    await a.finish('slack', 'alert-4', 'delivered', 7 * 86_400_000);
    const recordTtl = await client.pttl(deliveryKey(namespace, 'slack', 'alert-4'));
    expect(recordTtl).toBeGreaterThan(6 * 86_400_000);
  });
});
