// The retrainer's loop: every tick it takes the models whose pending trigger is due, tries
// each one's lock, and runs one retrain at a time (training is CPU-bound; two at once on a
// small machine only make both slow). The trigger is cleared only after the job, so a killed
// instance's trigger stays pending and another instance retries it once the lock expires.
import type { Logger } from 'pino';
import type { Incident } from '../codec/events.generated.js';
import type { RetrainLocks } from './retrain-lock.js';
import type { RetrainQueue } from './retrain-queue.js';
import type { JobLock, RetrainRequest } from './retrain-job.js';

export interface SchedulerOptions {
  queue: RetrainQueue;
  locks: RetrainLocks;
  /** Names this instance in the lock, for operators reading Redis. */
  owner: string;
  lockTtlMs: number;
  tickMs: number;
  logger: Logger;
  run(request: RetrainRequest): Promise<Incident>;
  now?: () => number;
}

export class RetrainScheduler {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: SchedulerOptions) {}

  start(): void {
    const tick = (): void => {
      if (this.stopped) return;
      this.current = this.tick()
        .catch((error: unknown) => this.options.logger.error({ err: error }, 'retrain scheduler tick failed'))
        .finally(() => {
          this.current = undefined;
          if (!this.stopped) this.timer = setTimeout(tick, this.options.tickMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  /** Stops taking work; waits for a running retrain to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current;
  }

  /** One pass over the due models; exposed for tests that step the loop. */
  async tick(): Promise<void> {
    const { queue, locks, owner, lockTtlMs, logger } = this.options;
    const now = this.options.now ?? Date.now;
    for (const model of await queue.due(now())) {
      if (this.stopped) return;
      const token = await locks.acquire(model, owner, lockTtlMs);
      if (token === null) continue; // another instance runs it
      const renewal = setInterval(() => {
        locks.renew(model, owner, token, lockTtlMs).catch((error: unknown) => logger.warn({ err: error, model }, 'could not renew the retrain lock'));
      }, Math.max(100, Math.floor(lockTtlMs / 3)));
      try {
        const pending = await queue.peek(model);
        if (pending === null) continue; // finished by another instance just before we got the lock
        const lock: JobLock = { token, holds: () => locks.holds(model, owner, token) };
        logger.info({ model, token, triggers: pending.triggers.length, manual: pending.manual }, 'retrain starting');
        await this.options.run({ model, triggers: pending.triggers, manual: pending.manual, lock });
        // A job that lost its lock published nothing (fencing); its trigger stays for the
        // instance that holds the lock now, or for the next tick here.
        if (!(await lock.holds())) {
          logger.warn({ model, token }, 'the retrain lock expired during the run; the trigger stays pending');
          continue;
        }
        await queue.clear(model, pending.firstAt, pending.count, now());
        await queue.finished(model, now());
      } finally {
        clearInterval(renewal);
        await locks.release(model, owner, token).catch(() => {});
      }
    }
  }
}
