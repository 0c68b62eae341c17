import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../shared/config/runtime-config.js';
import { createLogger, markReported } from '../../../shared/log/logger.js';
import { runMain } from '../../../shared/runtime/run-main.js';

function capture(): { logger: ReturnType<typeof createLogger>; lines: () => Array<Record<string, unknown>> } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return {
    logger: createLogger('svc', { destination: stream }),
    lines: () =>
      Buffer.concat(chunks)
        .toString()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

async function exitCodeOf(start: () => Promise<unknown>, logger: ReturnType<typeof createLogger>): Promise<number> {
  return new Promise<number>((resolve) => void runMain('svc', start, { logger, exit: resolve }));
}

describe('runMain', () => {
  const listeners = { rejection: process.listeners('unhandledRejection'), exception: process.listeners('uncaughtException') };
  afterEach(() => {
    // runMain installs process-wide handlers; leave the test process as it was.
    process.removeAllListeners('unhandledRejection');
    process.removeAllListeners('uncaughtException');
    for (const l of listeners.rejection) process.on('unhandledRejection', l);
    for (const l of listeners.exception) process.on('uncaughtException', l);
    process.exitCode = undefined;
  });

  it('logs a failed start once, as a fatal line naming the cause, without the fields of the error, and exits 1', async () => {
    const { logger, lines } = capture();
    const cause = Object.assign(new Error('WRONGPASS invalid username-password pair'), { command: { name: 'auth', args: ['run-main-pw'] } });
    const code = await exitCodeOf(async () => {
      throw new Error('Redis at 127.0.0.1:1 unavailable (WRONGPASS invalid username-password pair)', { cause });
    }, logger);
    expect(code).toBe(1);
    const out = lines();
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ level: 60, msg: expect.stringMatching(/^svc failed to start: .*WRONGPASS/) });
    expect(JSON.stringify(out)).not.toContain('run-main-pw');
  });

  it('exits 2 on a ConfigError and does not log an error the service already reported', async () => {
    const config = capture();
    expect(await exitCodeOf(async () => Promise.reject(new ConfigError('invalid environment: KAFKA_SSL_CA: cannot read /x (ENOENT)')), config.logger)).toBe(2);
    expect(config.lines()[0]?.msg).toMatch(/KAFKA_SSL_CA: cannot read \/x/);

    const reported = capture();
    const error = new Error('already logged by runService');
    markReported(error);
    expect(await exitCodeOf(async () => Promise.reject(error), reported.logger)).toBe(1);
    expect(reported.lines()).toHaveLength(0);
  });

  it('leaves the exit code to a start that resolves with a number, and does not exit', async () => {
    const { logger } = capture();
    let exited = false;
    await runMain('svc', async () => 3, { logger, exit: () => (exited = true) });
    expect(process.exitCode).toBe(3);
    expect(exited).toBe(false);
  });
});
