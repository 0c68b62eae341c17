// What one joined outcome adds to its `perf:<version>` bucket, rendered straight into the
// batch's deltas: the counters of ConfusionMatrix.update(true, predicted, probabilities) for a
// classifier, RegressionSums' terms for a regressor. The formulas stay in shared/stats/window;
// this only remembers the field names they produce, which joinField would otherwise escape and
// join again for every outcome.
import { joinField } from '../stats/window/counters.js';
import { DEFAULT_SCORE_BINS, probabilityTerms, scoreBin } from '../stats/window/confusion-matrix.js';
import { regressionCounters, regressionTerms } from '../stats/window/regression-sums.js';

/** The counters of one (family, bucket) of a batch's deltas. */
export type CounterDeltas = Record<string, number>;

/** Field names remembered before the memory is cleared: class names come from events, so their pairs are unbounded. */
const MAX_REMEMBERED_FIELDS = 100_000;

export class OutcomeCounters {
  /** 'c|<true>|<predicted>' by true class, then predicted class. */
  private readonly confusion = new Map<string, Map<string, string>>();
  /** 'sp|<label>|<bin>' at 2·bin, 'sn|<label>|<bin>' at 2·bin + 1, by label. */
  private readonly scores = new Map<string, string[]>();
  private remembered = 0;

  constructor(private readonly scoreBins: number = DEFAULT_SCORE_BINS) {}

  /** Adds a classifier's outcome (probabilities already checked by probabilityTerms when the prediction was read). */
  classification(trueClass: string, predictedClass: string, probabilities: Readonly<Record<string, number>> | null, into: CounterDeltas): void {
    increment(into, this.confusionField(trueClass, predictedClass), 1);
    if (probabilities === null) return;
    const terms = probabilityTerms(trueClass, probabilities, (label, score, positive) => {
      increment(into, this.scoreField(label, scoreBin(score, this.scoreBins), positive), 1);
    });
    increment(into, 'pn', 1);
    increment(into, '~ll', terms.logLoss);
    increment(into, '~bs', terms.brier);
  }

  /**
   * A regressor's outcome as (field, amount) pairs; throws, returning nothing, when a term
   * overflows (values near 1e155 and beyond square to Infinity).
   */
  regression(trueValue: number, predictedValue: number): [string, number][] {
    const counters = regressionCounters(regressionTerms(trueValue, predictedValue));
    for (const [field, by] of counters) {
      if (!Number.isFinite(by)) throw new RangeError(`outcome of true value ${trueValue} and prediction ${predictedValue}: ${field} is not finite`);
    }
    return counters;
  }

  private confusionField(trueClass: string, predictedClass: string): string {
    let byPredicted = this.confusion.get(trueClass);
    if (byPredicted === undefined) {
      byPredicted = new Map();
      this.confusion.set(trueClass, byPredicted);
    }
    let field = byPredicted.get(predictedClass);
    if (field === undefined) {
      field = joinField('c', trueClass, predictedClass);
      this.remember();
      byPredicted.set(predictedClass, field);
    }
    return field;
  }

  private scoreField(label: string, bin: number, positive: boolean): string {
    let fields = this.scores.get(label);
    if (fields === undefined) {
      fields = [];
      this.scores.set(label, fields);
    }
    const at = 2 * bin + (positive ? 0 : 1);
    let field = fields[at];
    if (field === undefined) {
      field = joinField(positive ? 'sp' : 'sn', label, String(bin));
      this.remember();
      fields[at] = field;
    }
    return field;
  }

  private remember(): void {
    this.remembered += 1;
    if (this.remembered <= MAX_REMEMBERED_FIELDS) return;
    this.confusion.clear();
    this.scores.clear();
    this.remembered = 1;
  }
}

export function increment(counters: CounterDeltas, field: string, by: number): void {
  counters[field] = (counters[field] ?? 0) + by;
}
