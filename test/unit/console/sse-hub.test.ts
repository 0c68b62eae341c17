import { createServer } from 'node:http';
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
});
