// Moves a (model, scope)'s window end forward one bucket at a time and evaluates each end.
// Any instance may do it: `advance` and `commitEvaluation` are fenced in Redis, so an end
// is evaluated once whichever instance gets there first; the loser's work is discarded.
// Each end costs two round trips: `advance` (the window sums of the horizons due at that end,
// see evaluation-cadence.ts, the alert and detector states, the closing bucket) and the commit.
import type { Logger } from 'pino';
import type { EventBus } from '../bus/types.js';
import type { EvaluationCommit, EvaluationInput, EvaluationState, Outbox, Scope, WindowSettings } from '../monitor-state/types.js';
import type { TopicNames } from '../topics.js';
import { evaluationEnds } from './clock.js';
import { dueHorizons } from './evaluation-cadence.js';
import { drainOutbox } from './outbox-publisher.js';

/** What one evaluation decided: everything committed together with the window end. */
export type EvaluationOutcome = Omit<EvaluationCommit, 'model' | 'scope' | 'end'>;

export type Evaluate = (model: string, input: EvaluationInput) => Promise<EvaluationOutcome>;

/** The loop advances and commits, then drains what the commit recorded. */
export type EvaluationLoopState = EvaluationState & Outbox;

export interface EvaluationLoopOptions {
  state: EvaluationLoopState;
  bus: EventBus;
  topics: TopicNames;
  scope: Scope;
  /** With a logger the outbox is published with retries until Kafka confirms it (see drainOutbox). */
  logger?: Logger;
  /** Most ends evaluated after a gap; older ones are skipped (see evaluationEnds). */
  maxCatchUpSteps?: number;
  /**
   * Family prefixes whose closing bucket each advance returns (EvaluationInput.closing): the
   * performance service's concept-drift detector reads `perf:` there instead of in a round trip
   * of its own per version.
   */
  closing?: string[];
}

/**
 * A day of 10-second buckets: after an outage, every missed window end is still
 * evaluated (a few round trips each), so alerts and their windows do not depend on how
 * far behind the consumer was. Only a longer gap is cut to its last day.
 */
export const DEFAULT_MAX_CATCH_UP_STEPS = 8_640;

export class EvaluationLoop {
  private readonly running = new Map<string, Promise<void>>();
  /** Earliest event time this process saw per model: where a model's first evaluation starts. */
  private readonly earliest = new Map<string, number>();

  constructor(private readonly options: EvaluationLoopOptions) {}

  /** Drops what the loop keeps for the model (IdleModels, model-gate.ts); a run in flight finishes. */
  forget(model: string): void {
    this.earliest.delete(model);
  }

  saw(model: string, eventTime: number): void {
    const known = this.earliest.get(model);
    if (known === undefined || eventTime < known) this.earliest.set(model, eventTime);
  }

  /**
   * Where a model never evaluated before starts: the bucket of the earliest event seen, so
   * the first windows are evaluated too (not only the end the watermark first jumps to).
   */
  firstEnd(model: string, bucketMs: number): number {
    const earliest = this.earliest.get(model);
    return earliest === undefined ? 0 : Math.floor(earliest / bucketMs) * bucketMs;
  }

  /**
   * Evaluates every end between the model's current end and `target`. Calls for the same
   * model are serialized: a second call waits for the first and then sees its progress.
   */
  async evaluateUpTo(
    model: string,
    current: number,
    target: number,
    windows: WindowSettings,
    evaluate: Evaluate,
  ): Promise<number> {
    const previous = this.running.get(model) ?? Promise.resolve();
    let evaluated = 0;
    const run = previous.then(async () => {
      for (const end of evaluationEnds(current, target, windows.bucketMs, this.options.maxCatchUpSteps ?? DEFAULT_MAX_CATCH_UP_STEPS)) {
        const input = await this.options.state.advance({
          model,
          scope: this.options.scope,
          windows,
          to: end,
          read: dueHorizons(end, windows),
          ...(this.options.closing !== undefined ? { closing: this.options.closing } : {}),
        });
        if (!input.advanced && input.end > end) continue; // another instance is ahead of us
        const outcome = await evaluate(model, input);
        const { committed } = await this.options.state.commitEvaluation({
          model,
          scope: this.options.scope,
          end: input.end,
          ...outcome,
          ...(windows.idleMs !== undefined ? { idleMs: windows.idleMs } : {}),
        });
        if (committed) evaluated += 1;
      }
      await drainOutbox(this.options.state, this.options.bus, this.options.topics, model, this.options.scope, this.options.logger);
    });
    const settled = run.catch(() => undefined);
    this.running.set(model, settled);
    try {
      await run;
    } finally {
      // Only runs in flight are kept, so the map never grows with the number of models.
      if (this.running.get(model) === settled) this.running.delete(model);
    }
    return evaluated;
  }
}
