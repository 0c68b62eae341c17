// Drives a `Simulation` in real time: event time is the wall clock, so the monitors' windows,
// the Kafka timestamps and the retrainer's time-based reads of the log all agree with what the
// simulation says happened when. Every tick it advances the simulation to now(), scores the
// new rows through the scorer (whatever version it serves at that moment) and publishes the
// chunk's predictions, then its labels, through a DriftwatchClient.
//
// Nothing is dropped silently: a failed publish is retried with a bounded backoff, and when
// the retries run out the run rejects with a LivePublishError that counts what was not sent.
// Retrying a publish the broker may have half-accepted can duplicate records (at-least-once,
// as everywhere else in driftwatch); the performance service keeps the first label it sees.
import type { Logger } from 'pino';
import { silentLogger } from '../log/logger.js';
import type { DriftwatchClient } from '../sdk/client.js';
import type { LabelRecord, PredictionRecord } from '../sdk/records.js';
import type { LabelledRow } from './concepts/types.js';
import {
  iteratorOf,
  Simulation,
  type FeatureRow,
  type LabelDelay,
  type Scorer,
  type SimulationChunk,
  type SimulationOptions,
} from './simulation.js';

/** The wall clock, injectable for tests. `sleep` resolves early (never rejects) on abort. */
export interface LiveClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: LiveClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted || ms <= 0) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    }),
};

export interface PublishRetry {
  /** Attempts per publish call, the first included. Default 6. */
  attempts?: number;
  /** Backoff before the second attempt, doubling after each failure. Default 200 ms. */
  initialMs?: number;
  /** Longest backoff. Default 5 s. */
  maxMs?: number;
}

export interface LiveSimulationOptions extends Omit<SimulationOptions, 'startTime' | 'labelDelay'> {
  /** Publishes the records. */
  client: Pick<DriftwatchClient, 'logPredictions' | 'logLabels'>;
  /** Event time of prediction 0; default the clock's now() when run() starts. */
  startTime?: number;
  /** Default 5 s .. 60 s, as in Simulation. */
  labelDelay?: LabelDelay;
  /** Advance and publish every this many ms of wall time. Default 100. */
  tickMs?: number;
  /** Stop making predictions this long (ms of event time) after the start; see `drain`. */
  durationMs?: number;
  /**
   * After the last prediction (count, duration or end of the stream), keep running until every
   * label is published (at most `labelDelay.maxMs` longer). Default true. An abort never drains.
   */
  drain?: boolean;
  /** Stops the run after the chunk being published; labels not yet due are reported, not sent. */
  signal?: AbortSignal;
  retry?: PublishRetry;
  /** Labels the rolling accuracy covers. Default 500. */
  accuracyWindow?: number;
  clock?: LiveClock;
  logger?: Logger;
  /** Called after each published chunk. */
  onChunk?: (chunk: SimulationChunk, progress: LiveProgress) => void;
}

export interface VersionProgress {
  predictions: number;
  /** Labels published for this version's predictions. */
  labels: number;
  /** Of those, how many the version got right. */
  correct: number;
}

export interface LiveProgress {
  startTime: number;
  /** Event time up to which everything has been published. */
  publishedUntil: number;
  predictions: number;
  labels: number;
  /** Labels whose time has not come yet. */
  pendingLabels: number;
  /** The version that scored the latest batch. */
  version: string | undefined;
  perVersion: Record<string, VersionProgress>;
  /** Accuracy of the served predictions over the last `accuracyWindow` labels (null before any). */
  rollingAccuracy: number | null;
  /** Labels the rolling accuracy is computed over (≤ accuracyWindow). */
  rollingLabels: number;
  /** Publish attempts that failed and were retried. */
  publishRetries: number;
}

export interface LiveSimulationResult extends LiveProgress {
  /** `completed`: count, duration or stream end reached (and drained); `aborted`: the signal. */
  stoppedBy: 'completed' | 'aborted';
}

/** A publish that kept failing; the run stops with what it could not send. */
export class LivePublishError extends Error {
  override readonly name = 'LivePublishError';
  constructor(
    /** Records of the failed chunk that were not sent. */
    readonly unsentPredictions: number,
    readonly unsentLabels: number,
    /** Labels not yet due when the run stopped (their predictions were published). */
    readonly pendingLabels: number,
    readonly attempts: number,
    cause: unknown,
  ) {
    super(
      `live simulation: publishing failed ${attempts} times; ${unsentPredictions} predictions and ${unsentLabels} labels ` +
        `were not sent (${unsentPredictions + unsentLabels} records), and ${pendingLabels} labels not yet due will not be: ` +
        `${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

/** Publish errors no retry can fix (a record the codec refuses). */
function permanent(error: unknown): boolean {
  return error instanceof Error && (error.name === 'RecordError' || error.name === 'BusClosedError');
}


interface Outstanding {
  predictedClass: string | undefined;
  version: string;
  time: number;
}

export class LiveSimulation {
  private readonly options: LiveSimulationOptions;
  private readonly clock: LiveClock;
  private readonly logger: Logger;
  private readonly tickMs: number;
  private readonly labelDelay: LabelDelay;
  private readonly accuracyWindow: number;
  private readonly retry: Required<PublishRetry>;
  private simulation: Simulation | undefined;
  private started = false;
  private lastVersion: string | undefined;
  /** The prediction count after `count` and `durationMs`. */
  private count = Infinity;
  /** Set once the stream said it has no more rows. */
  private streamEnded = false;

  private startTime = NaN;
  private publishedUntil = NaN;
  private predictions = 0;
  private labels = 0;
  private publishRetries = 0;
  private readonly perVersion = new Map<string, VersionProgress>();
  /** Published predictions whose label may still come, by id; pruned once past the longest delay. */
  private readonly outstanding = new Map<string, Outstanding>();
  private readonly outstandingOrder: { id: string; time: number }[] = [];
  private outstandingHead = 0;
  /** Ring of the last labels' outcomes (1 right, 0 wrong). */
  private readonly ring: Uint8Array;
  private ringSize = 0;
  private ringNext = 0;
  private ringCorrect = 0;

  constructor(options: LiveSimulationOptions) {
    const fail = (message: string): never => {
      throw new RangeError(`live simulation: ${message}`);
    };
    const tickMs = options.tickMs ?? 100;
    if (!(tickMs > 0 && Number.isFinite(tickMs))) fail(`tickMs must be a positive number, got ${options.tickMs}`);
    if (options.durationMs !== undefined && !(options.durationMs >= 0)) fail(`durationMs must be non-negative, got ${options.durationMs}`);
    const accuracyWindow = options.accuracyWindow ?? 500;
    if (!(Number.isInteger(accuracyWindow) && accuracyWindow >= 1)) fail(`accuracyWindow must be a positive integer, got ${options.accuracyWindow}`);
    const retry = {
      attempts: options.retry?.attempts ?? 6,
      initialMs: options.retry?.initialMs ?? 200,
      maxMs: options.retry?.maxMs ?? 5_000,
    };
    if (!(Number.isInteger(retry.attempts) && retry.attempts >= 1)) fail(`retry.attempts must be a positive integer, got ${retry.attempts}`);
    if (!(retry.initialMs >= 0 && retry.maxMs >= 0)) fail('retry delays must be non-negative');
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? silentLogger()).child({ component: 'live-simulation', model: options.model });
    this.tickMs = tickMs;
    this.labelDelay = options.labelDelay ?? { minMs: 5_000, maxMs: 60_000 };
    this.accuracyWindow = accuracyWindow;
    this.retry = retry;
    this.ring = new Uint8Array(accuracyWindow);
  }

  /** Runs until the count, the duration or the stream's end (then drains the labels), or an abort. */
  async run(): Promise<LiveSimulationResult> {
    if (this.started) throw new Error('live simulation: run() may be called once');
    this.started = true;
    const { options, clock } = this;
    this.startTime = options.startTime ?? clock.now();
    let count = options.count;
    if (options.durationMs !== undefined) {
      // Predictions i with startTime + ⌊i·1000/rate⌋ < startTime + duration.
      const byDuration = Math.ceil((Math.floor(options.durationMs) * options.rate) / 1000);
      count = count === undefined ? byDuration : Math.min(count, byDuration);
    }
    this.count = count ?? Infinity;
    const source = iteratorOf(options.stream);
    const stream: Iterator<LabelledRow> = {
      next: () => {
        const next = source.next();
        if (next.done) this.streamEnded = true;
        return next;
      },
    };
    this.simulation = new Simulation({
      stream,
      scorer: options.scorer,
      model: options.model,
      startTime: this.startTime,
      rate: options.rate,
      labelDelay: this.labelDelay,
      ...(options.labelShare !== undefined ? { labelShare: options.labelShare } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      ...(options.runId !== undefined ? { runId: options.runId } : {}),
      ...(count !== undefined ? { count } : {}),
      ...(options.maxBatch !== undefined ? { maxBatch: options.maxBatch } : {}),
    });
    const simulation = this.simulation;
    this.publishedUntil = simulation.deliveredUntil;
    const drain = options.drain ?? true;
    const signal = options.signal;
    this.logger.info({ runId: simulation.runId, startTime: this.startTime, rate: options.rate, count }, 'live simulation started');

    let nextTick = clock.now();
    for (;;) {
      if (signal?.aborted) return this.finish('aborted');
      const chunk = simulation.advanceTo(clock.now());
      this.lastVersion = chunk.predictions.at(-1)?.modelVersion ?? this.lastVersion;
      await this.publish(chunk);
      options.onChunk?.(chunk, this.progress());
      if (simulation.done) return this.finish('completed');
      if (!drain && !this.predictionsLeft()) return this.finish('completed');
      nextTick += this.tickMs;
      const now = clock.now();
      if (nextTick < now) nextTick = now; // fell behind (a slow publish): no burst of catch-up ticks
      await clock.sleep(nextTick - now, signal);
    }
  }

  /** A snapshot; safe to call at any time (e.g. from a progress timer). */
  progress(): LiveProgress {
    const perVersion: Record<string, VersionProgress> = {};
    for (const [version, counts] of this.perVersion) perVersion[version] = { ...counts };
    return {
      startTime: this.startTime,
      publishedUntil: this.publishedUntil,
      predictions: this.predictions,
      labels: this.labels,
      pendingLabels: this.simulation?.pendingLabels ?? 0,
      version: this.lastVersion,
      perVersion,
      rollingAccuracy: this.ringSize === 0 ? null : this.ringCorrect / this.ringSize,
      rollingLabels: this.ringSize,
      publishRetries: this.publishRetries,
    };
  }

  private predictionsLeft(): boolean {
    const simulation = this.simulation!;
    if (simulation.predictions >= this.count) return false;
    simulation.nextEventTime(); // makes the simulation look ahead, so a finished stream is known
    return !this.streamEnded;
  }

  private finish(stoppedBy: LiveSimulationResult['stoppedBy']): LiveSimulationResult {
    const result = { ...this.progress(), stoppedBy };
    this.logger.info(
      { stoppedBy, predictions: result.predictions, labels: result.labels, pendingLabels: result.pendingLabels },
      'live simulation stopped',
    );
    return result;
  }

  /** Predictions, then labels; each counted in the progress as soon as its publish succeeded. */
  private async publish(chunk: SimulationChunk): Promise<void> {
    const { predictions, labels } = chunk;
    if (predictions.length > 0) {
      await this.withRetry('predictions', () => this.options.client.logPredictions(predictions), predictions.length, labels.length);
      for (const prediction of predictions) this.countPrediction(prediction);
    }
    if (labels.length > 0) {
      await this.withRetry('labels', () => this.options.client.logLabels(labels), 0, labels.length);
      for (const label of labels) this.countLabel(label);
    }
    this.publishedUntil = chunk.end;
    this.prune(chunk.end);
  }

  private async withRetry(what: string, send: () => Promise<void>, unsentPredictions: number, unsentLabels: number): Promise<void> {
    const { attempts, initialMs, maxMs } = this.retry;
    const signal = this.options.signal;
    let delay = initialMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await send();
        return;
      } catch (error) {
        const last = attempt >= attempts || permanent(error) || signal?.aborted === true;
        if (last) {
          // The chunk's later part (its labels, when the predictions failed) is not sent either.
          const pending = this.simulation?.pendingLabels ?? 0;
          const failure = new LivePublishError(unsentPredictions, unsentLabels, pending, attempt, error);
          this.logger.error({ err: failure.message, what }, 'live simulation: publishing failed; stopping');
          throw failure;
        }
        this.publishRetries += 1;
        this.logger.warn({ what, attempt, retryInMs: delay, err: (error as Error).message }, 'publish failed; retrying');
        await this.clock.sleep(delay, signal);
        delay = Math.min(maxMs, Math.max(1, delay * 2));
      }
    }
  }

  private versionCounts(version: string): VersionProgress {
    let counts = this.perVersion.get(version);
    if (!counts) {
      counts = { predictions: 0, labels: 0, correct: 0 };
      this.perVersion.set(version, counts);
    }
    return counts;
  }

  private countPrediction(prediction: PredictionRecord): void {
    this.predictions += 1;
    this.versionCounts(prediction.modelVersion).predictions += 1;
    const time = prediction.time as number;
    this.outstanding.set(prediction.id, { predictedClass: prediction.predictedClass, version: prediction.modelVersion, time });
    this.outstandingOrder.push({ id: prediction.id, time });
  }

  private countLabel(label: LabelRecord): void {
    this.labels += 1;
    const served = this.outstanding.get(label.predictionId);
    if (!served) return;
    this.outstanding.delete(label.predictionId);
    const right = served.predictedClass === label.trueClass ? 1 : 0;
    const counts = this.versionCounts(served.version);
    counts.labels += 1;
    counts.correct += right;
    if (this.ringSize === this.accuracyWindow) this.ringCorrect -= this.ring[this.ringNext]!;
    else this.ringSize += 1;
    this.ring[this.ringNext] = right;
    this.ringCorrect += right;
    this.ringNext = (this.ringNext + 1) % this.accuracyWindow;
  }

  /** Predictions older than the longest label delay will never get a label (labelShare < 1). */
  private prune(until: number): void {
    const horizon = until - this.labelDelay.maxMs;
    const order = this.outstandingOrder;
    while (this.outstandingHead < order.length && order[this.outstandingHead]!.time < horizon) {
      this.outstanding.delete(order[this.outstandingHead]!.id);
      this.outstandingHead += 1;
    }
    if (this.outstandingHead > 4096 && this.outstandingHead * 2 > order.length) {
      order.splice(0, this.outstandingHead);
      this.outstandingHead = 0;
    }
  }
}

/** What `watcherScorer` needs of a ModelWatcher (structural, so this module never loads tfjs). */
export interface WatcherLike {
  version(): string | undefined;
  predictBatch(rows: FeatureRow[]): { predictedClass: string; probabilities: Record<string, number>; modelVersion: string }[];
}

/**
 * A ModelWatcher as a Scorer. Each row carries the `modelVersion` the watcher returned with it
 * (one model reference per batch), which Simulation believes over `version()`; `version()`
 * is the version that scored the latest batch (before any, the watcher's current one).
 */
export function watcherScorer(watcher: WatcherLike): Scorer {
  let last: string | undefined;
  return {
    version: () => last ?? watcher.version() ?? 'unknown',
    predictBatch(rows) {
      const results = watcher.predictBatch(rows);
      const tail = results.at(-1);
      if (tail) last = tail.modelVersion;
      return results.map(({ predictedClass, probabilities, modelVersion }) => ({ predictedClass, probabilities, modelVersion }));
    },
  };
}
