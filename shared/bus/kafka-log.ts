// Routes kafkajs's own logging into the service's pino logger, so broker trouble shows up in
// the same JSON stream (with the same redaction) instead of kafkajs's console output.
import { logLevel } from 'kafkajs';
import type { logCreator } from 'kafkajs';
import type { Logger } from 'pino';

/** kafkajs's info line for every consumer.pause()/resume(). */
const ROUTINE_PAUSE = /^(Pausing|Resuming) fetching from /;

export function pinoLogCreator(logger: Logger): logCreator {
  const base = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _name, ...extra } = log as typeof log & { logger?: string };
      const fields = { namespace, ...extra };
      switch (level) {
        case logLevel.ERROR:
          base.error(fields, message);
          break;
        case logLevel.WARN:
          base.warn(fields, message);
          break;
        case logLevel.INFO:
          // Routine flow control (BatchContext.pauseCoPartition): many a second in a catch-up.
          if (namespace === 'ConsumerGroup' && ROUTINE_PAUSE.test(message)) base.debug(fields, message);
          else base.info(fields, message);
          break;
        default:
          base.debug(fields, message);
      }
    };
}

/** The kafkajs level that lets through exactly what the pino logger would print. */
export function kafkajsLevelFor(logger: Logger): logLevel {
  switch (logger.level) {
    case 'silent':
      return logLevel.NOTHING;
    case 'fatal':
    case 'error':
      return logLevel.ERROR;
    case 'warn':
      return logLevel.WARN;
    case 'info':
      return logLevel.INFO;
    default:
      return logLevel.DEBUG;
  }
}
