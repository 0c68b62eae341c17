// Graceful shutdown for a service process: on SIGTERM/SIGINT, close everything in order (a bus
// subscription lets its in-flight batch finish and commit), then exit. Orchestrators escalate to
// SIGKILL after a grace period anyway; a second signal lets a human do the same without waiting.
import type { Logger } from 'pino';

export interface Closeable {
  close(): Promise<void>;
}

export interface ShutdownOptions {
  signals?: NodeJS.Signals[];
  /** Injected by tests; defaults to process.exit. */
  exit?: (code: number) => void;
}

/** Installs the handlers; returns a function that removes them. */
export function shutdownOnSignals(
  closeables: Closeable[],
  logger: Logger,
  options: ShutdownOptions = {},
): () => void {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let shuttingDown = false;

  const onSignal = (signal: NodeJS.Signals): void => {
    if (shuttingDown) {
      logger.warn({ signal }, 'second signal: exiting without waiting for in-flight work');
      exit(130);
      return;
    }
    shuttingDown = true;
    logger.info({ signal }, 'shutting down: finishing in-flight batches');
    void closeInOrder(closeables, logger).then((failed) => {
      logger.info({ failed }, 'shutdown complete');
      exit(failed ? 1 : 0);
    });
  };

  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}

/** Closes one after another (consumers before the producers they feed); true if any failed. */
async function closeInOrder(closeables: Closeable[], logger: Logger): Promise<boolean> {
  let failed = false;
  for (const closeable of closeables) {
    try {
      await closeable.close();
    } catch (error) {
      failed = true;
      logger.error({ err: error }, 'error while closing during shutdown');
    }
  }
  return failed;
}
