// LOG_FORMAT and the terminal check: pretty lines for a person, JSON for a pipe, and the same
// redaction and secret scrubbing in both.
import { PassThrough } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createLogger, logFormat, registerSecret, type LogFormat } from '../../../shared/log/logger.js';

/** A stream that says it is a terminal (or not), collecting what is written. */
function output(isTTY: boolean): { stream: PassThrough & { isTTY?: boolean }; text: () => string } {
  const stream: PassThrough & { isTTY?: boolean } = new PassThrough();
  if (isTTY) stream.isTTY = true;
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString() };
}

function logSecrets(format: LogFormat | undefined, isTTY: boolean): string {
  registerSecret('scrub-me-4711');
  const { stream, text } = output(isTTY);
  const logger = createLogger('drift', { destination: stream, level: 'info', ...(format ? { format } : {}) });
  logger.info({ sasl: { username: 'alice', password: 'sasl-pw-0815' }, model: 'churn' }, 'connecting with scrub-me-4711');
  logger.error({ err: Object.assign(new Error('redis://bob:url-pw-99@redis:6379 refused'), { command: { name: 'auth', args: ['bob', 'args-pw-42'] } }) }, 'failed');
  return text();
}

describe('log format', () => {
  it('is pretty on a terminal and JSON elsewhere; LOG_FORMAT overrides both ways', () => {
    expect(logFormat({}, true)).toEqual({ format: 'pretty' });
    expect(logFormat({}, false)).toEqual({ format: 'json' });
    expect(logFormat({ LOG_FORMAT: 'json' }, true)).toEqual({ format: 'json' });
    expect(logFormat({ LOG_FORMAT: 'PRETTY' }, false)).toEqual({ format: 'pretty' });
    expect(logFormat({ LOG_FORMAT: 'yaml' }, false)).toEqual({ format: 'json', invalid: 'yaml' });
  });

  it('writes readable lines to a terminal, with the service before the message', () => {
    // Colours too, on a terminal; the words are what is checked.
    const text = stripVTControlCharacters(logSecrets(undefined, true));
    expect(text).not.toMatch(/^\{/m);
    expect(text).toMatch(/INFO.*drift: connecting with \[redacted\]/);
    expect(text).toMatch(/ERROR.*drift: failed/);
    expect(text).toContain('model: "churn"');
  });

  it('writes one JSON object per line to anything else', () => {
    const lines = logSecrets(undefined, false).trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]!)).toMatchObject({ service: 'drift', msg: 'connecting with [redacted]', model: 'churn' });
  });

  it.each([['pretty' as const], ['json' as const]])('redacts credential fields and scrubs secret values in %s lines', (format) => {
    const text = logSecrets(format, format === 'pretty');
    for (const secret of ['scrub-me-4711', 'sasl-pw-0815', 'url-pw-99', 'args-pw-42', 'alice']) expect(text).not.toContain(secret);
    expect(text).toContain('redis://[redacted]@redis:6379');
    expect(text.match(/\[redacted\]/g)!.length).toBeGreaterThanOrEqual(3);
  });
});
