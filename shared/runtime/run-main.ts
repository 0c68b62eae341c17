// The one way a service's main.ts starts: every failure before or during start, and any
// later unhandled rejection or exception, becomes one pino line (with the logger's
// redaction and secret scrubbing) and a non-zero exit — never Node's own dump of an error
// object, which prints every field of it (ioredis puts the AUTH password in `command.args`).
import type { Logger } from 'pino';
import { createLogger, markReported, scrubSecrets, wasReported } from '../log/logger.js';

export interface RunMainOptions {
  /** Default: createLogger(name) at LOG_LEVEL (info when LOG_LEVEL is not a level). */
  logger?: Logger;
  /** Default process.exit; tests pass their own. */
  exit?: (code: number) => void;
}

/** Exit status of a start that failed on its configuration (ConfigError): 2, as for usage errors. */
export const EXIT_CONFIG = 2;
export const EXIT_FAILURE = 1;

/**
 * Runs `start` with the service's logger. A start that throws is logged once at fatal level
 * (unless the service already logged it, see markReported) as "<name> failed to start: <why>"
 * and the process exits with 1 (2 for a ConfigError), at once: a client still retrying in the
 * background (kafkajs does, for minutes) must not keep a failed process alive. A number
 * returned by `start` becomes the exit code when the event loop empties.
 */
export async function runMain(name: string, start: (logger: Logger) => Promise<unknown>, options: RunMainOptions = {}): Promise<void> {
  const logger = options.logger ?? mainLogger(name);
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const die = (error: unknown, what: string, code: number): void => {
    if (!wasReported(error)) {
      logger.fatal({ err: error }, `${name} ${what}: ${scrubSecrets(describe(error))}`);
      markReported(error);
    }
    process.exitCode = code;
    logger.flush(() => exit(code));
  };
  process.on('unhandledRejection', (reason) => die(reason, 'crashed on an unhandled rejection', EXIT_FAILURE));
  process.on('uncaughtException', (error) => die(error, 'crashed on an uncaught exception', EXIT_FAILURE));
  try {
    const result = await start(logger);
    if (typeof result === 'number') process.exitCode = result;
  } catch (error) {
    die(error, 'failed to start', (error as Error | undefined)?.name === 'ConfigError' ? EXIT_CONFIG : EXIT_FAILURE);
  }
}

function mainLogger(name: string): Logger {
  try {
    return createLogger(name);
  } catch {
    // An unknown LOG_LEVEL: loadRuntimeConfig names it; the logger that reports it must exist.
    return createLogger(name, { level: 'info' });
  }
}

/** The error's message, or its cause's when it has none; never the object's other fields. */
function describe(error: unknown): string {
  if (error instanceof Error) return error.message || (error.cause instanceof Error ? error.cause.message : error.name);
  return String(error);
}
