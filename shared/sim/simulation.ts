// The simulation engine the simulator service and the embedded demo drive: a labelled stream
// is scored by a model (whatever version the scorer serves at that moment), each prediction
// gets an event time at a fixed rate, and its label comes back a seeded random delay later.
// The engine owns no clock: the caller advances event time and gets, per step, the
// predictions and labels whose event time has come, as an upstream app would publish them.
//
// Deterministic for a seed, a stream and a scorer that answers the same way: the label
// delays come from their own generator, so neither the scorer nor the stream can shift them.
import type { LabelRecord, PredictionRecord } from '../sdk/records.js';
import type { FeatureRow, LabelledRow } from './concepts/types.js';
import { deriveSeed } from './concepts/seed.js';
import { createPrng, type Prng } from './prng.js';
import { PendingLabels } from './pending-labels.js';

export type { FeatureRow, FeatureValue, LabelledRow } from './concepts/types.js';

export interface ScoredRow {
  predictedClass: string;
  probabilities: Record<string, number>;
  /** The version that scored this row, when the scorer knows (a hot swap can fall between two reads of version()). */
  modelVersion?: string;
}

/** A model as the simulation sees it. `version()` is read for each scored batch. */
export interface Scorer {
  version(): string;
  predictBatch(rows: FeatureRow[]): ScoredRow[];
}

export interface LabelDelay {
  /** Minimum delay from a prediction's event time to its label's, in ms. */
  minMs: number;
  /** Maximum delay (inclusive), in ms; uniform in between. */
  maxMs: number;
}

export interface SimulationOptions {
  stream: Iterable<LabelledRow> | Iterator<LabelledRow>;
  scorer: Scorer;
  model: string;
  /** Event time of prediction 0, ms since the epoch. */
  startTime: number;
  /** Predictions per second of event time. */
  rate: number;
  /** Default 5 s .. 60 s. */
  labelDelay?: LabelDelay;
  /** Share of predictions that get a label. Default 1. */
  labelShare?: number;
  seed?: number;
  /** Prefix of the prediction ids (`<runId>-<index>`). Default derived from the seed and the start time. */
  runId?: string;
  /** Stop after this many predictions. Default: when the stream ends. */
  count?: number;
  /** At most this many rows per `predictBatch` call. Default 512. */
  maxBatch?: number;
}

export interface SimulationChunk {
  /** The chunk holds what has event time in (start, end]; the first chunk's start is `startTime − 1`. */
  start: number;
  end: number;
  /** Ordered by event time; publish these before the chunk's labels. */
  predictions: PredictionRecord[];
  /** Ordered by event time (ties: by prediction index); each one's prediction is in this chunk or an earlier one. */
  labels: LabelRecord[];
}

export function iteratorOf<T>(source: Iterable<T> | Iterator<T>): Iterator<T> {
  return Symbol.iterator in source ? (source as Iterable<T>)[Symbol.iterator]() : (source as Iterator<T>);
}

export class Simulation {
  readonly runId: string;
  readonly model: string;
  readonly startTime: number;
  readonly rate: number;
  private readonly stream: Iterator<LabelledRow>;
  private readonly scorer: Scorer;
  private readonly delay: LabelDelay;
  private readonly labelShare: number;
  private readonly count: number;
  private readonly maxBatch: number;
  private readonly random: Prng;
  private readonly pending = new PendingLabels();
  /** A sample drawn from the stream whose time has not come yet (so exhaustion is known early). */
  private lookahead: LabelledRow | null = null;
  private exhausted = false;
  private nextIndex = 0;
  private delivered: number;

  constructor(options: SimulationOptions) {
    const fail = (message: string): never => {
      throw new RangeError(`simulation: ${message}`);
    };
    if (!Number.isFinite(options.startTime)) fail(`startTime must be a finite number, got ${options.startTime}`);
    if (!(options.rate > 0 && Number.isFinite(options.rate))) fail(`rate must be positive, got ${options.rate}`);
    const delay = options.labelDelay ?? { minMs: 5_000, maxMs: 60_000 };
    if (!(Number.isInteger(delay.minMs) && Number.isInteger(delay.maxMs) && delay.minMs >= 0 && delay.maxMs >= delay.minMs)) {
      fail(`labelDelay must be integers 0 <= minMs <= maxMs, got ${delay.minMs}..${delay.maxMs}`);
    }
    const labelShare = options.labelShare ?? 1;
    if (!(labelShare >= 0 && labelShare <= 1)) fail(`labelShare must be in [0, 1], got ${labelShare}`);
    const count = options.count ?? Infinity;
    if (!(count >= 0)) fail(`count must be non-negative, got ${options.count}`);
    const maxBatch = options.maxBatch ?? 512;
    if (!(Number.isInteger(maxBatch) && maxBatch >= 1)) fail(`maxBatch must be a positive integer, got ${options.maxBatch}`);
    if (!options.model) fail('model must be a non-empty string');
    const seed = options.seed ?? 1;

    this.model = options.model;
    this.startTime = options.startTime;
    this.rate = options.rate;
    this.stream = iteratorOf(options.stream);
    this.scorer = options.scorer;
    this.delay = delay;
    this.labelShare = labelShare;
    this.count = count;
    this.maxBatch = maxBatch;
    this.random = createPrng(deriveSeed(seed, 3));
    this.runId = options.runId ?? `sim-${(seed >>> 0).toString(36)}-${options.startTime.toString(36)}`;
    this.delivered = options.startTime - 1;
  }

  /** Event time of prediction `index`. */
  timeOf(index: number): number {
    return this.startTime + Math.floor((index * 1000) / this.rate);
  }

  /** Predictions made so far. */
  get predictions(): number {
    return this.nextIndex;
  }

  get pendingLabels(): number {
    return this.pending.size;
  }

  /** The event time up to which everything has been delivered. */
  get deliveredUntil(): number {
    return this.delivered;
  }

  /** No prediction left to make and no label left to deliver. */
  get done(): boolean {
    return !this.hasNextPrediction() && this.pending.size === 0;
  }

  /** Event time of the next thing to deliver (prediction or label), or null when done. */
  nextEventTime(): number | null {
    const prediction = this.hasNextPrediction() ? this.timeOf(this.nextIndex) : Infinity;
    const next = Math.min(prediction, this.pending.peekTime());
    return Number.isFinite(next) ? next : null;
  }

  private hasNextPrediction(): boolean {
    if (this.nextIndex >= this.count) return false;
    if (this.lookahead !== null) return true;
    if (this.exhausted) return false;
    const next = this.stream.next();
    if (next.done) {
      this.exhausted = true;
      return false;
    }
    this.lookahead = next.value;
    return true;
  }

  private takeSample(): LabelledRow {
    const sample = this.lookahead!;
    this.lookahead = null;
    return sample;
  }

  /**
   * Everything not yet delivered whose event time is ≤ `time`. `Infinity` drains a bounded
   * run (a `count` or a finite stream); on an endless one it would never return.
   */
  advanceTo(time: number): SimulationChunk {
    if (Number.isNaN(time)) throw new RangeError('simulation: advanceTo(NaN)');
    const start = this.delivered;
    const predictions: PredictionRecord[] = [];
    const labels: LabelRecord[] = [];
    if (time <= start) return { start, end: start, predictions, labels };

    while (this.hasNextPrediction() && this.timeOf(this.nextIndex) <= time) {
      const batch: { index: number; sample: LabelledRow }[] = [];
      while (batch.length < this.maxBatch && this.hasNextPrediction() && this.timeOf(this.nextIndex) <= time) {
        batch.push({ index: this.nextIndex++, sample: this.takeSample() });
      }
      this.score(batch, predictions);
    }
    while (this.pending.size > 0 && this.pending.peekTime() <= time) labels.push(this.pending.pop());
    this.delivered = Number.isFinite(time) ? time : Math.max(start, this.lastTime(predictions, labels));
    return { start, end: this.delivered, predictions, labels };
  }

  private lastTime(predictions: PredictionRecord[], labels: LabelRecord[]): number {
    const p = predictions.at(-1)?.time;
    const l = labels.at(-1)?.time;
    return Math.max(typeof p === 'number' ? p : -Infinity, typeof l === 'number' ? l : -Infinity);
  }

  private score(batch: { index: number; sample: LabelledRow }[], out: PredictionRecord[]): void {
    const version = this.scorer.version();
    const rows = batch.map((b) => b.sample.features);
    const scored = this.scorer.predictBatch(rows);
    if (scored.length !== rows.length) {
      throw new Error(`simulation: the scorer returned ${scored.length} results for ${rows.length} rows`);
    }
    batch.forEach(({ index, sample }, i) => {
      const { predictedClass, probabilities, modelVersion } = scored[i]!;
      const id = `${this.runId}-${index}`;
      const time = this.timeOf(index);
      out.push({ id, model: this.model, modelVersion: modelVersion ?? version, time, features: sample.features, predictedClass, probabilities });
      // Both draws happen for every prediction, so labelShare never changes the delays.
      const delay = this.random.int(this.delay.minMs, this.delay.maxMs);
      const labelled = this.random.next() < this.labelShare;
      if (labelled) {
        const labelTime = time + delay;
        this.pending.push(labelTime, index, { predictionId: id, model: this.model, time: labelTime, trueClass: sample.label });
      }
    });
  }

  /**
   * Steps of `chunkMs` of event time until everything is delivered (forever for an endless
   * stream without `count`). Each step covers `chunkMs` ms: the first is
   * [startTime, startTime + chunkMs − 1], the next (that end, that end + chunkMs], and so on.
   */
  *chunks(chunkMs: number): Generator<SimulationChunk, void, undefined> {
    if (!(chunkMs > 0)) throw new RangeError(`simulation: chunkMs must be positive, got ${chunkMs}`);
    while (!this.done) yield this.advanceTo(this.delivered + chunkMs);
  }
}

/** `new Simulation(options).chunks(chunkMs)`. */
export function simulate(options: SimulationOptions & { chunkMs: number }): Generator<SimulationChunk, void, undefined> {
  return new Simulation(options).chunks(options.chunkMs);
}

export interface TimedLabelledRow extends LabelledRow {
  time: number;
}

/**
 * The next `n` samples of a stream with event times (`startTime + ⌊i·1000/rate⌋`), for
 * training a bootstrap model. Fewer when the stream ends first. Consumes the samples.
 */
export function labelledSample(
  stream: Iterable<LabelledRow> | Iterator<LabelledRow>,
  n: number,
  options: { startTime?: number; rate?: number } = {},
): TimedLabelledRow[] {
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`labelledSample: n must be a non-negative integer, got ${n}`);
  const startTime = options.startTime ?? 0;
  const rate = options.rate ?? 1000;
  if (!(rate > 0)) throw new RangeError(`labelledSample: rate must be positive, got ${rate}`);
  const iterator = iteratorOf(stream);
  const out: TimedLabelledRow[] = [];
  while (out.length < n) {
    const next = iterator.next();
    if (next.done) break;
    const i = out.length;
    out.push({ features: next.value.features, label: next.value.label, time: startTime + Math.floor((i * 1000) / rate) });
  }
  return out;
}
