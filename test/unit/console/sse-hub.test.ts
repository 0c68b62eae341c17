import { createServer } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { SseHub } from '../../../shared/console/sse-hub.js';
import { openSse } from '../../support/sse-client.js';
import { until } from '../../support/until.js';

describe('console SSE hub', () => {
  it('streams each event as `event: <type>` with JSON data, pings idle streams, and counts clients', async () => {
    const counts: number[] = [];
    const hub = new SseHub(50, (n) => counts.push(n));
    const server = createServer((_request, response) => hub.attach(response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const stream = await openSse((server.address() as AddressInfo).port, '/');
    try {
      expect(stream.contentType).toContain('text/event-stream');
      await until('a ping', () => stream.comments.filter((c) => c === 'ping').length, (n) => n >= 2, 5_000);
      hub.publish({ type: 'incident', data: { id: 'i1' } as never });
      await until('the event', () => stream.events.length, (n) => n === 1, 5_000);
      expect(stream.events).toEqual([{ event: 'incident', data: { id: 'i1' } }]);
      expect(hub.size).toBe(1);
    } finally {
      stream.close();
      await until('the client to go', () => hub.size, (n) => n === 0, 5_000);
      hub.close();
      await new Promise((resolve) => server.close(resolve));
    }
    expect(counts).toEqual([1, 0, 0]);
  });

  it('drops a client that stopped reading once its buffered bytes pass the limit, and keeps the others', async () => {
    const hub = new SseHub(60_000, () => {}, 64 * 1024);
    const server = createServer((_request, response) => hub.attach(response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const reader = await openSse(port, '/');
    // A raw socket that sends the request and then never reads: its kernel buffers fill, then Node's.
    const stalled = connect(port, '127.0.0.1');
    stalled.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    stalled.pause();
    try {
      await until('both attached', () => hub.size, (n) => n === 2, 5_000);
      const big = 'x'.repeat(16 * 1024);
      for (let i = 0; i < 2_000 && hub.size === 2; i++) {
        hub.publish({ type: 'incident', data: { id: `i${i}`, pad: big } as never });
        // Lets the reading client drain between events, as a live page does.
        await new Promise((resolve) => setImmediate(resolve));
      }
      await until('the stalled client dropped', () => hub.size, (n) => n === 1, 10_000);
      hub.publish({ type: 'incident', data: { id: 'after' } as never });
      await until('the reader still served', () => reader.events.some((e) => (e.data as { id: string }).id === 'after'), Boolean, 10_000);
    } finally {
      stalled.destroy();
      reader.close();
      hub.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
