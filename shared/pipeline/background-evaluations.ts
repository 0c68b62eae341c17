// A model's evaluations beside its batches, not in their way.
//
// An evaluation only reads what Redis applied (advance is atomic there) and commits fenced, and
// Redis's reply to every apply says how far the model is evaluated. So a batch need not wait for
// the evaluation its apply made due: its offsets may be committed once Redis applied it, and the
// consumer fetches and reads the next batches while the evaluation (an advance, the rules, a
// fenced commit, the outbox sent to Kafka) waits for Redis and the brokers. Before, every fetch
// round of kafkajs waited for the slowest batch's evaluation chain, and the process sat idle.
//
// Per model one evaluation runs at a time, and at most one waits: a newer request replaces the
// waiting one (its reply is at least as far, and evaluating up to it covers the older target).
// A failed evaluation is logged, counted and tried again after a pause, unless a newer request
// came meanwhile; a restart resumes from what Redis committed (the next apply's reply).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { Probe } from '../runtime/ops-server.js';

/** First pause before a failed evaluation is tried again; doubles up to RETRY_MAX_MS. */
export const RETRY_FIRST_MS = 500;
export const RETRY_MAX_MS = 30_000;
/** How long a model's evaluations may keep failing before /readyz fails: Redis or Kafka blips last seconds. */
export const FAILING_LIMIT_MS = 5 * 60_000;

interface ModelQueue {
  running: Promise<void> | null;
  waiting: (() => Promise<void>) | null;
  retry: ReturnType<typeof setTimeout> | null;
  failures: number;
  /** When the current run of failures began (null: the last evaluation succeeded). */
  failingSince: number | null;
  lastError: unknown;
}

export class BackgroundEvaluations {
  private readonly queues = new Map<string, ModelQueue>();
  private readonly failed: Counter;
  private stopped = false;

  constructor(
    registry: Registry,
    private readonly logger: Logger,
    private readonly scope: string,
    private readonly now: () => number = Date.now,
  ) {
    const queues = this.queues;
    new Gauge({
      name: 'driftwatch_evaluations_in_flight',
      help: 'Models with an evaluation running or waiting to run (evaluations run beside the batches that made them due).',
      registers: [registry],
      collect() {
        this.set(queues.size);
      },
    });
    this.failed = new Counter({
      name: 'driftwatch_evaluation_failures_total',
      help: 'Evaluations that failed (tried again after a pause; the log says why).',
      registers: [registry],
    });
  }

  /**
   * /readyz: a detail while some model's evaluations fail, a failure once one has failed for
   * longer than `limitMs` (its windows are counted, but no snapshot or alert comes out).
   */
  probe(limitMs: number = FAILING_LIMIT_MS): Probe {
    return async () => {
      let oldest: { model: string; since: number; failures: number } | null = null;
      for (const [model, queue] of this.queues) {
        if (queue.failingSince !== null && (oldest === null || queue.failingSince < oldest.since)) oldest = { model, since: queue.failingSince, failures: queue.failures };
      }
      if (oldest === null) return;
      const seconds = Math.round((this.now() - oldest.since) / 1000);
      const what = `${this.scope} evaluations of model ${oldest.model} have failed for ${seconds} s (${oldest.failures} tries; the log says why)`;
      if (this.now() - oldest.since > limitMs) throw new Error(`${what}: no snapshot or alert is published for it`);
      return what;
    };
  }

  /** A model whose last evaluation failed, with its error (null when none is failing). */
  get failing(): { model: string; error: unknown } | null {
    for (const [model, queue] of this.queues) if (queue.failingSince !== null) return { model, error: queue.lastError };
    return null;
  }

  /** Models with an evaluation running, waiting or to be tried again. */
  get inFlight(): number {
    return this.queues.size;
  }

  /** Runs `evaluation` once the model's running one is done; replaces one still waiting. */
  request(model: string, evaluation: () => Promise<void>): void {
    if (this.stopped) return;
    let queue = this.queues.get(model);
    if (queue === undefined) {
      queue = { running: null, waiting: null, retry: null, failures: 0, failingSince: null, lastError: null };
      this.queues.set(model, queue);
    }
    if (queue.retry !== null) {
      clearTimeout(queue.retry);
      queue.retry = null;
    }
    queue.waiting = evaluation;
    if (queue.running === null) this.next(model, queue);
  }

  /** The model went idle (IdleModels): an evaluation still waiting or to be retried is dropped; a running one finishes. */
  forget(model: string): void {
    const queue = this.queues.get(model);
    if (queue === undefined) return;
    queue.waiting = null;
    if (queue.retry !== null) clearTimeout(queue.retry);
    queue.retry = null;
    if (queue.running === null) this.queues.delete(model);
  }

  /**
   * A graceful stop, once the batches stopped: the evaluations running and waiting finish (the
   * connections are still open), retries still to come are dropped (the next apply after a
   * restart asks again).
   */
  async stop(): Promise<void> {
    await this.idle();
    this.stopped = true;
    for (const [model, queue] of this.queues) {
      if (queue.retry !== null) clearTimeout(queue.retry);
      this.queues.delete(model);
    }
  }

  /** Resolves once no evaluation runs or waits to run (a retry after a failure is not waited for). */
  async idle(): Promise<void> {
    for (;;) {
      const running = [...this.queues.values()].map((q) => q.running).filter((r): r is Promise<void> => r !== null);
      if (running.length === 0) return;
      await Promise.all(running);
    }
  }

  private next(model: string, queue: ModelQueue): void {
    const evaluation = queue.waiting;
    queue.waiting = null;
    if (evaluation === null) {
      if (queue.retry === null && this.queues.get(model) === queue) this.queues.delete(model);
      return;
    }
    queue.running = run(evaluation).then(
      () => {
        queue.failures = 0;
        queue.failingSince = null;
        queue.lastError = null;
      },
      (error: unknown) => this.failedOnce(model, queue, evaluation, error),
    );
    void queue.running.then(() => {
      queue.running = null;
      this.next(model, queue);
    });
  }

  private failedOnce(model: string, queue: ModelQueue, evaluation: () => Promise<void>, error: unknown): void {
    this.failed.inc();
    queue.failures += 1;
    queue.failingSince ??= this.now();
    queue.lastError = error;
    const pauseMs = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (queue.failures - 1));
    this.logger.warn({ err: error, model, scope: this.scope, retryInMs: pauseMs }, 'evaluation failed; trying again');
    if (this.stopped || queue.waiting !== null) return;
    queue.retry = setTimeout(() => {
      queue.retry = null;
      if (queue.waiting === null) queue.waiting = evaluation;
      if (queue.running === null) this.next(model, queue);
    }, pauseMs);
    queue.retry.unref?.();
  }
}

function run(evaluation: () => Promise<void>): Promise<void> {
  try {
    return evaluation();
  } catch (error) {
    return Promise.reject(error);
  }
}
