// The Kafka connection of the CLI commands that read or write topics (`models`, `train`): the
// runtime settings from the environment like the services' (KAFKA_*, DW_TOPIC_PREFIX), and a
// short connect timeout, each failure a one-line CliError.
import { BusUnavailableError } from '../../shared/bus/errors.js';
import { KafkaBus } from '../../shared/bus/kafka-bus.js';
import { ConfigError, loadRuntimeConfig, type RuntimeConfig } from '../../shared/config/runtime-config.js';
import { createLogger } from '../../shared/log/logger.js';
import { CliError } from './program.js';

const CONNECT_TIMEOUT_MS = 10_000;

/** The services' environment settings; a bad one is the CLI's one-line error (exit 1). */
export function loadCliRuntimeConfig(env: NodeJS.ProcessEnv): RuntimeConfig {
  try {
    return loadRuntimeConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
}

/**
 * `busLogLevel`: the bus's log level when LOG_LEVEL is not set. Logs go to stderr and only when
 * asked for: stdout is the command's output.
 */
export async function connectBus(env: NodeJS.ProcessEnv, busLogLevel: string): Promise<{ bus: KafkaBus; runtime: RuntimeConfig }> {
  const runtime = loadCliRuntimeConfig(env);
  const logger = createLogger('driftwatch-cli', { level: env.LOG_LEVEL ?? busLogLevel, destination: process.stderr });
  try {
    const bus = await KafkaBus.connect({
      brokers: runtime.kafka.brokers,
      clientId: runtime.kafka.clientId,
      security: { ssl: runtime.kafka.ssl, ...(runtime.kafka.sasl ? { sasl: runtime.kafka.sasl } : {}) },
      logger,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      retry: { retries: 2 },
    });
    return { bus, runtime };
  } catch (error) {
    if (error instanceof BusUnavailableError) throw new CliError(error.message);
    throw error;
  }
}
