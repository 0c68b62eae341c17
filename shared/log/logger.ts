// pino JSON logs for every service. Service, model and version are bound as fields by
// child loggers. Secrets are kept out of every line three ways:
// - fields named like a credential (password, sasl, token, …) are redacted by path;
// - errors go through serializeError, which drops what clients attach to them (ioredis puts
//   the AUTH command with its password in `command.args`) and redacts credential-named keys;
// - every line is scrubbed of the secret values the process knows (KAFKA_SASL_PASSWORD, the
//   password in REDIS_URL, anything registerSecret() was given) and of URL user-info, so a
//   secret that reached a message text is still never written.
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

const REDACTED = '[redacted]';

const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'secret',
  '*.secret',
  'sasl',
  '*.sasl',
  '*.*.sasl',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  // ioredis: an error's or a command's arguments (AUTH user password, …).
  'args',
  'command.args',
  '*.command.args',
  '*.*.command.args',
  // PEM private keys in TLS options.
  'tls.key',
  '*.tls.key',
  'ssl.key',
  '*.ssl.key',
];

export interface LoggerSettings {
  level?: string;
  /** Where to write; defaults to stdout. Tests pass a stream to read the lines back. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(service: string, settings: LoggerSettings = {}): Logger {
  registerSecretsFromEnv(process.env);
  const options: LoggerOptions = {
    level: settings.level ?? process.env.LOG_LEVEL ?? 'info',
    base: { service },
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    serializers: { err: serializeError, error: serializeError },
    hooks: { streamWrite: scrubSecrets },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}

/** A logger that drops everything, for library callers that pass none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

// ---- secret values ----------------------------------------------------------------------

/** Shorter values are not scrubbed: replacing "ab" everywhere would wreck every line. */
const MIN_SECRET_LENGTH = 4;
const secrets = new Set<string>();

/** Adds a value every logger line (and scrubSecrets) will replace with [redacted]. */
export function registerSecret(value: string | undefined): void {
  if (value === undefined || value.length < MIN_SECRET_LENGTH) return;
  for (const form of [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]) {
    if (form.length >= MIN_SECRET_LENGTH) secrets.add(form);
  }
}

/** The secrets the environment holds: KAFKA_SASL_PASSWORD and passwords in Redis URLs. */
export function registerSecretsFromEnv(env: NodeJS.ProcessEnv): void {
  registerSecret(env.KAFKA_SASL_PASSWORD);
  for (const text of [env.REDIS_URL, ...(env.REDIS_CLUSTER_NODES ?? '').split(',')]) {
    const password = urlPassword(text?.trim());
    if (password !== undefined) registerSecret(password);
  }
}

function urlPassword(text: string | undefined): string | undefined {
  if (!text?.includes('://')) return undefined;
  try {
    const { password } = new URL(text);
    return password === '' ? undefined : decodeURIComponent(password);
  } catch {
    return undefined;
  }
}

const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@"']*@/gi;

/** `text` with every registered secret and any URL user-info (`//user:pass@`) replaced. */
export function scrubSecrets(text: string): string {
  let result = text.includes('://') ? text.replace(URL_USERINFO, `$1${REDACTED}@`) : text;
  for (const secret of secrets) {
    if (result.includes(secret)) result = result.split(secret).join(REDACTED);
  }
  return result;
}

// ---- errors ------------------------------------------------------------------------------

const SECRET_KEY = /^(password|passwd|pass|secret|token|authorization|sasl|args|credentials?)$/i;
const MAX_DEPTH = 5;

/**
 * pino's error serializer, minus what leaks: type, message, stack, code and the error's own
 * enumerable fields, with `cause` (and AggregateError's `errors`) serialized the same way.
 * Credential-named keys are redacted at any depth; ioredis's `command` keeps only its name.
 */
export function serializeError(error: unknown): unknown {
  return serialize(error, 0, new WeakSet());
}

function serialize(value: unknown, depth: number, seen: WeakSet<object>): unknown {
  if (value === null || typeof value !== 'object') return typeof value === 'string' ? scrubSecrets(value) : value;
  if (seen.has(value)) return '[circular]';
  if (depth > MAX_DEPTH) return '[deep]';
  seen.add(value);
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  if (Array.isArray(value)) return value.slice(0, 20).map((item) => serialize(item, depth + 1, seen));
  const out: Record<string, unknown> = {};
  if (value instanceof Error) {
    out.type = value.constructor?.name ?? value.name;
    out.message = scrubSecrets(value.message);
    if (value.stack !== undefined) out.stack = scrubSecrets(value.stack);
  }
  for (const [key, field] of Object.entries(value)) {
    if (key === 'message' || key === 'stack' || key === 'type') continue;
    if (SECRET_KEY.test(key)) out[key] = REDACTED;
    else if (key === 'command' && field !== null && typeof field === 'object') {
      const name = (field as { name?: unknown }).name;
      out.command = typeof name === 'string' ? { name } : REDACTED;
    } else out[key] = serialize(field, depth + 1, seen);
  }
  if (value instanceof Error && value.cause !== undefined && !('cause' in out)) out.cause = serialize(value.cause, depth + 1, seen);
  return out;
}

// ---- errors already reported ----------------------------------------------------------------

const reported = new WeakSet<object>();

/** Marks an error as logged, so whoever catches it next (runMain) does not log it again. */
export function markReported(error: unknown): void {
  if (error !== null && typeof error === 'object') reported.add(error);
}

export function wasReported(error: unknown): boolean {
  return error !== null && typeof error === 'object' && reported.has(error);
}
