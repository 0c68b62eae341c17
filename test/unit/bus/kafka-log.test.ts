import { Writable } from 'node:stream';
import { logLevel } from 'kafkajs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { kafkajsLevelFor, pinoLogCreator } from '../../../shared/bus/kafka-log.js';
import { createLogger } from '../../../shared/log/logger.js';

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()));
      callback();
    },
  });
  return { lines, logger: pino({ level }, stream) };
}

describe('kafkajs → pino logging', () => {
  it('keeps level, message, namespace and extra fields, under the kafkajs component', () => {
    const { lines, logger } = capture('debug');
    const log = pinoLogCreator(logger)(logLevel.DEBUG);
    log({ namespace: 'Consumer', level: logLevel.ERROR, label: 'ERROR', log: { timestamp: 't', message: 'Crash', groupId: 'g' } });
    log({ namespace: 'Runner', level: logLevel.INFO, label: 'INFO', log: { timestamp: 't', message: 'joined' } });
    expect(lines.map((l) => [l.level, l.msg, l.namespace, l.component])).toEqual([
      [50, 'Crash', 'Consumer', 'kafkajs'],
      [30, 'joined', 'Runner', 'kafkajs'],
    ]);
    expect(lines[0]!.groupId).toBe('g');
  });

  it('logs kafkajs\'s line for every pause and resume at debug: the co-partition flow control makes many', () => {
    const { lines, logger } = capture('debug');
    const log = pinoLogCreator(logger)(logLevel.DEBUG);
    log({ namespace: 'ConsumerGroup', level: logLevel.INFO, label: 'INFO', log: { timestamp: 't', message: 'Pausing fetching from 1 topics' } });
    log({ namespace: 'ConsumerGroup', level: logLevel.INFO, label: 'INFO', log: { timestamp: 't', message: 'Resuming fetching from 1 topics' } });
    log({ namespace: 'ConsumerGroup', level: logLevel.INFO, label: 'INFO', log: { timestamp: 't', message: 'Consumer has joined the group' } });
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [20, 'Pausing fetching from 1 topics'],
      [20, 'Resuming fetching from 1 topics'],
      [30, 'Consumer has joined the group'],
    ]);
  });

  it('asks kafkajs only for what pino would print', () => {
    expect(kafkajsLevelFor(capture('warn').logger)).toBe(logLevel.WARN);
    expect(kafkajsLevelFor(capture('silent').logger)).toBe(logLevel.NOTHING);
    expect(kafkajsLevelFor(capture('trace').logger)).toBe(logLevel.DEBUG);
  });

  it('redacts credentials that kafkajs or callers put into log fields', () => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(JSON.parse(chunk.toString()));
        callback();
      },
    });
    const logger = createLogger('test', { level: 'info', destination: stream });
    pinoLogCreator(logger)(logLevel.INFO)({
      namespace: 'Connection',
      level: logLevel.ERROR,
      label: 'ERROR',
      log: { timestamp: 't', message: 'auth failed', sasl: { mechanism: 'plain', password: 'p' } },
    });
    logger.info({ config: { password: 'q', host: 'h' } }, 'cfg');
    expect(lines[0]!.sasl).toBe('[redacted]');
    expect(lines[0]!.service).toBe('test');
    expect(lines[1]!.config).toEqual({ password: '[redacted]', host: 'h' });
  });
});
