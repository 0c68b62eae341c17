// Poison isolation for a batch's apply (issue 9). A batch that fails to apply is split in
// halves, recursively, so the messages that apply are applied and exactly the message that
// fails on its own is handed back to be dead-lettered (APPLY_FAILED). A failure that looks
// like an outage (Redis or Kafka unreachable) is never blamed on a message: it ends the
// isolation and fails the batch, which the bus delivers again with backoff.
//
// A message is returned as poisoned only when all three hold:
// - its failure is not a transient one (isTransientError);
// - it fails again when applied alone a second time (reproducible on the single message);
// - the store answers a probe right after (so an outage that throws an unexpected error
//   type still cannot dead-letter valid events).
//
// Fencing: `apply` must be offset-fenced per part (applyFenced) and record the part's own
// last offset, as the drift pipeline's reference-sample split does. Parts go in offset order,
// so the recorded offset only grows; a redelivery skips the parts applied before (the fence)
// and meets a poisoned message again, which then dead-letters again: dead letters are at
// least once under redelivery (same key topic/partition/offset), exactly once otherwise.

import type { ServiceStore } from '../runtime/run-service.js';

export interface Poisoned<T> {
  item: T;
  error: Error;
}

export interface IsolationOptions {
  /** Whether an error is an outage rather than the batch's content. Default isTransientError. */
  isTransient?: (error: unknown) => boolean;
  /** Resolves when the store answers; rejects during an outage. Default: nothing to probe. */
  probe?: () => Promise<void>;
}

/**
 * Applies `items` in offset order, isolating the ones whose apply fails deterministically.
 * `apply(part, endsItems)` gets a contiguous run of items; `endsItems` is true when the run
 * ends with the last item (the part that may record the batch's last offset).
 * Throws when a failure is transient (or the probe fails); returns the poisoned items otherwise.
 */
export async function applyIsolating<T>(
  items: readonly T[],
  apply: (part: readonly T[], endsItems: boolean) => Promise<void>,
  options: IsolationOptions = {},
): Promise<Poisoned<T>[]> {
  const isTransient = options.isTransient ?? isTransientError;
  const poisoned: Poisoned<T>[] = [];
  const last = items.at(-1);
  const run = async (part: readonly T[]): Promise<void> => {
    if (part.length === 0) return;
    const endsItems = part.at(-1) === last;
    let failure: unknown;
    try {
      await apply(part, endsItems);
      return;
    } catch (error) {
      if (isTransient(error)) throw error;
      failure = error;
    }
    if (part.length > 1) {
      const middle = Math.ceil(part.length / 2);
      await run(part.slice(0, middle));
      await run(part.slice(middle));
      return;
    }
    // One message failed. Once more on its own: a failure that does not repeat was not it.
    try {
      await apply(part, endsItems);
      return;
    } catch (error) {
      if (isTransient(error)) throw error;
      failure = error;
    }
    if (options.probe) await options.probe();
    poisoned.push({ item: part[0]!, error: asError(failure) });
  };
  await run(items);
  return poisoned;
}

const TRANSIENT_NAMES = new Set([
  'MaxRetriesPerRequestError', // ioredis: a command outlived its reconnect attempts
  'StoreUnavailableError',
  'BusUnavailableError',
  'BusClosedError',
  'AbortError',
]);
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'NR_CLOSED']);
/** ioredis connection states, and Redis replies that mean "not now" rather than "never". */
const TRANSIENT_MESSAGE =
  /^(Connection is closed|Stream isn't writeable|Command timed out|Socket closed unexpectedly|LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY|NOREPLICAS|MOVED|ASK)\b/;

/**
 * An outage, not the data: the same call can succeed later unchanged. Kafka client errors
 * (a DLQ or outbox publish that failed) count as transient too; they never depend on one message.
 */
export function isTransientError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (TRANSIENT_NAMES.has(error.name) || error.name.startsWith('KafkaJS')) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
  if (TRANSIENT_MESSAGE.test(error.message)) return true;
  return error.cause !== undefined && error.cause !== error && isTransientError(error.cause);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** The dead letter of a message whose apply failed on its own. */
export const APPLY_FAILED = 'APPLY_FAILED';

export function applyFailure(error: Error): { reason: string; message: string } {
  return { reason: APPLY_FAILED, message: `${error.name}: ${error.message}` };
}

/** The service store's probe for applyIsolating: Redis PING when distributed, nothing in memory. */
export function storeProbe(store: ServiceStore): () => Promise<void> {
  return async () => {
    if (store.mode === 'distributed') await store.redis.ping();
  };
}
