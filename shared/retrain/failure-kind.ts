// Whether a failed retrain is worth running again (issue 9). A run that failed because the
// infrastructure was down (Kafka, Redis, the model store's disk, the network) would most likely
// succeed later, and no new alert will come to ask again (alerts are transitions): it is
// `transient` and the scheduler keeps the trigger pending with a backoff. Everything else is
// `final`: what the job decided (too few examples, REJECTED, an invalid config) and every error
// this function does not recognise. A bug must not loop, so unknown means final.
//
// Pure: it looks at names, codes and `cause` chains only, never at the error's class identity,
// so errors from another copy of kafkajs or ioredis are judged alike.

export type FailureKind = 'transient' | 'final';

/** Our own infrastructure errors (shared/bus/errors.ts, shared/store/errors.ts). */
const OWN_TRANSIENT = new Set(['BusUnavailableError', 'PublishIncompleteError', 'StoreUnavailableError']);

/**
 * kafkajs: lost or refused connections, timeouts, brokers or coordinators missing during an
 * outage, and its retry budget running out (it only retries what it considers retriable).
 */
const KAFKAJS_TRANSIENT = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSTimeout',
  'KafkaJSLockTimeout',
]);

/** ioredis: a command given up across reconnects, a cluster that could not refresh its slots. */
const IOREDIS_TRANSIENT = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError']);

/** ioredis rejects commands on a dead connection with plain Errors; these are their exact messages. */
const IOREDIS_CONNECTION_MESSAGES = new Set([
  'Connection is closed.',
  "Stream isn't writeable and enableOfflineQueue options is false",
  "Cluster isn't ready and enableOfflineQueue options is false",
  'Cluster is disconnected.',
  'None of startup nodes is available',
]);

/** Redis replies that mean "not now" (loading, failover, resharding), never "wrong". */
const REDIS_BUSY_REPLIES = /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY) /;

/**
 * Node system error codes: the network (Kafka, Redis, a remote store) and file I/O of the model
 * store that a later attempt can get past (a flaky or full disk, too many open files). Not
 * EACCES, EROFS or ENOENT: a wrong path or permission does not fix itself.
 */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'EIO',
  'ENOSPC',
  'EDQUOT',
  'EAGAIN',
  'EBUSY',
  'EMFILE',
  'ENFILE',
  'ESTALE',
]);

/** How deep a `cause` chain is followed (wrappers: KafkaJSNumberOfRetriesExceeded, BusUnavailableError, HandlerError). */
const MAX_CAUSE_DEPTH = 5;

/**
 * `transient` when the error, or an error it was caused by, is one of the infrastructure
 * failures above; `final` otherwise. AggregateError (Node's connect to several addresses)
 * counts as transient only when every error in it does.
 */
export function classifyFailure(error: unknown): FailureKind {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth <= MAX_CAUSE_DEPTH; e = e.cause, depth += 1) {
    if (isTransient(e)) return 'transient';
  }
  return 'final';
}

function isTransient(error: Error): boolean {
  const { name, message } = error;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
  if (OWN_TRANSIENT.has(name) || KAFKAJS_TRANSIENT.has(name) || IOREDIS_TRANSIENT.has(name)) return true;
  // A broker's error code that kafkajs marks retriable: leadership moving, a coordinator loading.
  if (name === 'KafkaJSProtocolError' && (error as { retriable?: unknown }).retriable === true) return true;
  if (name === 'ReplyError' && REDIS_BUSY_REPLIES.test(message)) return true;
  if (IOREDIS_CONNECTION_MESSAGES.has(message)) return true;
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors.every((e) => classifyFailure(e) === 'transient');
  return false;
}
