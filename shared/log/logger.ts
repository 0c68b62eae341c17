// pino JSON logs for every service. Service, model and version are bound as fields by
// child loggers; anything that looks like a credential is redacted before it is written.
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

const REDACT_PATHS = [
  'password',
  '*.password',
  'secret',
  '*.secret',
  'sasl',
  '*.sasl',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  '*.*.password',
  '*.*.sasl',
];

export interface LoggerSettings {
  level?: string;
  /** Where to write; defaults to stdout. Tests pass a stream to read the lines back. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(service: string, settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? process.env.LOG_LEVEL ?? 'info',
    base: { service },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return settings.destination ? pino(options, settings.destination) : pino(options);
}

/** A logger that drops everything, for library callers that pass none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
