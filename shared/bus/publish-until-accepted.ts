// Services' publishes (dead letters, alert and metrics outboxes) must never give up: what they
// publish is recorded nowhere else, and the batch or evaluation behind it cannot move on until
// Kafka has it. So they retry without bound, with backoff, logging each failure; after a
// PublishIncompleteError only the unconfirmed messages are sent again (the confirmed ones are
// in the topic already). The SDK does not use this: an app gets the bus's bounded attempts and
// the error, and decides. Errors no retry can cure (closed bus, missing topic, a message that
// is refused as such) end the loop.
import type { Logger } from 'pino';
import { BusClosedError, PublishIncompleteError, TopicMismatchError, UnknownTopicError } from './errors.js';
import type { EventBus, OutgoingMessage } from './types.js';

export interface PublishRetryOptions {
  logger: Logger;
  /** What is being published, for the log ("dead letters", "outbox alerts"). */
  what: string;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** Stop retrying (rethrow the last error) once this says false, e.g. the service is stopping. */
  keepTrying?: () => boolean;
}

export async function publishUntilAccepted(
  bus: EventBus,
  topic: string,
  messages: OutgoingMessage[],
  options: PublishRetryOptions,
): Promise<void> {
  const initial = options.initialDelayMs ?? 250;
  const max = options.maxDelayMs ?? 10_000;
  let pending = messages;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await bus.publish(topic, pending);
      if (attempt > 1) options.logger.info({ topic, attempts: attempt, what: options.what }, `${options.what}: published to ${topic} after ${attempt} attempts`);
      return;
    } catch (error) {
      if (!retriable(error) || (options.keepTrying && !options.keepTrying())) throw error;
      if (error instanceof PublishIncompleteError) pending = error.unconfirmed.map((i) => pending[i]!);
      const delay = Math.min(max, initial * 2 ** Math.min(attempt - 1, 20));
      options.logger.warn(
        { err: error, topic, attempt, messages: pending.length, retryInMs: delay, what: options.what },
        `${options.what}: publish to ${topic} failed; retrying until Kafka accepts it`,
      );
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

function retriable(error: unknown): boolean {
  if (error instanceof BusClosedError || error instanceof UnknownTopicError || error instanceof TopicMismatchError) return false;
  // A message the broker refuses as such (too large, invalid) fails the same way every time.
  const refused = (e: unknown): boolean => e instanceof Error && e.name === 'KafkaJSNonRetriableError';
  if (error instanceof PublishIncompleteError) return !refused(error.cause);
  return !refused(error);
}
