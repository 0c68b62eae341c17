// pino logs for every service: JSON lines, or, when they go to a terminal, pino-pretty's
// readable lines (LOG_FORMAT=json|pretty decides instead). Service, model and version are
// bound as fields by child loggers. Secrets are kept out of every line three ways:
// - fields named like a credential (password, sasl, token, …) are redacted by path;
// - errors go through serializeError, which drops what clients attach to them (ioredis puts
//   the AUTH command with its password in `command.args`) and redacts credential-named keys;
// - every line is scrubbed of the secret values the process knows (KAFKA_SASL_PASSWORD, the
//   password in REDIS_URL, anything registerSecret() was given) and of URL user-info, so a
//   secret that reached a message text is still never written.
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';

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
  /** Default: LOG_FORMAT, else pretty when the destination is a terminal, JSON otherwise. */
  format?: LogFormat;
}

export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * LOG_FORMAT when it names a format; otherwise pretty for a terminal (a person reads it) and
 * JSON for anything else (a pipe, a file, a log collector parses it). `invalid` is a value
 * LOG_FORMAT held that is neither, reported by createLogger's first line.
 */
export function logFormat(env: NodeJS.ProcessEnv, destinationIsTTY: boolean): { format: LogFormat; invalid?: string } {
  const text = env.LOG_FORMAT?.trim().toLowerCase();
  if (text === 'json' || text === 'pretty') return { format: text };
  const format = destinationIsTTY ? 'pretty' : 'json';
  return text ? { format, invalid: env.LOG_FORMAT! } : { format };
}

/**
 * pino-pretty in this thread (no worker: the lines come out in order with what the process
 * writes itself, and flush() on exit works). It receives each line after the streamWrite hook
 * scrubbed it and after redaction, so both protections hold for pretty lines too.
 */
function prettyStream(destination: NodeJS.WritableStream | undefined, colorize: boolean): DestinationStream {
  return pretty({
    destination: destination ?? 1,
    sync: true,
    colorize,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service',
    messageFormat: '{if service}{service}: {end}{msg}',
  });
}

/** The bad LOG_FORMAT is reported once per process, not by every logger created. */
let warnedFormat = false;

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
  const target = settings.destination ?? process.stdout;
  const isTTY = (target as { isTTY?: boolean }).isTTY === true;
  const chosen = settings.format !== undefined ? { format: settings.format } : logFormat(process.env, isTTY);
  let logger: Logger;
  if (chosen.format === 'pretty') logger = pino(options, prettyStream(settings.destination, isTTY));
  else logger = settings.destination ? pino(options, settings.destination) : pino(options);
  if (chosen.invalid !== undefined && !warnedFormat) {
    warnedFormat = true;
    logger.warn(`LOG_FORMAT "${chosen.invalid}" is not one of ${LOG_FORMATS.join(', ')}; writing ${chosen.format} (the default for this output)`);
  }
  return logger;
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
