import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, registerSecret, registerSecretsFromEnv, scrubSecrets, serializeError } from '../../../shared/log/logger.js';

function capture(): { logger: ReturnType<typeof createLogger>; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { logger: createLogger('test', { destination: stream, level: 'debug' }), text: () => Buffer.concat(chunks).toString() };
}

/** What ioredis rejects with on a wrong password: the AUTH command, password included, rides along. */
function wrongPassError(password: string): Error {
  return Object.assign(new Error('WRONGPASS invalid username-password pair or user is disabled.'), {
    name: 'ReplyError',
    command: { name: 'auth', args: ['alice', password] },
  });
}

describe('logger redaction', () => {
  it("drops ioredis's command arguments from errors and their causes, keeping the command's name", () => {
    const { logger, text } = capture();
    const cause = wrongPassError('hunter2-redis');
    logger.error({ err: new Error('Redis unavailable', { cause }) }, 'failed');
    logger.error({ err: cause }, 'direct');
    logger.warn({ command: { name: 'auth', args: ['hunter2-redis'] } }, 'a command object');
    const out = text();
    expect(out).not.toContain('hunter2-redis');
    expect(out).toContain('WRONGPASS');
    const first = JSON.parse(out.split('\n')[0]!) as { err: { cause: { command: unknown; message: string } } };
    expect(first.err.cause.command).toEqual({ name: 'auth' });
    expect(first.err.cause.message).toMatch(/^WRONGPASS/);
  });

  it('redacts Kafka SASL settings wherever they are logged (config objects, kafkajs fields)', () => {
    const { logger, text } = capture();
    const sasl = { mechanism: 'scram-sha-512', username: 'alice', password: 'kafka-S3cret-pw' };
    logger.info({ sasl }, 'top level');
    logger.info({ kafka: { brokers: ['b:9092'], sasl } }, 'nested');
    logger.info({ config: { kafka: { sasl } } }, 'deeper');
    logger.error({ err: Object.assign(new Error('SASL SCRAM SHA512 authentication failed'), { sasl }) }, 'error field');
    const out = text();
    expect(out).not.toContain('kafka-S3cret-pw');
    expect(out.match(/\[redacted\]/g)?.length).toBeGreaterThanOrEqual(4);
  });

  it('scrubs known secret values and URL user-info from messages, whatever field carries them', () => {
    registerSecret('registered-secret-value');
    registerSecretsFromEnv({ KAFKA_SASL_PASSWORD: 'env-kafka-pw', REDIS_URL: 'rediss://bob:p%40ss-word@redis:6380/0' });
    const { logger, text } = capture();
    logger.error('connect to redis://bob:p%40ss-word@redis:6380 failed with registered-secret-value');
    logger.info({ note: 'pw is env-kafka-pw', decoded: 'p@ss-word' }, 'fields');
    logger.error({ err: new Error('auth failed for env-kafka-pw') }, 'error message');
    const out = text();
    for (const secret of ['registered-secret-value', 'env-kafka-pw', 'p@ss-word', 'p%40ss-word']) expect(out).not.toContain(secret);
    expect(out).toContain('redis://[redacted]@redis:6380');
    expect(scrubSecrets('x env-kafka-pw y')).toBe('x [redacted] y');
    // Too short to scrub without wrecking every line: not registered.
    registerSecret('ab');
    expect(scrubSecrets('a tab')).toBe('a tab');
  });

  it('serializes an error with its cause chain and own fields, never a secret-named field', () => {
    const inner = Object.assign(new Error('inner'), { code: 'ECONNREFUSED', password: 'x-secret-x' });
    const outer = Object.assign(new Error('outer', { cause: inner }), { address: '127.0.0.1:1' });
    expect(serializeError(outer)).toMatchObject({
      type: 'Error',
      message: 'outer',
      address: '127.0.0.1:1',
      cause: { message: 'inner', code: 'ECONNREFUSED', password: '[redacted]' },
    });
    expect(serializeError('not an error')).toBe('not an error');
  });
});
