// Server-sent events to every connected page: each ConsoleEvent as `event: <type>` with its JSON,
// and a `: ping` comment every 15 s so proxies and the browser keep an idle stream open. Nothing
// is replayed on connect (the page loads the API first, then applies events).
import type { ServerResponse } from 'node:http';
import type { ConsoleEvent } from './console-history.js';

export const PING_EVERY_MS = 15_000;
/**
 * Bytes a stream may have waiting in its socket buffer. A page that stopped reading (a
 * suspended laptop, a stuck proxy) would otherwise make every event pile up in this process;
 * past this it is disconnected, and the page reloads from the API when it reconnects.
 */
export const MAX_BUFFERED_BYTES = 1024 * 1024;

export class SseHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    pingEveryMs: number = PING_EVERY_MS,
    private readonly onCount: (clients: number) => void = () => {},
    private readonly maxBufferedBytes: number = MAX_BUFFERED_BYTES,
  ) {
    this.timer = setInterval(() => this.write(': ping\n\n'), pingEveryMs);
    this.timer.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Takes over the response as an event stream until the client goes. */
  attach(response: ServerResponse): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx buffers responses by default, which would hold events back.
      'x-accel-buffering': 'no',
    });
    response.write(': connected\n\n');
    this.clients.add(response);
    this.onCount(this.clients.size);
    response.on('close', () => {
      this.clients.delete(response);
      this.onCount(this.clients.size);
    });
  }

  publish(event: ConsoleEvent): void {
    if (this.clients.size === 0) return;
    this.write(`event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`);
  }

  /** Ends every stream (on shutdown, so server.close() is not held open by them). */
  close(): void {
    clearInterval(this.timer);
    for (const client of this.clients) client.end();
    this.clients.clear();
    this.onCount(0);
  }

  private write(chunk: string): void {
    for (const client of this.clients) {
      if (client.writableLength > this.maxBufferedBytes) {
        // 'close' follows and removes it from the set.
        client.destroy();
        continue;
      }
      client.write(chunk);
    }
  }
}
