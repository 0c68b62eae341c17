// The retrainer's loop: every tick it takes the models whose pending trigger is due, tries
// each one's lock, and runs one retrain at a time (training is CPU-bound; two at once on a
// small machine only make both slow). The trigger is cleared only after the job, so a killed
// instance's trigger stays pending and another instance retries it once the lock expires.
// A lock's token is above the model's fencing floor (the highest token on the models topic),
// and nothing is taken once the state guard says Redis lost its data (issue 9).
// A run that failed transiently (the job says when to retry) keeps its trigger pending, due at
// the retry time, with the attempt counted (retryLater); its retry is a run like any other. Every
// other end of a run, giving up after the last attempt included, clears the trigger.
import type { Logger } from 'pino';
import { DEFAULT_RETRAIN_POLICY } from '../config/monitoring-config.js';
import type { RetrainLocks } from './retrain-lock.js';
import type { RetrainQueue } from './retrain-queue.js';
import type { JobLock, RetrainRequest, RetrainResult, StateGuard } from './retrain-job.js';
import { attemptOf, type RetrainRetryPolicy } from './retry-policy.js';

export interface SchedulerOptions {
  queue: RetrainQueue;
  locks: RetrainLocks;
  /** Names this instance in the lock, for operators reading Redis. */
  owner: string;
  lockTtlMs: number;
  tickMs: number;
  logger: Logger;
  run(request: RetrainRequest): Promise<RetrainResult>;
  /** The model's retry backoff and attempts (its retrain policy's `retry`). Default: the built-in policy's. */
  retryPolicy?(model: string): RetrainRetryPolicy;
  /**
   * The highest fencing token already published for the model (readFencingFloor); the lock's
   * token is above it. Read only when the lock looks free: it reads the models topic. Default 0.
   */
  fencingFloor?(model: string): Promise<number>;
  /** Redis's epoch (RedisProgress); none when embedded. Checked at each tick and before each lock. */
  guard?: StateGuard;
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
    const { queue, locks, owner, lockTtlMs, logger, guard } = this.options;
    const now = this.options.now ?? Date.now;
    // Lost: refused loudly once (the guard logged what to do); nothing runs until an operator recovers.
    if (guard?.lost) return;
    await guard?.check();
    for (const model of await queue.due(now())) {
      if (this.stopped) return;
      if (await locks.held(model)) continue; // another instance runs it
      const floor = (await this.options.fencingFloor?.(model)) ?? 0;
      // Reading the floor took a while: the last look at Redis's epoch before the lock.
      await guard?.check();
      const token = await locks.acquire(model, owner, lockTtlMs, floor);
      if (token === null) continue; // another instance took it meanwhile
      const renewal = setInterval(() => {
        locks.renew(model, owner, token, lockTtlMs).catch((error: unknown) => logger.warn({ err: error, model }, 'could not renew the retrain lock'));
      }, Math.max(100, Math.floor(lockTtlMs / 3)));
      try {
        const pending = await queue.peek(model);
        if (pending === null) continue; // finished by another instance just before we got the lock
        const lock: JobLock = { token, holds: () => locks.holds(model, owner, token) };
        const attempt = attemptOf(pending, this.options.retryPolicy?.(model) ?? DEFAULT_RETRAIN_POLICY.retry);
        logger.info({ model, token, triggers: pending.triggers.length, manual: pending.manual, attempt: attempt.number, of: attempt.of }, 'retrain starting');
        const result = await this.options.run({ model, triggers: pending.triggers, manual: pending.manual, lock, attempt });
        // Redis lost its data during the run: the job published nothing after it noticed, and
        // there is nothing left to clear.
        if (guard?.lost) return;
        // A job that lost its lock published nothing (fencing); its trigger stays for the
        // instance that holds the lock now, or for the next tick here.
        if (!(await lock.holds())) {
          logger.warn({ model, token }, 'the retrain lock expired during the run; the trigger stays pending');
          continue;
        }
        if (result.retryAt !== null) {
          // No finished(): nothing finished, and the cooldown would drop the alerts that join the wait.
          const kept = await queue.retryLater(model, pending.firstAt, { attempts: attempt.number, retryAt: result.retryAt, failedIncident: result.incident.id });
          logger.warn({ model, attempt: attempt.number, of: attempt.of, retryAt: new Date(result.retryAt).toISOString(), kept }, 'retrain failed transiently; retry scheduled');
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
