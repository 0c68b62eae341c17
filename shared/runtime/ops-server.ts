// The operational HTTP endpoints of a service, on bare node:http:
//   /healthz  200 while the process serves requests (liveness: restart me if this fails);
//   /readyz   200 only when every probe passes, else 503 with which one failed (readiness:
//             send me no work, but do not restart me; a Kafka outage is not cured by a restart);
//   /metrics  the service's Prometheus registry;
// plus the routes a service adds (the retrainer's /incidents and POST /retrain/<model>).
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';

/**
 * Resolves when the dependency is usable; rejects (or never settles) when it is not. A string it
 * resolves with is a detail worth an operator's attention that does not make the service unready.
 */
export type Probe = () => Promise<void | string>;

/** A JSON answer: the body is serialized as it is. */
export interface RouteReply {
  status: number;
  body: unknown;
}

/** Thrown by a route to answer with this status and `{ error: message }` (400 for bad input, 404, 503). */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A service's own endpoint; `path` is matched against the URL's path, its groups passed on. */
export interface OpsRoute {
  method: 'GET' | 'POST';
  path: RegExp;
  handle(match: RegExpExecArray, query: URLSearchParams): Promise<RouteReply>;
}

export interface OpsServerOptions {
  /** 0 picks a free port (tests); read it back from `port`. */
  port: number;
  /** Default all interfaces, so an orchestrator's probes reach it. */
  host?: string;
  registry: Registry;
  probes: Record<string, Probe>;
  /** A probe slower than this counts as failed. Default 2 000 ms. */
  probeTimeoutMs?: number;
  routes?: OpsRoute[];
  logger: Logger;
}

export interface OpsServer {
  readonly port: number;
  close(): Promise<void>;
}

export interface ProbeReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; error?: string; detail?: string }>;
}

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const timeoutMs = options.probeTimeoutMs ?? 2_000;
  const server = createServer((request, response) => {
    route(request, response, options, timeoutMs).catch((error: unknown) => {
      options.logger.error({ err: error, url: request.url }, 'ops endpoint failed');
      if (!response.headersSent) send(response, 500, 'text/plain', 'internal error\n');
      else response.destroy();
    });
  });
  await listen(server, options.port, options.host);
  const port = (server.address() as AddressInfo).port;
  options.logger.info({ port }, 'ops server listening (/healthz /readyz /metrics)');
  let closing: Promise<void> | undefined;
  return {
    port,
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Prometheus and kubelets keep connections alive; without this close() waits for them.
        server.closeAllConnections();
      })),
  };
}

/** Runs every probe concurrently, each bounded by the timeout. */
export async function runProbes(probes: Record<string, Probe>, timeoutMs: number): Promise<ProbeReport> {
  const names = Object.keys(probes);
  const results = await Promise.allSettled(names.map((name) => withTimeout(probes[name]!(), timeoutMs, name)));
  const checks: ProbeReport['checks'] = {};
  results.forEach((result, i) => {
    checks[names[i]!] =
      result.status === 'rejected'
        ? { ok: false, error: errorText(result.reason) }
        : typeof result.value === 'string'
          ? { ok: true, detail: result.value }
          : { ok: true };
  });
  return { ready: results.every((result) => result.status === 'fulfilled'), checks };
}

async function route(
  request: IncomingMessage,
  response: ServerResponse,
  options: OpsServerOptions,
  timeoutMs: number,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://ops');
  const path = url.pathname;
  for (const route of options.routes ?? []) {
    const match = route.path.exec(path);
    if (match === null) continue;
    if (request.method !== route.method && !(route.method === 'GET' && request.method === 'HEAD')) {
      send(response, 405, 'text/plain', 'method not allowed\n');
      return;
    }
    let reply: RouteReply;
    try {
      reply = await route.handle(match, url.searchParams);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      reply = { status: error.status, body: { error: error.message } };
    }
    send(response, reply.status, 'application/json', `${JSON.stringify(reply.body)}\n`);
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    send(response, 405, 'text/plain', 'method not allowed\n');
    return;
  }
  switch (path) {
    case '/healthz':
      send(response, 200, 'text/plain', 'ok\n');
      return;
    case '/readyz': {
      const report = await runProbes(options.probes, timeoutMs);
      send(response, report.ready ? 200 : 503, 'application/json', `${JSON.stringify(report)}\n`);
      return;
    }
    case '/metrics':
      send(response, 200, options.registry.contentType, await options.registry.metrics());
      return;
    default:
      send(response, 404, 'text/plain', 'not found\n');
  }
}

function send(response: ServerResponse, status: number, contentType: string, body: string): void {
  response.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

function listen(server: Server, port: number, host: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function withTimeout<T>(work: Promise<T>, timeoutMs: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  work.catch(() => {});
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
