import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { BusClosedError, PublishIncompleteError, UnknownTopicError } from '../../../shared/bus/errors.js';
import { publishUntilAccepted } from '../../../shared/bus/publish-until-accepted.js';
import type { EventBus, OutgoingMessage } from '../../../shared/bus/types.js';

const logger = pino({ level: 'silent' });
const msg = (key: string): OutgoingMessage => ({ key, value: Buffer.from(key) });

/** A bus whose publish answers from a script of outcomes, recording what it was given. */
function scriptedBus(outcomes: Array<(messages: OutgoingMessage[]) => void>): EventBus & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    ensureTopics: async () => {},
    subscribe: async () => ({ stop: async () => {} }),
    close: async () => {},
    publish: async (_topic, messages) => {
      calls.push(messages.map((m) => m.key!));
      const next = outcomes.shift();
      next?.(messages);
    },
  };
}

describe('publishUntilAccepted', () => {
  it('re-sends only the unconfirmed messages of a PublishIncompleteError, until accepted', async () => {
    const bus = scriptedBus([
      () => {
        throw new PublishIncompleteError('t', [1], [1, 3], 4, 3);
      },
      () => {
        throw new Error('KafkaJSNumberOfRetriesExceeded');
      },
    ]);
    await publishUntilAccepted(bus, 't', ['a', 'b', 'c', 'd'].map(msg), { logger, what: 'test', initialDelayMs: 1 });
    expect(bus.calls).toEqual([['a', 'b', 'c', 'd'], ['b', 'd'], ['b', 'd']]);
  });

  it('gives up on what no retry cures: a closed bus, a missing topic, a refused record', async () => {
    for (const error of [new BusClosedError(), new UnknownTopicError('t'), new PublishIncompleteError('t', [0], [0], 1, 1, Object.assign(new Error('too large'), { name: 'KafkaJSNonRetriableError' }))]) {
      const bus = scriptedBus([
        () => {
          throw error;
        },
      ]);
      await expect(publishUntilAccepted(bus, 't', [msg('a')], { logger, what: 'test', initialDelayMs: 1 })).rejects.toBe(error);
      expect(bus.calls).toHaveLength(1);
    }
  });

  it('stops when keepTrying says so', async () => {
    let tries = 0;
    const bus = scriptedBus(Array.from({ length: 10 }, () => () => {
      throw new Error('down');
    }));
    await expect(publishUntilAccepted(bus, 't', [msg('a')], { logger, what: 'test', initialDelayMs: 1, keepTrying: () => ++tries < 3 })).rejects.toThrow('down');
    expect(bus.calls).toHaveLength(3);
  });
});

describe('PublishIncompleteError', () => {
  it('names the topic, the partitions and how many messages to re-send', () => {
    const error = new PublishIncompleteError('dw.predictions', [2, 5], [0, 7, 9], 10, 3, new Error('Connection error'));
    expect(error.message).toBe('publish to dw.predictions: partitions 2, 5 not confirmed after 3 attempts (3 of 10 messages; re-send only those): Error: Connection error');
    expect(error.retriable).toBe(true);
  });
});
