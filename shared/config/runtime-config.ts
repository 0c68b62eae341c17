// Connection and topic settings every service reads from its environment. Validated with
// zod at start so a bad value fails fast with the variable's name, not later in a client.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { DEFAULT_MAX_EVENT_SKEW_MS } from '../codec/validation-policy.js';
import { DEFAULT_PARTITIONS, DEFAULT_TOPIC_PREFIX, DEFAULT_TOPIC_RETENTION_MS } from '../topics.js';

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const commaList = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[^\s:]+:\d+$/, 'expected host:port')).min(1));

/**
 * DW_PARTITIONS_CONCURRENTLY's default, chosen by measurement (docs/config.md): how many of
 * its partitions' batches a monitor (performance, drift) handles at once.
 */
export const DEFAULT_PARTITIONS_CONCURRENTLY = 4;

/** DW_PENDING_BUDGET_MB's default: the performance service's in-memory join (README, "Memory of the join"). */
export const DEFAULT_PENDING_BUDGET_MB = 512;

const EnvSchema = z.object({
  DW_MODE: z.enum(['embedded', 'distributed']).default('embedded'),
  KAFKA_BROKERS: commaList.default(['127.0.0.1:9092']),
  KAFKA_CLIENT_ID: z.string().min(1).default('driftwatch'),
  // Unset means "TLS when any KAFKA_SSL_* file is named", so a CA alone is enough.
  KAFKA_SSL: booleanFlag.optional(),
  KAFKA_SSL_CA: z.string().min(1).optional(),
  KAFKA_SSL_CERT: z.string().min(1).optional(),
  KAFKA_SSL_KEY: z.string().min(1).optional(),
  KAFKA_SSL_REJECT_UNAUTHORIZED: booleanFlag.optional(),
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).optional(),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'expected redis:// or rediss://').default('redis://127.0.0.1:6379'),
  REDIS_CLUSTER_NODES: commaList.optional(),
  REDIS_TLS_CA: z.string().min(1).optional(),
  REDIS_TLS_CERT: z.string().min(1).optional(),
  REDIS_TLS_KEY: z.string().min(1).optional(),
  REDIS_TLS_REJECT_UNAUTHORIZED: booleanFlag.optional(),
  DW_TOPIC_PREFIX: z.string().regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, . _ - only').default(DEFAULT_TOPIC_PREFIX),
  DW_TOPIC_PARTITIONS: z.coerce.number().int().min(1).max(1000).default(DEFAULT_PARTITIONS),
  // Retention of predictions and labels; the retrainer reads its window back from them. At
  // least a minute (Kafka's own floor for sane segment rolling), -1 = keep forever as in Kafka.
  DW_TOPIC_RETENTION_MS: z.coerce
    .number()
    .int()
    .refine((v) => v === -1 || v >= 60_000, 'expected -1 (forever) or at least 60000')
    .default(DEFAULT_TOPIC_RETENTION_MS),
  // How far ahead of the wall clock an event time may lie before the event is refused as
  // INVALID (dead-lettered); also the bound past which an event time never moves a watermark.
  DW_MAX_EVENT_SKEW_MS: z.coerce.number().int().min(0).max(365 * 24 * 60 * 60 * 1000).default(DEFAULT_MAX_EVENT_SKEW_MS),
  // A batch in a handler for longer than this makes /readyz 503 ("stuck"); see consumer-health.ts.
  DW_STUCK_AFTER_MS: z.coerce.number().int().min(1_000).max(24 * 60 * 60 * 1000).default(120_000),
  // Partitions whose batches a monitor handles at once (see DEFAULT_PARTITIONS_CONCURRENTLY).
  DW_PARTITIONS_CONCURRENTLY: z.coerce.number().int().min(1).max(1_000).default(DEFAULT_PARTITIONS_CONCURRENTLY),
  // Memory the performance service's join may hold for pending predictions and waiting labels.
  DW_PENDING_BUDGET_MB: z.coerce.number().min(1).max(1_048_576).default(DEFAULT_PENDING_BUDGET_MB),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/**
 * TLS settings read from the files the environment names (PEM contents, read once at start).
 * Shaped as node:tls takes them, so kafkajs (`ssl`) and ioredis (`tls`) accept them as they are.
 */
export interface TlsFileOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Default true; false accepts any certificate (development only). */
  rejectUnauthorized?: boolean;
}

export interface RuntimeConfig {
  mode: 'embedded' | 'distributed';
  kafka: {
    brokers: string[];
    clientId: string;
    /** false, true (system CAs), or TLS options from KAFKA_SSL_CA / _CERT / _KEY / _REJECT_UNAUTHORIZED. */
    ssl: boolean | TlsFileOptions;
    sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
    /** How long a silent consumer stays in its group; a crashed instance's partitions move after it. */
    sessionTimeoutMs?: number;
  };
  /** `tls` only with a rediss:// URL and REDIS_TLS_* set; rediss:// alone uses the system CAs. */
  redis: { url: string; clusterNodes?: string[]; tls?: TlsFileOptions };
  topics: { prefix: string; partitions: number };
  /** retention.ms of predictions and labels (DW_TOPIC_RETENTION_MS): pass it to topicSpecs. */
  topicRetentionMs: number;
  /** DW_MAX_EVENT_SKEW_MS: how far past the wall clock an event time may lie (default one day). */
  maxEventSkewMs: number;
  /** DW_STUCK_AFTER_MS: a batch in a handler longer than this makes the service not ready (default 120 s). */
  stuckAfterMs?: number;
  /** DW_PARTITIONS_CONCURRENTLY: batches of different partitions a monitor handles at once (default DEFAULT_PARTITIONS_CONCURRENTLY). */
  partitionsConcurrently?: number;
  /** DW_PENDING_BUDGET_MB: the performance service's join memory; past it the oldest pending predictions count as unlabelled. */
  pendingBudgetMb?: number;
  logLevel: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadRuntimeConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${String(issue.path[0])}: ${issue.message}`);
    throw new ConfigError(`invalid environment: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  let sasl: RuntimeConfig['kafka']['sasl'];
  if (e.KAFKA_SASL_MECHANISM) {
    if (!e.KAFKA_SASL_USERNAME || e.KAFKA_SASL_PASSWORD === undefined) {
      throw new ConfigError('invalid environment: KAFKA_SASL_MECHANISM needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD');
    }
    sasl = { mechanism: e.KAFKA_SASL_MECHANISM, username: e.KAFKA_SASL_USERNAME, password: e.KAFKA_SASL_PASSWORD };
  }
  const kafkaTls = tlsFromFiles('KAFKA_SSL', {
    ca: e.KAFKA_SSL_CA,
    cert: e.KAFKA_SSL_CERT,
    key: e.KAFKA_SSL_KEY,
    rejectUnauthorized: e.KAFKA_SSL_REJECT_UNAUTHORIZED,
  });
  if (kafkaTls && e.KAFKA_SSL === false) {
    throw new ConfigError('invalid environment: KAFKA_SSL=false but KAFKA_SSL_CA/_CERT/_KEY/_REJECT_UNAUTHORIZED are set; remove them or enable TLS');
  }
  const redisTls = tlsFromFiles('REDIS_TLS', {
    ca: e.REDIS_TLS_CA,
    cert: e.REDIS_TLS_CERT,
    key: e.REDIS_TLS_KEY,
    rejectUnauthorized: e.REDIS_TLS_REJECT_UNAUTHORIZED,
  });
  if (redisTls && !e.REDIS_URL.startsWith('rediss://')) {
    throw new ConfigError('invalid environment: REDIS_TLS_* is set but REDIS_URL is not rediss:// (TLS is chosen by the URL scheme)');
  }
  return {
    mode: e.DW_MODE,
    kafka: {
      brokers: e.KAFKA_BROKERS,
      clientId: e.KAFKA_CLIENT_ID,
      ssl: kafkaTls ?? e.KAFKA_SSL ?? false,
      ...(sasl ? { sasl } : {}),
      ...(e.KAFKA_SESSION_TIMEOUT_MS !== undefined ? { sessionTimeoutMs: e.KAFKA_SESSION_TIMEOUT_MS } : {}),
    },
    redis: {
      url: e.REDIS_URL,
      ...(e.REDIS_CLUSTER_NODES ? { clusterNodes: e.REDIS_CLUSTER_NODES } : {}),
      ...(redisTls ? { tls: redisTls } : {}),
    },
    topics: { prefix: e.DW_TOPIC_PREFIX, partitions: e.DW_TOPIC_PARTITIONS },
    topicRetentionMs: e.DW_TOPIC_RETENTION_MS,
    maxEventSkewMs: e.DW_MAX_EVENT_SKEW_MS,
    stuckAfterMs: e.DW_STUCK_AFTER_MS,
    partitionsConcurrently: e.DW_PARTITIONS_CONCURRENTLY,
    pendingBudgetMb: e.DW_PENDING_BUDGET_MB,
    logLevel: e.LOG_LEVEL,
  };
}

/**
 * Reads the PEM files `<prefix>_CA`, `_CERT`, `_KEY` name; undefined when none of the four
 * settings is given. A file that cannot be read fails here, at start, naming the variable and
 * the path (never later inside a TLS handshake). A certificate without its key (or the other
 * way round) is refused too: node:tls would ignore the lone half silently.
 */
function tlsFromFiles(
  prefix: string,
  settings: { ca: string | undefined; cert: string | undefined; key: string | undefined; rejectUnauthorized: boolean | undefined },
): TlsFileOptions | undefined {
  const { ca, cert, key, rejectUnauthorized } = settings;
  if (ca === undefined && cert === undefined && key === undefined && rejectUnauthorized === undefined) return undefined;
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfigError(`invalid environment: ${prefix}_CERT and ${prefix}_KEY go together (a client certificate needs its key)`);
  }
  const read = (name: string, path: string | undefined): Buffer | undefined => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new ConfigError(`invalid environment: ${prefix}_${name}: cannot read ${path} (${reason})`);
    }
  };
  const options: TlsFileOptions = {};
  const caPem = pem(prefix, 'CA', ca, read('CA', ca), 'CERTIFICATE');
  const certPem = pem(prefix, 'CERT', cert, read('CERT', cert), 'CERTIFICATE');
  const keyPem = pem(prefix, 'KEY', key, read('KEY', key), 'PRIVATE KEY');
  if (caPem) options.ca = caPem;
  if (certPem) options.cert = certPem;
  if (keyPem) options.key = keyPem;
  if (rejectUnauthorized !== undefined) options.rejectUnauthorized = rejectUnauthorized;
  return options;
}

/** A file that holds no PEM block of the expected kind is named now, not as an opaque TLS error later. */
function pem(prefix: string, name: string, path: string | undefined, contents: Buffer | undefined, kind: string): Buffer | undefined {
  if (contents === undefined) return undefined;
  if (!new RegExp(`-----BEGIN [A-Z ]*${kind}-----`).test(contents.toString('latin1'))) {
    throw new ConfigError(`invalid environment: ${prefix}_${name}: ${path} holds no PEM ${kind.toLowerCase()}`);
  }
  return contents;
}
