// The console's user-facing HTTP server (node:http): the page and its assets, the JSON API and
// the SSE stream, all behind the token when one is set. Without a token it listens on
// 127.0.0.1 only and says so once; the ops endpoints (/healthz, /readyz, /metrics) are on the
// separate ops server.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { HttpError, type RouteReply } from '../runtime/ops-server.js';
import type { ApiRoute } from './api-routes.js';
import { tokenCheck } from './http-auth.js';
import type { SseHub } from './sse-hub.js';
import type { StaticAssets } from './static-assets.js';

/** Largest POST body accepted (a rollback's version and reason). */
const MAX_BODY_BYTES = 16 * 1024;

export interface ConsoleServerOptions {
  port: number;
  host: string;
  token: string | null;
  routes: ApiRoute[];
  sse: SseHub;
  assets: StaticAssets;
  /** Null when the API can answer; else why not (503), e.g. while the history is rebuilt. */
  unavailable: () => string | null;
  logger: Logger;
}

export interface ConsoleServer {
  readonly port: number;
  readonly host: string;
  /** http://<host>:<port>/ as a browser on this machine reaches it. */
  readonly url: string;
  close(): Promise<void>;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  response.end(response.req.method === 'HEAD' ? undefined : text);
}

function readJsonBody(request: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(400, `the body is larger than ${MAX_BODY_BYTES} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('error', reject);
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new HttpError(400, 'the body is not valid JSON'));
      }
    });
  });
}

async function handle(request: IncomingMessage, response: ServerResponse, options: ConsoleServerOptions, authorized: ReturnType<typeof tokenCheck>): Promise<void> {
  let url: URL;
  try {
    url = new URL(request.url ?? '/', 'http://console');
  } catch {
    sendJson(response, 400, { error: 'malformed request URL' });
    return;
  }
  if (!authorized(request, url)) {
    sendJson(response, 401, { error: 'missing or wrong token: send Authorization: Bearer <token> or ?token=<token>' });
    return;
  }
  const path = url.pathname;
  const method = request.method ?? 'GET';
  if (path.startsWith('/api/')) {
    const unavailable = options.unavailable();
    if (path === '/api/events') {
      if (method !== 'GET') return sendJson(response, 405, { error: 'GET only' });
      options.sse.attach(response);
      return;
    }
    const route = options.routes.find((r) => r.path.test(path));
    if (!route) return sendJson(response, 404, { error: `no API route ${path}` });
    if (route.method !== method && !(route.method === 'GET' && method === 'HEAD')) {
      return sendJson(response, 405, { error: `${path} takes ${route.method}` });
    }
    if (unavailable !== null) return sendJson(response, 503, { error: unavailable });
    let reply: RouteReply;
    try {
      reply = await route.handle(route.path.exec(path)!, url.searchParams, () => readJsonBody(request));
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      reply = { status: error.status, body: { error: error.message } };
    }
    return sendJson(response, reply.status, reply.body);
  }
  if (method !== 'GET' && method !== 'HEAD') return sendJson(response, 405, { error: 'GET only' });
  const file = await options.assets.lookup(path);
  if (!file) return sendJson(response, 404, { error: `not found: ${path}` });
  response.writeHead(200, { 'content-type': file.contentType, 'content-length': file.body.length, 'cache-control': 'no-cache' });
  response.end(method === 'HEAD' ? undefined : file.body);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const authorized = tokenCheck(options.token);
  const server = createServer((request, response) => {
    handle(request, response, options, authorized).catch((error: unknown) => {
      options.logger.error({ err: error, url: request.url }, 'console request failed');
      if (!response.headersSent) sendJson(response, 500, { error: 'internal error (see the console log)' });
      else response.destroy();
    });
  });
  await listen(server, options.port, options.host);
  const port = (server.address() as AddressInfo).port;
  const host = options.host;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  if (options.token === null) {
    options.logger.info(
      { host, port },
      `console listening on http://${shownHost}:${port}/ (127.0.0.1 only: no DW_CONSOLE_TOKEN is set; set one to expose it on DW_CONSOLE_HOST, default 0.0.0.0)`,
    );
  } else {
    options.logger.info({ host, port }, `console listening on http://${shownHost}:${port}/ (token required)`);
  }
  let closing: Promise<void> | undefined;
  return {
    port,
    host,
    url: `http://${shownHost}:${port}/`,
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        options.sse.close();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      })),
  };
}
