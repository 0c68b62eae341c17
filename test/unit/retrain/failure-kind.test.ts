// Which failed retrains are retried (issue 9): infrastructure errors as the libraries really
// raise them are transient; the job's own decisions, bugs and anything unknown are final.
import { connect } from 'node:net';
import { Redis, ReplyError } from 'ioredis';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { BusUnavailableError, HandlerError, PublishIncompleteError, TopicMismatchError } from '../../../shared/bus/errors.js';
import { IntegrityError, ModelNotFoundError, VersionExistsError } from '../../../shared/models/model-store.js';
import { LostLockError } from '../../../shared/retrain/retrain-job.js';
import { classifyFailure } from '../../../shared/retrain/failure-kind.js';
import { RedisLostError } from '../../../shared/runtime/redis-progress.js';
import { StoreUnavailableError } from '../../../shared/store/errors.js';

const { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSRequestTimeoutError, KafkaJSSASLAuthenticationError } =
  kafkajs;

const systemError = (code: string, message = code): Error => Object.assign(new Error(message), { code });

/** A broker's error code as kafkajs raises it: it builds the protocol error from these fields (its typings omit them). */
const protocolError = (message: string, type: string, code: number, retriable: boolean): Error =>
  new KafkaJSProtocolError(Object.assign(new Error(message), { type, code, retriable }));

/** kafkajs's typings say it takes no message; it does. */
const SaslError = KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;

/** What a refused TCP connection rejects with, from Node itself (port 1 on loopback: nobody listens). */
function refusedConnection(): Promise<Error> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: 1 });
    socket.once('error', resolve);
  });
}

/** A command on an ioredis client that cannot reach Redis; lazy, so nothing connects. */
async function ioredisFailure(options: { offlineQueue: boolean }): Promise<Error> {
  const client = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: options.offlineQueue });
  // With the offline queue the client must be closed to reject at once; without it, it rejects as is.
  if (options.offlineQueue) client.disconnect();
  try {
    await client.get('x');
    throw new Error('expected the command to fail');
  } catch (error) {
    return error as Error;
  } finally {
    client.disconnect();
  }
}

describe('classifyFailure', () => {
  describe('transient: the infrastructure was not there', () => {
    it.each<[string, () => Error | Promise<Error>]>([
      ['Kafka unreachable at connect (BusUnavailableError)', () => new BusUnavailableError(['127.0.0.1:1'], 10_000)],
      ['a publish Kafka did not confirm (PublishIncompleteError)', () => new PublishIncompleteError('p.models', [0], [0], 1, 3)],
      ['Redis not ready (StoreUnavailableError)', () => new StoreUnavailableError('127.0.0.1:1', 10_000)],
      ['kafkajs lost its connection', () => new KafkaJSConnectionError('Connection error: read ECONNRESET')],
      ['kafkajs request timed out', () => new KafkaJSRequestTimeoutError('Request Metadata(key: 3, version: 6) timed out')],
      ['kafkajs gave up retrying a connection error', () => new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('Connection timeout'), { retryCount: 5, retryTime: 1000 })],
      ['a retriable broker error (leadership moving)', () => protocolError('There is no leader for this topic-partition', 'LEADER_NOT_AVAILABLE', 5, true)],
      ['a refused TCP connection, from Node', refusedConnection],
      ['ioredis on a closed connection', () => ioredisFailure({ offlineQueue: true })],
      ['ioredis with no connection and no offline queue', () => ioredisFailure({ offlineQueue: false })],
      ['a Redis that is loading its dataset', () => new ReplyError('LOADING Redis is loading the dataset in memory')],
      ['the model store disk failing a write (EIO)', () => systemError('EIO', 'EIO: i/o error, write')],
      ['the model store disk full (ENOSPC)', () => systemError('ENOSPC', 'ENOSPC: no space left on device, write')],
      ['a network timeout (ETIMEDOUT)', () => systemError('ETIMEDOUT', 'connect ETIMEDOUT 10.0.0.1:9092')],
      ['a transient error wrapped as a cause', () => new Error('could not read the champion', { cause: systemError('ECONNRESET') })],
      ['a handler error caused by a lost connection', () => new HandlerError('p.alerts/0 from offset 3', systemError('ECONNRESET'))],
      ['every address of a connect refused (AggregateError)', () => new AggregateError([systemError('ECONNREFUSED'), systemError('ECONNREFUSED')], 'connect failed')],
    ])('%s', async (_what, make) => {
      const error = await make();
      expect(classifyFailure(error), `${error.name}: ${error.message}`).toBe('transient');
    });
  });

  describe('final: what the job decided, bugs, and anything unknown', () => {
    it.each<[string, () => unknown]>([
      ['a bug (TypeError)', () => new TypeError("Cannot read properties of undefined (reading 'version')")],
      ['an invalid value (RangeError)', () => new RangeError('invalid version "x"')],
      ['a plain error nobody classified', () => new Error('something odd')],
      ['a thrown string', () => 'failed'],
      ['a version that exists', () => new VersionExistsError('m', '2')],
      ['a corrupted artifact', () => new IntegrityError('m', '1', 'weights.bin', 'aa', 'bb')],
      ['a missing version', () => new ModelNotFoundError('m', '3')],
      ['a topic with the wrong partition count', () => new TopicMismatchError('p.models', 1, 3)],
      ['a refused login (SASL)', () => new SaslError('SASL PLAIN authentication failed')],
      ['a non-retriable kafkajs error', () => new KafkaJSNonRetriableError('Message too large')],
      ['a broker error kafkajs does not retry', () => protocolError('Not authorized to access topics', 'TOPIC_AUTHORIZATION_FAILED', 29, false)],
      ['a Redis error reply', () => new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value')],
      ['a permission denied on the model store', () => systemError('EACCES', "EACCES: permission denied, mkdir '/models/m'")],
      ['a missing model store directory', () => systemError('ENOENT')],
      ['Redis lost its data (refused until an operator recovers)', () => new RedisLostError('Redis lost the retrain state: its epoch key vanished')],
      ['a lost lock (another instance owns the model)', () => new LostLockError('lost the retrain lock (token 3); not publishing')],
      ['a handler error caused by a bug', () => new HandlerError('p.alerts/0 from offset 3', new TypeError('x is not a function'))],
      ['an AggregateError with one unknown error in it', () => new AggregateError([systemError('ECONNREFUSED'), new Error('odd')], 'connect failed')],
      ['an empty AggregateError', () => new AggregateError([], 'nothing')],
    ])('%s', (_what, make) => {
      expect(classifyFailure(make())).toBe('final');
    });

    it('follows a cause chain only so deep, and a cyclic one ends', () => {
      let deep: Error = systemError('ECONNRESET');
      for (let i = 0; i < 6; i++) deep = new Error(`wrapper ${i}`, { cause: deep });
      expect(classifyFailure(deep)).toBe('final');
      const shallow = new Error('wrapper', { cause: new Error('wrapper', { cause: systemError('ECONNRESET') }) });
      expect(classifyFailure(shallow)).toBe('transient');
      const cyclic = new Error('a');
      cyclic.cause = new Error('b', { cause: cyclic });
      expect(classifyFailure(cyclic)).toBe('final');
    });
  });
});
