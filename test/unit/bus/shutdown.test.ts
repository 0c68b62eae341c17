import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { shutdownOnSignals } from '../../../shared/bus/shutdown.js';

// Signals are delivered with process.emit, which runs the listeners without touching the process.
const SIGNAL = 'SIGUSR2' as const;

function captureLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString()));
      callback();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

describe('shutdownOnSignals', () => {
  let uninstall: (() => void) | undefined;
  afterEach(() => uninstall?.());

  it('closes in order, waiting for each, then exits 0', async () => {
    const order: string[] = [];
    const exits: number[] = [];
    const slow = (name: string, ms: number) => ({
      close: async () => {
        order.push(`${name}:start`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        order.push(`${name}:end`);
      },
    });
    const { logger } = captureLogger();
    uninstall = shutdownOnSignals([slow('consumer', 30), slow('producer', 1)], logger, {
      signals: [SIGNAL],
      exit: (code) => exits.push(code),
    });
    process.emit(SIGNAL, SIGNAL);
    expect(exits).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(order).toEqual(['consumer:start', 'consumer:end', 'producer:start', 'producer:end']);
    expect(exits).toEqual([0]);
  });

  it('exits 1 when a close fails but still closes the rest', async () => {
    const exits: number[] = [];
    let secondClosed = false;
    const { logger, lines } = captureLogger();
    uninstall = shutdownOnSignals(
      [{ close: async () => Promise.reject(new Error('boom')) }, { close: async () => void (secondClosed = true) }],
      logger,
      { signals: [SIGNAL], exit: (code) => exits.push(code) },
    );
    process.emit(SIGNAL, SIGNAL);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(secondClosed).toBe(true);
    expect(exits).toEqual([1]);
    expect(lines.some((line) => line.level === 50)).toBe(true);
  });

  it('forces exit on a second signal while closing', async () => {
    const exits: number[] = [];
    const { logger } = captureLogger();
    uninstall = shutdownOnSignals([{ close: () => new Promise<void>(() => {}) }], logger, {
      signals: [SIGNAL],
      exit: (code) => exits.push(code),
    });
    process.emit(SIGNAL, SIGNAL);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(exits).toEqual([]);
    process.emit(SIGNAL, SIGNAL);
    expect(exits).toEqual([130]);
  });
});
