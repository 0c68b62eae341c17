// Moves a (model, scope)'s window end forward one bucket at a time and evaluates each end.
// Any instance may do it: `advance` and `commitEvaluation` are fenced in Redis, so an end
// is evaluated once whichever instance gets there first; the loser's work is discarded.
// Each end costs two round trips: `advance` (the window sums of the horizons due at that end,
// see evaluation-cadence.ts, the alert and detector states, the closing bucket) and the commit;
// with `endsPerRoundTrip` > 1, up to that many ends share one `advanceEnds` and one
// `commitEvaluations` (issue 8: a consumer catching up crosses several ends per batch).
import type { Logger } from 'pino';
import type { EventBus } from '../bus/types.js';
import type { ApplyReply, EvaluationCommit, EvaluationInput, EvaluationState, Outbox, Scope, WindowSettings } from '../monitor-state/types.js';
import type { TopicNames } from '../topics.js';
import { evaluationEnds, reachableEnd } from './clock.js';
import { dueHorizons } from './evaluation-cadence.js';
import { drainOutbox } from './outbox-publisher.js';

/** What one evaluation decided: everything committed together with the window end. */
export type EvaluationOutcome = Omit<EvaluationCommit, 'model' | 'scope' | 'end'>;

export type Evaluate = (model: string, input: EvaluationInput) => Promise<EvaluationOutcome>;

/** Where an apply's reply left the model's clock. */
type AppliedClock = Pick<ApplyReply, 'watermark' | 'end' | 'evaluated'>;

/** How far behind the watermark a window end becomes reachable (clock.ts reachableEnd). */
type ClockSettings = Parameters<typeof reachableEnd>[2];

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
  /**
   * Most window ends advanced in one round trip and committed in one (default 1: one advance
   * and one commit per end). Each end is still evaluated in order with the alert and detector
   * states the previous end's evaluation left, exactly as one call per end would see them.
   */
  endsPerRoundTrip?: number;
}

/**
 * A day of 10-second buckets: after an outage, every missed window end is still
 * evaluated (a few round trips each), so alerts and their windows do not depend on how
 * far behind the consumer was. Only a longer gap is cut to its last day.
 */
/**
 * Window ends the monitors advance and commit per round trip (EvaluationLoopOptions.endsPerRoundTrip):
 * a batch read while catching up spans many 10-second ends (about 8 at 50 predictions/s), each
 * one an advance and a commit before (issue 8). Bounded so one script call holds Redis for at
 * most some tens of milliseconds after a long outage (each end slides every window: ~1 ms).
 */
export const MONITOR_ENDS_PER_ROUND_TRIP = 32;

export const DEFAULT_MAX_CATCH_UP_STEPS = 8_640;

export class EvaluationLoop {
  private readonly running = new Map<string, Promise<void>>();
  /** Earliest event time this process saw per model: where a model's first evaluation starts. */
  private readonly earliest = new Map<string, number>();

  constructor(private readonly options: EvaluationLoopOptions) {}

  /** The last end this process evaluated per model. */
  private readonly evaluatedEnds = new Map<string, number>();

  /** Drops what the loop keeps for the model (IdleModels, model-gate.ts); a run in flight finishes. */
  forget(model: string): void {
    this.earliest.delete(model);
    this.evaluatedEnds.delete(model);
  }

  /**
   * After an apply: evaluates every end its reply made reachable, from where Redis said the
   * model was evaluated or where this process got since, whichever is further (a reply sent
   * before this process's last commit may predate it).
   */
  async evaluateAfterApply(model: string, applied: AppliedClock, settings: ClockSettings, windows: WindowSettings, evaluate: Evaluate): Promise<void> {
    const target = reachableEnd(applied.watermark, applied.end, settings);
    const evaluated = Math.max(applied.evaluated, this.evaluatedEnds.get(model) ?? 0);
    if (target <= evaluated) return;
    const from = evaluated > 0 ? evaluated : this.firstEnd(model, settings.bucketMs);
    await this.evaluateUpTo(model, from, target, windows, evaluate);
    this.evaluatedEnds.set(model, Math.max(target, this.evaluatedEnds.get(model) ?? 0));
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
      const ends = evaluationEnds(current, target, windows.bucketMs, this.options.maxCatchUpSteps ?? DEFAULT_MAX_CATCH_UP_STEPS);
      const step = Math.max(1, this.options.endsPerRoundTrip ?? 1);
      for (let i = 0; i < ends.length; i += step) {
        evaluated += step === 1 ? await this.evaluateEnd(model, ends[i]!, windows, evaluate) : await this.evaluateEnds(model, ends.slice(i, i + step), windows, evaluate);
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

  /** One end: one advance, one commit. Returns 1 when this instance committed it. */
  private async evaluateEnd(model: string, end: number, windows: WindowSettings, evaluate: Evaluate): Promise<number> {
    const input = await this.options.state.advance({
      model,
      scope: this.options.scope,
      windows,
      to: end,
      read: dueHorizons(end, windows),
      ...(this.options.closing !== undefined ? { closing: this.options.closing } : {}),
    });
    if (!input.advanced && input.end > end) return 0; // another instance is ahead of us
    const outcome = await evaluate(model, input);
    const { committed } = await this.options.state.commitEvaluation(this.commitOf(model, input.end, outcome, windows));
    return committed ? 1 : 0;
  }

  /**
   * Several ends: one advanceEnds, each end evaluated in order, one commitEvaluations. The
   * states an evaluation leaves are what the next end's advance would have read after its
   * commit (commits only overwrite the fields they carry), so each end is given them here.
   */
  private async evaluateEnds(model: string, ends: number[], windows: WindowSettings, evaluate: Evaluate): Promise<number> {
    const inputs = await this.options.state.advanceEnds({
      model,
      scope: this.options.scope,
      windows,
      ends: ends.map((to) => ({ to, read: dueHorizons(to, windows) })),
      ...(this.options.closing !== undefined ? { closing: this.options.closing } : {}),
    });
    const commits: EvaluationCommit[] = [];
    let carried: StatesLeft | null = null;
    for (const [i, read] of inputs.entries()) {
      if (!read.advanced && read.end > ends[i]!) continue; // another instance is ahead of us
      const input: EvaluationInput = carried === null ? read : { ...read, ...statesAfter(carried) };
      const outcome = await evaluate(model, input);
      carried = { input, outcome };
      commits.push(this.commitOf(model, input.end, outcome, windows));
    }
    if (commits.length === 0) return 0;
    const { committed } = await this.options.state.commitEvaluations(commits);
    return committed.filter(Boolean).length;
  }

  private commitOf(model: string, end: number, outcome: EvaluationOutcome, windows: WindowSettings): EvaluationCommit {
    return {
      model,
      scope: this.options.scope,
      end,
      ...outcome,
      ...(windows.idleMs !== undefined ? { idleMs: windows.idleMs } : {}),
    };
  }
}

/** The previous end's input and what its evaluation decided. */
interface StatesLeft {
  input: EvaluationInput;
  outcome: EvaluationOutcome;
}

/** The alert and detector states stored once the previous evaluation is committed (commit-evaluation.lua). */
function statesAfter({ input, outcome }: StatesLeft): Pick<EvaluationInput, 'alertStates' | 'detectorState' | 'detectorStates'> {
  return {
    alertStates: { ...input.alertStates, ...outcome.alertStates },
    detectorState: outcome.detectorState ?? input.detectorState,
    detectorStates: { ...input.detectorStates, ...outcome.detectorStates },
  };
}
