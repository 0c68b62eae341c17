import { describe, expect, it } from 'vitest';
import { loadConsoleConfig, parseDuration } from '../../../shared/console/console-config.js';
import { tokenCheck } from '../../../shared/console/http-auth.js';
import type { IncomingMessage } from 'node:http';

describe('console configuration', () => {
  it('binds 127.0.0.1 without a token whatever DW_CONSOLE_HOST says, and DW_CONSOLE_HOST (default 0.0.0.0) with one', () => {
    expect(loadConsoleConfig({ DW_CONSOLE_HOST: '0.0.0.0' })).toMatchObject({ host: '127.0.0.1', token: null, port: 8090, historyMs: 86_400_000 });
    expect(loadConsoleConfig({ DW_CONSOLE_TOKEN: 's3cret' })).toMatchObject({ host: '0.0.0.0', token: 's3cret' });
    expect(loadConsoleConfig({ DW_CONSOLE_TOKEN: 's3cret', DW_CONSOLE_HOST: '10.0.0.5' }).host).toBe('10.0.0.5');
  });

  it('reads the history as a duration and refuses bad values with the variable named', () => {
    expect(loadConsoleConfig({ DW_CONSOLE_HISTORY: '90m' }).historyMs).toBe(5_400_000);
    expect(parseDuration('2d', 'X')).toBe(172_800_000);
    expect(parseDuration('1500', 'X')).toBe(1_500);
    expect(() => loadConsoleConfig({ DW_CONSOLE_HISTORY: 'forever' })).toThrow(/DW_CONSOLE_HISTORY/);
    expect(() => loadConsoleConfig({ DW_CONSOLE_HISTORY: '0h' })).toThrow(/DW_CONSOLE_HISTORY/);
    expect(() => loadConsoleConfig({ DW_CONSOLE_PORT: '70000' })).toThrow(/DW_CONSOLE_PORT/);
    expect(() => loadConsoleConfig({ DW_CONSOLE_MAX_SNAPSHOTS: '0' })).toThrow(/DW_CONSOLE_MAX_SNAPSHOTS/);
    expect(() => loadConsoleConfig({ DW_RETRAINER_URL: 'ftp://x' })).toThrow(/DW_RETRAINER_URL/);
  });

  it('accepts the token as a bearer header or a query parameter, nothing else', () => {
    const check = tokenCheck('s3cret');
    const request = (authorization?: string) => ({ headers: authorization ? { authorization } : {} }) as IncomingMessage;
    expect(check(request('Bearer s3cret'), new URL('http://x/'))).toBe(true);
    expect(check(request(), new URL('http://x/?token=s3cret'))).toBe(true);
    expect(check(request('Bearer s3cre'), new URL('http://x/'))).toBe(false);
    expect(check(request('Basic s3cret'), new URL('http://x/'))).toBe(false);
    expect(check(request(), new URL('http://x/?token='))).toBe(false);
    expect(check(request(), new URL('http://x/'))).toBe(false);
    expect(tokenCheck(null)(request(), new URL('http://x/'))).toBe(true);
  });
});
