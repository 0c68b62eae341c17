// The notifier's configuration: which sinks, which alerts each wants, and how hard to try.
// Either a JSON/YAML file (DW_NOTIFY_CONFIG) or the environment (DW_NOTIFY_<KIND>_URL and
// friends), never both, so one place decides. Validated with zod: a bad setting is a
// ConfigError naming its path (runMain: one line, exit status 2), never quoting a secret.
// Every field and default: docs/notifications.md.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseDuration } from '../config/monitoring-config.js';
import { ConfigError } from '../config/runtime-config.js';
import { ALERT_KINDS, SEVERITY_ORDER, type AlertFilter } from './alert-filter.js';
import type { Sink } from './sink.js';
import type { SinkMemory } from './sink-kind.js';
import { SINK_KINDS } from './sink-kinds.js';

export const NOTIFY_CONFIG_ENV = 'DW_NOTIFY_CONFIG';

export interface DeliveryPolicy {
  /** Tries per (alert, sink) before it is dead-lettered; 1 = no retry. */
  maxAttempts: number;
  /** Wait before the first retry; doubles each retry up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  /** Per request. */
  timeoutMs: number;
  /** How long the record that an alert reached a sink is kept: redeliveries within it are dropped. */
  recordTtlMs: number;
}

/** A validated sink entry; the service builds it once its Redis (the sink's memory) is connected. */
export interface ConfiguredSink {
  name: string;
  kind: string;
  filter: AlertFilter;
  create(memory: SinkMemory): Sink;
}

export interface NotifyConfig {
  sinks: ConfiguredSink[];
  delivery: DeliveryPolicy;
  /**
   * Where a new consumer group starts on the alerts topic: 'latest' (default) notifies only
   * alerts published from now on, so a first deployment does not replay the retained history
   * into every channel; 'earliest' delivers everything retained. A group that committed resumes.
   */
  startFrom: 'latest' | 'earliest';
}

const DEFAULT_DELIVERY: DeliveryPolicy = { maxAttempts: 5, backoffMs: 1_000, maxBackoffMs: 60_000, timeoutMs: 10_000, recordTtlMs: 7 * 86_400_000 };

const duration = z
  .union([z.number().int().positive(), z.string().regex(/^\d+(\.\d+)?(ms|s|m|h|d)$/, 'expected a duration like 500ms, 10s, 5m, 7d')])
  .transform((v) => parseDuration(v))
  .pipe(z.number().positive('must be longer than 0'));
const severity = z.enum(SEVERITY_ORDER as [string, ...string[]]);
const kinds = z.array(z.enum(ALERT_KINDS as [string, ...string[]])).min(1);
const sinkName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only (it names metrics and Redis keys)');

const DeliverySchema = z.strictObject({
  maxAttempts: z.number().int().min(1).max(100).optional(),
  backoff: duration.optional(),
  maxBackoff: duration.optional(),
  timeout: duration.optional(),
  recordTtl: duration.optional(),
});

const FileSchema = z.strictObject({
  startFrom: z.enum(['latest', 'earliest']).default('latest'),
  minSeverity: severity.default('INFO'),
  kinds: kinds.optional(),
  delivery: DeliverySchema.default({}),
  sinks: z
    .array(
      z.looseObject({
        kind: z.enum(SINK_KINDS.map((k) => k.kind) as [string, ...string[]]),
        name: sinkName.optional(),
        minSeverity: severity.optional(),
        kinds: kinds.optional(),
      }),
    )
    .min(1, 'configure at least one sink'),
});


/** The file named by DW_NOTIFY_CONFIG, else the environment's DW_NOTIFY_* variables. */
export function loadNotifyConfig(env: NodeJS.ProcessEnv = process.env): NotifyConfig {
  const path = env[NOTIFY_CONFIG_ENV];
  if (path) {
    const mixed = Object.keys(env).filter((name) => name.startsWith('DW_NOTIFY_') && name !== NOTIFY_CONFIG_ENV && env[name]);
    if (mixed.length > 0) {
      throw new ConfigError(`invalid environment: ${NOTIFY_CONFIG_ENV} is set, so ${mixed.sort().join(', ')} would be ignored; configure notifications in one place`);
    }
    return parseNotifyConfig(readConfigFile(path), `notification config ${path}`);
  }
  return parseNotifyConfig(fromEnvironment(env), 'environment (DW_NOTIFY_*)');
}

export function parseNotifyConfig(input: unknown, source: string): NotifyConfig {
  const file = validate(FileSchema, input ?? {}, source, []);
  const delivery: DeliveryPolicy = {
    maxAttempts: file.delivery.maxAttempts ?? DEFAULT_DELIVERY.maxAttempts,
    backoffMs: file.delivery.backoff ?? DEFAULT_DELIVERY.backoffMs,
    maxBackoffMs: file.delivery.maxBackoff ?? DEFAULT_DELIVERY.maxBackoffMs,
    timeoutMs: file.delivery.timeout ?? DEFAULT_DELIVERY.timeoutMs,
    recordTtlMs: file.delivery.recordTtl ?? DEFAULT_DELIVERY.recordTtlMs,
  };
  if (delivery.maxBackoffMs < delivery.backoffMs) throw new ConfigError(`invalid ${source}: delivery.maxBackoff is shorter than delivery.backoff`);
  const names = new Set<string>();
  const sinks = file.sinks.map((entry, index): ConfiguredSink => {
    const { kind, name = kind, minSeverity, kinds: entryKinds, ...rest } = entry;
    if (names.has(name)) throw new ConfigError(`invalid ${source}: sinks.${index}.name: "${name}" is used twice (name the sinks of one kind apart)`);
    names.add(name);
    const sinkKind = SINK_KINDS.find((k) => k.kind === kind)!;
    const settings = validate(sinkKind.settings, rest, source, ['sinks', index]);
    return {
      name,
      kind,
      create: (memory) => sinkKind.create(name, settings, { timeoutMs: delivery.timeoutMs, memory }),
      filter: {
        minSeverity: (minSeverity ?? file.minSeverity) as AlertFilter['minSeverity'],
        kinds: ((entryKinds ?? file.kinds) as AlertFilter['kinds'] | undefined) ?? null,
      },
    };
  });
  return { sinks, delivery, startFrom: file.startFrom };
}

/** Whether the environment names any sink (a config file or a sink URL): without one the notifier refuses to start. */
export function notifySinksConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env[NOTIFY_CONFIG_ENV]?.trim()) return true;
  return SINK_KINDS.some((kind) => kind.fromEnv(env) !== undefined);
}

/** The environment as the file would say it, so both are validated alike. */
function fromEnvironment(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const sinks = SINK_KINDS.flatMap((kind) => {
    const settings = kind.fromEnv(env);
    return settings ? [{ kind: kind.kind, ...settings }] : [];
  });
  if (sinks.length === 0) {
    const variables = SINK_KINDS.map((k) => `DW_NOTIFY_${k.kind.toUpperCase()}_URL`).join(', ');
    throw new ConfigError(`invalid environment: no notification sink configured; set ${variables} or ${NOTIFY_CONFIG_ENV}`);
  }
  const number = (name: string): number | undefined => {
    const text = env[name];
    if (text === undefined || text === '') return undefined;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < 1) throw new ConfigError(`invalid environment: ${name} must be a positive integer, got "${text}"`);
    return value;
  };
  const delivery = {
    maxAttempts: number('DW_NOTIFY_MAX_ATTEMPTS'),
    backoff: number('DW_NOTIFY_BACKOFF_MS'),
    maxBackoff: number('DW_NOTIFY_MAX_BACKOFF_MS'),
    timeout: number('DW_NOTIFY_TIMEOUT_MS'),
    recordTtl: number('DW_NOTIFY_RECORD_TTL_MS'),
  };
  return {
    ...(env.DW_NOTIFY_START_FROM ? { startFrom: env.DW_NOTIFY_START_FROM.trim().toLowerCase() } : {}),
    ...(env.DW_NOTIFY_MIN_SEVERITY ? { minSeverity: env.DW_NOTIFY_MIN_SEVERITY.trim().toUpperCase() } : {}),
    ...(env.DW_NOTIFY_KINDS ? { kinds: env.DW_NOTIFY_KINDS.split(',').map((k) => k.trim().toUpperCase()).filter(Boolean) } : {}),
    delivery: Object.fromEntries(Object.entries(delivery).filter(([, v]) => v !== undefined)),
    sinks,
  };
}

function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read notification config ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const json = extname(path).toLowerCase() === '.json';
  try {
    return json ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    // The parser's message can quote the offending line, which may hold a secret: position only.
    const where = (error as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    throw new ConfigError(`notification config ${path} is not valid ${json ? 'JSON' : 'YAML'}${where ? ` (line ${where})` : ''}`);
  }
}

function validate<S extends z.ZodType>(schema: S, input: unknown, source: string, prefix: PropertyKey[]): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const path = [...prefix, ...issue.path].map(String).join('.');
      // A record key's own rule says more than zod's "Invalid key in record".
      const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
      return `${path || '(top level)'}: ${message}`;
    });
    throw new ConfigError(`invalid ${source}: ${problems.join('; ')}`);
  }
  return parsed.data;
}
