import type { CounterInput, Counters } from './counters.js';
import { joinField, splitField, toNumber } from './counters.js';
import type { Revertible } from './mergeable.js';

/** sklearn's log_loss clips probabilities to [eps, 1 - eps] with eps = float64 machine epsilon. */
const PROBABILITY_EPS = Number.EPSILON;

export const DEFAULT_SCORE_BINS = 100;

export interface ConfusionMatrixOptions {
  /**
   * Scores are rounded to the grid k / scoreBins (k = 0..scoreBins), one counter per grid
   * point, so ROC AUC is exact for scores on the grid and within 1/scoreBins otherwise.
   */
  scoreBins?: number;
}

export interface ScoreHistogram {
  /** positives[k]: samples of this class whose score for it rounded to k / bins. */
  positives: number[];
  negatives: number[];
}

interface ClassScores {
  positives: number[];
  negatives: number[];
}

/**
 * Multi-class confusion matrix over string labels, plus the mergeable pieces that
 * probability-based metrics need:
 * - the sum of per-sample log loss, -ln(clip(p[true], eps, 1 - eps)) as sklearn computes it
 *   (a class missing from a sample's probability map has probability 0);
 * - the sum of per-sample Brier terms, Σ_k (p_k − [k = true])² over the classes of the map
 *   plus the true class;
 * - how many samples had probabilities (the denominator of both);
 * - per class, counts of positive and negative samples by score bin, for ROC AUC. A sample
 *   records a bin only for classes in its map (and its true class): its score for any other
 *   class is 0, which the reader restores from the sample count (see `scoreHistogram`).
 *
 * Counter fields: `c|<true>|<pred>` cells, `pn` samples with probabilities, `~ll` and
 * `~bs` loss sums, `sp|<class>|<bin>` / `sn|<class>|<bin>` score-bin counts. The bin count
 * is configuration, not state: writer and reader must agree on it.
 */
export class ConfusionMatrix implements Revertible<ConfusionMatrix> {
  readonly scoreBins: number;
  private readonly cells = new Map<string, Map<string, number>>();
  private readonly scores = new Map<string, ClassScores>();
  private total = 0;
  private probabilityCountValue = 0;
  private logLossSumValue = 0;
  private brierSumValue = 0;
  /** Made on the first sample with probabilities, then reused for every one after it. */
  private probabilitySink: ProbabilityTermsSink | undefined;

  constructor(options: ConfusionMatrixOptions = {}) {
    const bins = options.scoreBins ?? DEFAULT_SCORE_BINS;
    if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`scoreBins must be a positive integer, got ${bins}`);
    this.scoreBins = bins;
  }

  /** Records one labelled prediction; `probabilities` maps class label to probability. */
  update(trueLabel: string, predictedLabel: string, probabilities?: Readonly<Record<string, number>> | null): void {
    this.addCell(trueLabel, predictedLabel, 1);
    this.total += 1;
    if (probabilities) this.addProbabilities(trueLabel, probabilities);
  }

  get count(): number {
    return this.total;
  }

  get probabilityCount(): number {
    return this.probabilityCountValue;
  }

  get logLossSum(): number {
    return this.logLossSumValue;
  }

  get brierSum(): number {
    return this.brierSumValue;
  }

  cell(trueLabel: string, predictedLabel: string): number {
    return this.cells.get(trueLabel)?.get(predictedLabel) ?? 0;
  }

  /** Visits every non-zero cell. */
  forEachCell(visit: (trueLabel: string, predictedLabel: string, count: number) => void): void {
    for (const [t, row] of this.cells) for (const [p, n] of row) visit(t, p, n);
  }

  /** Labels seen as truth or prediction, sorted by code point like sklearn's unique_labels. */
  labels(): string[] {
    const seen = new Set<string>();
    this.forEachCell((t, p) => {
      seen.add(t);
      seen.add(p);
    });
    return [...seen].sort(compareCodePoints);
  }

  /** Classes that have score bins (appeared in a probability map or as a scored true label). */
  scoreClasses(): string[] {
    return [...this.scores.keys()].sort(compareCodePoints);
  }

  /**
   * Score histogram of one class over every sample with probabilities. Samples whose map
   * lacked the class count as negatives with score 0.
   */
  scoreHistogram(label: string): ScoreHistogram {
    const own = this.scores.get(label);
    const positives = own ? [...own.positives] : new Array<number>(this.scoreBins + 1).fill(0);
    const negatives = own ? [...own.negatives] : new Array<number>(this.scoreBins + 1).fill(0);
    let recorded = 0;
    for (let k = 0; k <= this.scoreBins; k++) recorded += (positives[k] ?? 0) + (negatives[k] ?? 0);
    negatives[0] = (negatives[0] ?? 0) + this.probabilityCountValue - recorded;
    return { positives, negatives };
  }

  merge(other: ConfusionMatrix): ConfusionMatrix {
    return this.combine(other, 1);
  }

  subtract(other: ConfusionMatrix): ConfusionMatrix {
    return this.combine(other, -1);
  }

  clone(): ConfusionMatrix {
    return new ConfusionMatrix({ scoreBins: this.scoreBins }).merge(this);
  }

  toCounters(): Counters {
    const out: Counters = {};
    this.forEachCell((t, p, n) => {
      if (n !== 0) out[joinField('c', t, p)] = n;
    });
    if (this.probabilityCountValue !== 0) {
      out.pn = this.probabilityCountValue;
      out['~ll'] = this.logLossSumValue;
      out['~bs'] = this.brierSumValue;
    }
    for (const [label, s] of this.scores) {
      for (let k = 0; k <= this.scoreBins; k++) {
        const pos = s.positives[k] ?? 0;
        const neg = s.negatives[k] ?? 0;
        if (pos !== 0) out[joinField('sp', label, String(k))] = pos;
        if (neg !== 0) out[joinField('sn', label, String(k))] = neg;
      }
    }
    return out;
  }

  static fromCounters(counters: CounterInput, options: ConfusionMatrixOptions = {}): ConfusionMatrix {
    const cm = new ConfusionMatrix(options);
    for (const field in counters) {
      const value = toNumber(field, counters[field]!);
      if (value === 0) continue;
      if (field === 'pn') cm.probabilityCountValue += value;
      else if (field === '~ll') cm.logLossSumValue += value;
      else if (field === '~bs') cm.brierSumValue += value;
      else {
        const parts = splitField(field);
        const [kind, a, b] = parts;
        if (parts.length !== 3 || a === undefined || b === undefined) throw new RangeError(`unknown confusion-matrix field ${field}`);
        if (kind === 'c') {
          cm.addCell(a, b, value);
          cm.total += value;
        } else if (kind === 'sp' || kind === 'sn') {
          const bin = Number(b);
          if (!Number.isInteger(bin) || bin < 0 || bin > cm.scoreBins) {
            throw new RangeError(`score bin ${b} outside 0..${cm.scoreBins} in field ${field}`);
          }
          const s = cm.classScores(a);
          const target = kind === 'sp' ? s.positives : s.negatives;
          target[bin] = (target[bin] ?? 0) + value;
        } else throw new RangeError(`unknown confusion-matrix field ${field}`);
      }
    }
    return cm;
  }

  private addProbabilities(trueLabel: string, probabilities: Readonly<Record<string, number>>): void {
    this.probabilitySink ??= {
      score: (label, bin, positive) => this.addScore(label, bin, positive),
      losses: (logLoss, brier) => {
        this.logLossSumValue += logLoss;
        this.brierSumValue += brier;
        this.probabilityCountValue += 1;
      },
    };
    probabilityTerms(trueLabel, probabilities, this.scoreBins, this.probabilitySink);
  }

  private addScore(label: string, bin: number, positive: boolean): void {
    const s = this.classScores(label);
    const target = positive ? s.positives : s.negatives;
    target[bin] = (target[bin] ?? 0) + 1;
  }

  private classScores(label: string): ClassScores {
    let s = this.scores.get(label);
    if (!s) {
      s = {
        positives: new Array<number>(this.scoreBins + 1).fill(0),
        negatives: new Array<number>(this.scoreBins + 1).fill(0),
      };
      this.scores.set(label, s);
    }
    return s;
  }

  private addCell(trueLabel: string, predictedLabel: string, delta: number): void {
    let row = this.cells.get(trueLabel);
    if (!row) {
      row = new Map();
      this.cells.set(trueLabel, row);
    }
    const next = (row.get(predictedLabel) ?? 0) + delta;
    // Dropping emptied cells keeps labels() limited to classes still inside the window.
    if (next === 0) {
      row.delete(predictedLabel);
      if (row.size === 0) this.cells.delete(trueLabel);
    } else row.set(predictedLabel, next);
  }

  private combine(other: ConfusionMatrix, sign: 1 | -1): ConfusionMatrix {
    if (other.scoreBins !== this.scoreBins) {
      throw new RangeError(`cannot combine confusion matrices with ${this.scoreBins} and ${other.scoreBins} score bins`);
    }
    // Snapshot first: `other` may be `this` (doubling a state).
    const cells: [string, string, number][] = [];
    other.forEachCell((t, p, n) => cells.push([t, p, n]));
    for (const [t, p, n] of cells) this.addCell(t, p, sign * n);
    this.total += sign * other.total;
    this.probabilityCountValue += sign * other.probabilityCountValue;
    this.logLossSumValue += sign * other.logLossSumValue;
    this.brierSumValue += sign * other.brierSumValue;
    for (const [label, s] of [...other.scores]) {
      const mine = this.classScores(label);
      for (let k = 0; k <= this.scoreBins; k++) {
        mine.positives[k] = (mine.positives[k] ?? 0) + sign * (s.positives[k] ?? 0);
        mine.negatives[k] = (mine.negatives[k] ?? 0) + sign * (s.negatives[k] ?? 0);
      }
      if (sign < 0 && mine.positives.every((v) => v === 0) && mine.negatives.every((v) => v === 0)) {
        this.scores.delete(label);
      }
    }
    if (this.probabilityCountValue === 0) {
      // Float sums of an emptied window keep rounding residue; an empty window has none.
      this.logLossSumValue = 0;
      this.brierSumValue = 0;
    }
    return this;
  }
}

export function compareCodePoints(a: string, b: string): number {
  // numpy orders unicode strings by code point; JS `<` compares UTF-16 units, which
  // differs only for astral characters, so compare code points explicitly.
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const cx = x.value.codePointAt(0) ?? 0;
    const cy = y.value.codePointAt(0) ?? 0;
    if (cx !== cy) return cx - cy;
  }
}

/** The grid point k / bins a score is counted at. */
export function scoreBin(score: number, bins: number): number {
  return Math.round(score * bins);
}

/** Receives what one sample with probabilities adds, from `probabilityTerms`. */
export interface ProbabilityTermsSink {
  /** One scored class (every class of the map, then the true class with score 0 when the map lacks it) at its score's bin. */
  score(label: string, bin: number, positive: boolean): void;
  /** The sample's log-loss and Brier terms, after its scores. */
  losses(logLoss: number, brier: number): void;
}

/**
 * What one sample with probabilities adds: each scored class (every class of the map, plus the
 * true class with score 0 when the map lacks it), then its log-loss and Brier terms, all
 * through `sink`. The one place these formulas live: ConfusionMatrix and the performance
 * service's outcome counters (shared/join/outcome-counters.ts) both call it. A sink rather
 * than a callback and a returned pair: the service calls it once per joined outcome, and a
 * closure and a result object each time were most of what rendering an outcome allocated.
 * Throws for a probability outside [0, 1], after the scores before it were sent.
 */
export function probabilityTerms(trueLabel: string, probabilities: Readonly<Record<string, number>>, scoreBins: number, sink: ProbabilityTermsSink): void {
  let brier = 0;
  let trueProbability = 0;
  let trueSeen = false;
  // for..in avoids allocating an entries array per event on this hot path.
  for (const label in probabilities) {
    const p = probabilities[label] as number;
    if (!(p >= 0 && p <= 1)) throw new RangeError(`probability of ${label} must be in [0, 1], got ${p}`);
    const isTrue = label === trueLabel;
    const diff = p - (isTrue ? 1 : 0);
    brier += diff * diff;
    if (isTrue) {
      trueProbability = p;
      trueSeen = true;
    }
    sink.score(label, scoreBin(p, scoreBins), isTrue);
  }
  if (!trueSeen) {
    brier += 1;
    sink.score(trueLabel, 0, true);
  }
  const clipped = Math.min(Math.max(trueProbability, PROBABILITY_EPS), 1 - PROBABILITY_EPS);
  sink.losses(-Math.log(clipped), brier);
}

/** A sink that keeps nothing: for checking a sample's probabilities (the throw) alone. */
export const IGNORED_PROBABILITY_TERMS: ProbabilityTermsSink = {
  score() {},
  losses() {},
};
