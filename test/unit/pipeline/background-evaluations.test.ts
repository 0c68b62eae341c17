import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../shared/log/logger.js';
import { BackgroundEvaluations, FAILING_LIMIT_MS, RETRY_FIRST_MS } from '../../../shared/pipeline/background-evaluations.js';

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function setup(): { background: BackgroundEvaluations; registry: Registry } {
  const registry = new Registry();
  return { background: new BackgroundEvaluations(registry, createLogger('test', { level: 'silent' }), 'perf'), registry };
}

async function gauge(registry: Registry, name: string): Promise<number> {
  const metric = await registry.getSingleMetric(name)!.get();
  return metric.values.reduce((sum, v) => sum + v.value, 0);
}

/** Model m's evaluation 'running' (held until `gate` resolves), and 'waiting' queued behind it. */
function runningAndWaiting(background: BackgroundEvaluations): { ran: string[]; gate: ReturnType<typeof deferred> } {
  const ran: string[] = [];
  const gate = deferred();
  background.request('m', async () => {
    ran.push('running');
    await gate.promise;
  });
  background.request('m', async () => void ran.push('waiting'));
  return { ran, gate };
}

describe('BackgroundEvaluations', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs one evaluation per model at a time, and the newest waiting request replaces older ones', async () => {
    const { background, registry } = setup();
    const ran: string[] = [];
    const first = deferred();
    background.request('m', async () => {
      ran.push('m1');
      await first.promise;
    });
    background.request('m', async () => void ran.push('m2'));
    background.request('m', async () => void ran.push('m3'));
    background.request('other', async () => void ran.push('o1'));
    expect(ran).toEqual(['m1', 'o1']);
    expect(background.inFlight).toBe(2);
    expect(await gauge(registry, 'driftwatch_evaluations_in_flight')).toBe(2);
    first.resolve();
    await background.idle();
    // m2 was replaced by m3 before it started.
    expect(ran).toEqual(['m1', 'o1', 'm3']);
    expect(background.inFlight).toBe(0);
    expect(await gauge(registry, 'driftwatch_evaluations_in_flight')).toBe(0);
  });

  it('tries a failed evaluation again after a pause, and counts the failure', async () => {
    vi.useFakeTimers();
    const { background, registry } = setup();
    let calls = 0;
    background.request('m', async () => {
      calls += 1;
      if (calls === 1) throw new Error('Connection is closed.');
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toBe(1);
    expect(await gauge(registry, 'driftwatch_evaluation_failures_total')).toBe(1);
    // Still in flight: the retry is due.
    expect(background.inFlight).toBe(1);
    await vi.advanceTimersByTimeAsync(RETRY_FIRST_MS - 1);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2);
    await background.idle();
    expect(background.inFlight).toBe(0);
  });

  it('a newer request after a failure runs at once instead of the retry', async () => {
    vi.useFakeTimers();
    const { background } = setup();
    const ran: string[] = [];
    background.request('m', async () => {
      ran.push('old');
      throw new Error('down');
    });
    await vi.advanceTimersByTimeAsync(0);
    background.request('m', async () => void ran.push('new'));
    await vi.advanceTimersByTimeAsync(RETRY_FIRST_MS * 4);
    expect(ran).toEqual(['old', 'new']);
    expect(background.inFlight).toBe(0);
  });

  it('stop lets running and waiting evaluations finish, then drops retries and new requests', async () => {
    vi.useFakeTimers();
    const { background } = setup();
    const { ran, gate } = runningAndWaiting(background);
    background.request('failing', async () => {
      ran.push('failing');
      throw new Error('down');
    });
    const stopped = background.stop();
    gate.resolve();
    await stopped;
    expect(ran).toEqual(['running', 'failing', 'waiting']);
    expect(background.inFlight).toBe(0);
    background.request('m', async () => void ran.push('after stop'));
    await vi.advanceTimersByTimeAsync(RETRY_FIRST_MS * 10);
    expect(ran).toEqual(['running', 'failing', 'waiting']);
  });

  it('forget drops what waits for a model that went idle; the running evaluation finishes', async () => {
    const { background } = setup();
    const { ran, gate } = runningAndWaiting(background);
    background.forget('m');
    expect(background.inFlight).toBe(1);
    gate.resolve();
    await background.idle();
    expect(ran).toEqual(['running']);
    expect(background.inFlight).toBe(0);
  });

  it('readiness: a detail while a model\'s evaluations fail, a failure past the limit, green again once one succeeds', async () => {
    vi.useFakeTimers();
    let clock = 1_000_000;
    const background = new BackgroundEvaluations(new Registry(), createLogger('test', { level: 'silent' }), 'perf', () => clock);
    const probe = background.probe();
    let redisUp = false;
    const evaluation = async (): Promise<void> => {
      if (!redisUp) throw new Error('Connection is closed.');
    };
    await expect(probe()).resolves.toBeUndefined();
    background.request('m', evaluation);
    await vi.advanceTimersByTimeAsync(0);
    clock += 60_000;
    await expect(probe()).resolves.toMatch(/perf evaluations of model m have failed for 60 s \(1 tries/);
    expect(background.failing).toEqual({ model: 'm', error: new Error('Connection is closed.') });
    clock += FAILING_LIMIT_MS;
    await expect(probe()).rejects.toThrow(/no snapshot or alert is published for it/);
    redisUp = true;
    await vi.advanceTimersByTimeAsync(RETRY_FIRST_MS);
    await background.idle();
    await expect(probe()).resolves.toBeUndefined();
    expect(background.failing).toBeNull();
  });
});

