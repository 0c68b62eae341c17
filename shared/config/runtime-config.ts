// Connection and topic settings every service reads from its environment. Validated with
// zod at start so a bad value fails fast with the variable's name, not later in a client.
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

const EnvSchema = z.object({
  DW_MODE: z.enum(['embedded', 'distributed']).default('embedded'),
  KAFKA_BROKERS: commaList.default(['127.0.0.1:9092']),
  KAFKA_CLIENT_ID: z.string().min(1).default('driftwatch'),
  KAFKA_SSL: booleanFlag.default(false),
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).optional(),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'expected redis:// or rediss://').default('redis://127.0.0.1:6379'),
  REDIS_CLUSTER_NODES: commaList.optional(),
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
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface RuntimeConfig {
  mode: 'embedded' | 'distributed';
  kafka: {
    brokers: string[];
    clientId: string;
    ssl: boolean;
    sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
    /** How long a silent consumer stays in its group; a crashed instance's partitions move after it. */
    sessionTimeoutMs?: number;
  };
  redis: { url: string; clusterNodes?: string[] };
  topics: { prefix: string; partitions: number };
  /** retention.ms of predictions and labels (DW_TOPIC_RETENTION_MS): pass it to topicSpecs. */
  topicRetentionMs: number;
  /** DW_MAX_EVENT_SKEW_MS: how far past the wall clock an event time may lie (default one day). */
  maxEventSkewMs: number;
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
  return {
    mode: e.DW_MODE,
    kafka: {
      brokers: e.KAFKA_BROKERS,
      clientId: e.KAFKA_CLIENT_ID,
      ssl: e.KAFKA_SSL,
      ...(sasl ? { sasl } : {}),
      ...(e.KAFKA_SESSION_TIMEOUT_MS !== undefined ? { sessionTimeoutMs: e.KAFKA_SESSION_TIMEOUT_MS } : {}),
    },
    redis: { url: e.REDIS_URL, ...(e.REDIS_CLUSTER_NODES ? { clusterNodes: e.REDIS_CLUSTER_NODES } : {}) },
    topics: { prefix: e.DW_TOPIC_PREFIX, partitions: e.DW_TOPIC_PARTITIONS },
    topicRetentionMs: e.DW_TOPIC_RETENTION_MS,
    maxEventSkewMs: e.DW_MAX_EVENT_SKEW_MS,
    logLevel: e.LOG_LEVEL,
  };
}
