// Keeps a long batch alive and interruptible: heartbeats the consumer group while deliveries
// retry, and aborts the batch's requests and waits when the service stops or the group
// rebalances (a failed heartbeat), so the partition's next owner takes over promptly.
import type { BatchContext } from '../bus/types.js';

const TICK_MS = 250;

export class StoppedError extends Error {
  override readonly name = 'StoppedError';
}

export class BatchSession {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  /** A kafkajs error from heartbeat (rebalance): rethrown so the consumer rejoins its group. */
  private heartbeatError: unknown;

  constructor(private readonly ctx: BatchContext) {
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Waits `ms`, rejecting as soon as the batch is aborted. */
  sleep(ms: number): Promise<void> {
    const signal = this.signal;
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason as Error);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Stops the ticks; the error to throw for an aborted batch, undefined when it was not. */
  close(): unknown {
    clearInterval(this.timer);
    if (!this.signal.aborted) return undefined;
    return this.heartbeatError ?? this.signal.reason;
  }

  private tick(): void {
    if (this.signal.aborted) return;
    if (!this.ctx.isRunning()) {
      this.controller.abort(new StoppedError('the notifier is stopping: the batch is left for the next owner of its partition'));
      return;
    }
    this.ctx.heartbeat().catch((error: unknown) => {
      this.heartbeatError = error;
      this.controller.abort(new StoppedError('the consumer group is rebalancing: the batch is left for the next owner of its partition'));
    });
  }
}
