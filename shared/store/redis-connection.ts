// Turns a URL or config object into an ioredis client (single node or Cluster) and waits for
// it to be ready within a deadline. ioredis on its own retries forever, so a service started
// against a dead Redis would hang silently; here it fails with StoreUnavailableError instead,
// and only after the first successful connection does the (capped) reconnect loop take over.
import { Cluster, Redis } from 'ioredis';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { StoreUnavailableError } from './errors.js';

export interface RedisNodeAddress {
  host: string;
  port: number;
}

export interface RedisTlsOptions {
  ca?: string | Buffer | Array<string | Buffer>;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Defaults to true; turning it off is for self-signed development setups only. */
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface RedisRetryOptions {
  /** Delay before the first reconnect attempt; doubles per attempt. Default 100 ms. */
  initialDelayMs?: number;
  /** Ceiling of the reconnect delay. Default 5 000 ms. */
  maxDelayMs?: number;
}

export interface RedisConnectionConfig {
  /** `redis://[user[:password]@]host[:port][/db]`, or `rediss://…` for TLS. */
  url?: string;
  host?: string;
  port?: number;
  db?: number;
  /** Explicit credentials win over those in the URL, so secrets can come from a separate source. */
  username?: string;
  password?: string;
  /**
   * Cluster seed nodes (`host:port`, `redis(s)://` URLs or objects). Their presence selects
   * Cluster mode; credentials and TLS of the first URL apply when not given explicitly.
   */
  clusterNodes?: Array<string | RedisNodeAddress>;
  /** `true` for TLS with the system CAs, an object for a private CA or client certificate. */
  tls?: boolean | RedisTlsOptions;
  /** Per TCP connection attempt. Default 5 000 ms. */
  connectTimeoutMs?: number;
  /** Total time `connectRedis` waits for the first ready connection. Default 10 000 ms. */
  readyDeadlineMs?: number;
  retry?: RedisRetryOptions;
  /** Forwarded to ioredis: how often a command is retried across reconnects before failing. */
  maxRetriesPerRequest?: number | null;
  /** CLIENT SETNAME, visible in CLIENT LIST. */
  connectionName?: string;
}

export interface ResolvedRedisConnection {
  mode: 'single' | 'cluster';
  nodes: RedisNodeAddress[];
  /** host:port list for logs and errors; never holds credentials. */
  address: string;
  db: number;
  username: string | undefined;
  password: string | undefined;
  tls: TlsConnectionOptions | undefined;
  connectTimeoutMs: number;
  readyDeadlineMs: number;
  retry: Required<RedisRetryOptions>;
  maxRetriesPerRequest: number | null | undefined;
  connectionName: string | undefined;
}

export type RedisClient = Redis | Cluster;

/** The subset of a pino logger the connection uses, so callers can pass theirs or none. */
export interface ConnectionLogger {
  warn(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
}

const DEFAULT_PORT = 6379;

export function resolveRedisConnection(input: string | RedisConnectionConfig): ResolvedRedisConnection {
  const config: RedisConnectionConfig = typeof input === 'string' ? { url: input } : input;
  const fromUrl = config.url === undefined ? undefined : parseRedisUrl(config.url);
  const seedUrls = (config.clusterNodes ?? []).map((node) =>
    typeof node === 'string' ? parseRedisUrl(node.includes('://') ? node : `redis://${node}`) : { ...node, tlsImplied: false },
  );
  const firstSeed = seedUrls[0] as ParsedRedisUrl | undefined;
  const implied = fromUrl ?? firstSeed;

  const mode = seedUrls.length > 0 ? 'cluster' : 'single';
  const nodes: RedisNodeAddress[] =
    mode === 'cluster'
      ? seedUrls.map(({ host, port }) => ({ host, port }))
      : [{ host: config.host ?? fromUrl?.host ?? '127.0.0.1', port: config.port ?? fromUrl?.port ?? DEFAULT_PORT }];
  for (const node of nodes) {
    if (!Number.isInteger(node.port) || node.port <= 0 || node.port > 65_535) {
      throw new RangeError(`Redis port out of range for host ${node.host}: ${node.port}`);
    }
  }

  const db = config.db ?? fromUrl?.db ?? 0;
  if (mode === 'cluster' && db !== 0) throw new RangeError('Redis Cluster only has database 0');

  const tlsWanted = config.tls ?? (implied?.tlsImplied || seedUrls.some((s) => s.tlsImplied));
  return {
    mode,
    nodes,
    address: nodes.map(formatAddress).join(','),
    db,
    username: config.username ?? implied?.username,
    password: config.password ?? implied?.password,
    tls: toTlsOptions(tlsWanted),
    connectTimeoutMs: config.connectTimeoutMs ?? 5_000,
    readyDeadlineMs: config.readyDeadlineMs ?? 10_000,
    retry: { initialDelayMs: config.retry?.initialDelayMs ?? 100, maxDelayMs: config.retry?.maxDelayMs ?? 5_000 },
    maxRetriesPerRequest: config.maxRetriesPerRequest,
    connectionName: config.connectionName,
  };
}

interface ParsedRedisUrl extends RedisNodeAddress {
  username?: string;
  password?: string;
  db?: number;
  tlsImplied: boolean;
}

export function parseRedisUrl(text: string): ParsedRedisUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // The text may hold a password: say what is wrong without echoing it.
    throw new TypeError('Redis URL is not a valid URL (expected redis://host:port or rediss://host:port)');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new TypeError(`Redis URL scheme must be redis: or rediss:, got ${url.protocol}`);
  }
  const dbText = url.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d+$/.test(dbText)) throw new TypeError(`Redis URL database must be a number, got "${dbText}"`);
  return {
    // WHATWG URL keeps IPv6 brackets in hostname; sockets want the bare address.
    host: url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: url.port === '' ? DEFAULT_PORT : Number(url.port),
    ...(url.username !== '' && { username: decodeURIComponent(url.username) }),
    ...(url.password !== '' && { password: decodeURIComponent(url.password) }),
    ...(dbText !== '' && { db: Number(dbText) }),
    tlsImplied: url.protocol === 'rediss:',
  };
}

function toTlsOptions(tls: boolean | RedisTlsOptions | undefined): TlsConnectionOptions | undefined {
  if (tls === undefined || tls === false) return undefined;
  if (tls === true) return {};
  const options: TlsConnectionOptions = {};
  if (tls.ca !== undefined) options.ca = tls.ca;
  if (tls.cert !== undefined) options.cert = tls.cert;
  if (tls.key !== undefined) options.key = tls.key;
  if (tls.rejectUnauthorized !== undefined) options.rejectUnauthorized = tls.rejectUnauthorized;
  if (tls.servername !== undefined) options.servername = tls.servername;
  return options;
}

function formatAddress({ host, port }: RedisNodeAddress): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Exponential backoff capped at maxDelayMs, with "equal jitter" (half fixed, half random) so a
 * fleet of consumers that lost Redis together does not reconnect in lockstep.
 */
export function reconnectDelayMs(attempt: number, retry: Required<RedisRetryOptions>, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const ceiling = Math.min(retry.initialDelayMs * 2 ** exponent, retry.maxDelayMs);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

function commonNodeOptions(resolved: ResolvedRedisConnection): RedisOptions {
  const options: RedisOptions = {
    connectTimeout: resolved.connectTimeoutMs,
    lazyConnect: true,
    enableReadyCheck: true,
  };
  if (resolved.username !== undefined) options.username = resolved.username;
  if (resolved.password !== undefined) options.password = resolved.password;
  if (resolved.tls !== undefined) options.tls = resolved.tls;
  if (resolved.maxRetriesPerRequest !== undefined) options.maxRetriesPerRequest = resolved.maxRetriesPerRequest;
  if (resolved.connectionName !== undefined) options.connectionName = resolved.connectionName;
  return options;
}

export function buildRedisOptions(resolved: ResolvedRedisConnection): RedisOptions {
  const [node] = resolved.nodes;
  if (resolved.mode !== 'single' || node === undefined) throw new TypeError('buildRedisOptions wants a single-node connection');
  return {
    ...commonNodeOptions(resolved),
    host: node.host,
    port: node.port,
    db: resolved.db,
    retryStrategy: (attempt) => reconnectDelayMs(attempt, resolved.retry),
  };
}

export function buildClusterOptions(resolved: ResolvedRedisConnection): ClusterOptions {
  if (resolved.mode !== 'cluster') throw new TypeError('buildClusterOptions wants a cluster connection');
  const { lazyConnect: _lazy, ...redisOptions } = commonNodeOptions(resolved);
  return {
    redisOptions,
    lazyConnect: true,
    enableReadyCheck: true,
    clusterRetryStrategy: (attempt) => reconnectDelayMs(attempt, resolved.retry),
    // Cluster nodes announce IPs; with TLS the certificate names the seed hostname, so keep
    // the name instead of resolving it (the documented ioredis recipe for TLS clusters).
    ...(resolved.tls !== undefined && { dnsLookup: (address: string, callback: (err: null, address: string) => void) => callback(null, address) }),
  };
}

/** Creates the client and resolves once it is ready; StoreUnavailableError after readyDeadlineMs. */
export async function connectRedis(
  input: string | RedisConnectionConfig,
  options: { logger?: ConnectionLogger } = {},
): Promise<RedisClient> {
  const resolved = resolveRedisConnection(input);
  const client: RedisClient =
    resolved.mode === 'cluster'
      ? new Cluster(resolved.nodes, buildClusterOptions(resolved))
      : new Redis(buildRedisOptions(resolved));

  let lastError: Error | undefined;
  // Without a listener ioredis prints every failed attempt; log each distinct failure once.
  client.on('error', (error: Error) => {
    if (lastError?.message !== error.message) {
      options.logger?.warn({ address: resolved.address, err: error.message }, 'redis connection error');
    }
    lastError = error;
  });

  await new Promise<void>((resolve, reject) => {
    const fail = (): void => {
      cleanup();
      client.disconnect();
      reject(new StoreUnavailableError(resolved.address, resolved.readyDeadlineMs, { cause: lastError }));
    };
    const ready = (): void => {
      cleanup();
      resolve();
    };
    const timer = setTimeout(fail, resolved.readyDeadlineMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      client.off('ready', ready);
      client.off('end', fail);
    };
    client.once('ready', ready);
    client.once('end', fail);
    // The first failed attempt rejects connect() while the retry loop goes on; the deadline
    // above, not this promise, decides when to give up.
    client.connect().catch(() => undefined);
  });
  options.logger?.info({ address: resolved.address, mode: resolved.mode }, 'redis ready');
  return client;
}
